"""HMAC keys (current + previous, for rotation) and Slack's signing secret, from one Secrets
Manager secret read through Powertools' SecretsProvider: one GetSecretValue serves both, and a
warm function keeps the value for MAX_AGE_SECONDS (the rotation delay in docs/operations.md).
A Slack signature that fails against the kept value may read the secret again, so that an
operator's new Slack secret holds at once (`reread_slack_signing_secret`)."""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from vigil.adapters.aws import client, transient_as_throttled
from vigil.config import settings

MAX_AGE_SECONDS = 300
# Forged Slack requests must not become a flood of reads: one reread per this many seconds.
REREAD_SECONDS = 10

_provider: Any = None
_last_reread = -math.inf
_rereading = threading.Lock()


def signing_keys() -> list[bytes]:
    """[current, previous?]: sign with the first, accept any."""
    value = _secret()
    return [value["current"].encode()] + ([value["previous"].encode()] if value.get("previous") else [])


def slack_signing_secret() -> bytes:
    """Slack's signing secret, stored by the operator in the same secret (key slack_signing_secret)."""
    return _slack(_secret())


def reread_slack_signing_secret() -> bytes | None:
    """Slack's signing secret read again now (a signature failed against the kept one: the
    operator may have just stored a new one); None when it was reread less than REREAD_SECONDS ago."""
    global _last_reread
    with _rereading:
        if time.monotonic() - _last_reread < REREAD_SECONDS:
            return None
        _last_reread = time.monotonic()
    return _slack(_secret(force_fetch=True))


def forget_secret() -> None:
    """Forget the kept secret, as a new instance starts (tests measure the first read)."""
    _secrets_provider().clear_cache()


def _slack(value: dict[str, str]) -> bytes:
    return str(value.get("slack_signing_secret", "")).encode()


def _secret(*, force_fetch: bool = False) -> dict[str, str]:
    from aws_lambda_powertools.utilities.parameters import GetParameterError

    with transient_as_throttled():
        try:
            value = _secrets_provider().get(
                settings().signing_secret_arn,
                max_age=MAX_AGE_SECONDS,
                transform="json",
                force_fetch=force_fetch,
            )
        except GetParameterError as error:
            # Powertools wraps the SDK's error: its cause decides (throttling leaves as Throttled, a 503).
            raise (error.__context__ or error) from None
    return dict(value)


def _secrets_provider() -> Any:
    """The provider around our botocore client (the local runtime counts and checks its calls);
    a new client (a new moto backend in tests) starts with an empty cache."""
    # Imported at first use: it imports boto3, which the ingest function's cold start does without.
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    global _provider
    current = client("secretsmanager")
    if _provider is None or _provider.client is not current:
        _provider = SecretsProvider(boto3_client=current)
    return _provider
