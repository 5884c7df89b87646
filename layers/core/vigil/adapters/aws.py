"""Lazily created, cached boto3 clients: never at import time (cold starts and moto need that)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from botocore.config import Config

from vigil.config import settings

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=10)

# Called with every new client; the local runtime uses it to count AWS calls per operation.
client_hooks: list[Callable[[Any], None]] = []


@cache
def client(service: str) -> Any:
    import boto3  # deferred: keeps handler import time low

    factory: Any = boto3.client
    new_client = factory(service, region_name=settings().region, config=_CONFIG)
    for hook in client_hooks:
        hook(new_client)
    return new_client


def reset_clients() -> None:
    """Forget cached clients (tests and the local runtime start new moto backends)."""
    client.cache_clear()
    settings.cache_clear()


TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "InternalServerError",
        "ServiceUnavailable",
        "InternalFailure",
        "TransactionInProgressException",
    }
)


def is_transient(error: Exception) -> bool:
    """Throttling, AWS-side failures and timeouts: worth retrying, not worth paging about."""
    from botocore.exceptions import ClientError, ConnectionError, ReadTimeoutError

    if isinstance(error, ConnectionError | ReadTimeoutError):
        return True
    return isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in TRANSIENT_CODES
