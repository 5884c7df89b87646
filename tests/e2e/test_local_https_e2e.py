"""`make run` also serves HTTPS with a self-signed certificate made at start: a real TLS
request, trusting that certificate, reaches the same API and the local secrets."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

import pytest


def _get(url: str, context: ssl.SSLContext, key: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_the_api_answers_over_tls_with_the_generated_certificate(runtime: Any) -> None:
    url = runtime.https_url or runtime.serve_https(0)
    trusting = ssl.create_default_context(cafile=runtime.certificate)

    status, incidents = _get(f"{url}/api/incident_response?limit=1", trusting, runtime.api_key)
    assert status == 200 and "items" in incidents
    status, secrets = _get(f"{url}/_local/secrets", trusting)
    assert status == 200
    assert secrets["https_url"] == url and secrets["https_certificate"] == runtime.certificate
    assert secrets["webhook_signing_key"] and secrets["slack_signing_secret"]

    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        _get(f"{url}/api/incident_response", ssl.create_default_context(), runtime.api_key)
