"""Checks the signature of an SNS HTTPS delivery against SNS's certificate (fetched once per
URL and cached), and confirms subscriptions."""

from __future__ import annotations

import base64
from typing import Any

from vigil.adapters import outbound_http
from vigil.domain.errors import UpstreamUnavailable
from vigil.domain.sns import sns_url, string_to_sign

# cryptography is imported where it is used: only SNS deliveries pay for it at cold start.
_certificates: dict[str, Any] = {}


def remember_certificate(url: str, pem: bytes) -> None:
    from cryptography import x509

    _certificates[url] = x509.load_pem_x509_certificate(pem)


def _certificate(url: str) -> Any:
    if url not in _certificates:
        result = outbound_http.get(url)
        if not result.ok:  # SNS retries a 5xx: an outage at the certificate is not a forgery
            raise UpstreamUnavailable(
                f"could not fetch the SNS signing certificate {url}: {result.error or result.status}; "
                "SNS will retry"
            )
        remember_certificate(url, result.body.encode())
    return _certificates[url]


def genuine(body: dict[str, Any]) -> bool:
    """True only if the message was signed by SNS (SignatureVersion 1: SHA1, 2: SHA256);
    UpstreamUnavailable when SNS's certificate cannot be fetched."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    try:
        url = sns_url(body.get("SigningCertURL") or body.get("SigningCertUrl"), "SigningCertURL")
        key = _certificate(url).public_key()
        signature = base64.b64decode(str(body.get("Signature", "")), validate=True)
    except ValueError:
        return False
    algorithm = hashes.SHA256() if str(body.get("SignatureVersion")) == "2" else hashes.SHA1()  # noqa: S303
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, string_to_sign(body), padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        return False
    return True


def confirm(subscribe_url: str) -> bool:
    """Visit SubscribeURL (an SNS URL, checked) to confirm the subscription."""
    return outbound_http.get(sns_url(subscribe_url, "SubscribeURL")).ok
