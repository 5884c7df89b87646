"""Lazily created, cached botocore clients: never at import time (cold starts and moto need that).
Every AWS call goes through `call`, which turns throttling and timeouts into Throttled."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from vigil.config import settings
from vigil.domain.errors import Throttled

# Called with every new client; the local runtime uses it to count AWS calls per operation.
client_hooks: list[Callable[[Any], None]] = []
# A botocore session is not safe to build clients from in several threads at once (the
# deliver functions send a batch's records side by side).
_creating = threading.Lock()


def client(service: str) -> Any:
    with _creating:
        return _client(service)


@cache
def _client(service: str) -> Any:
    # botocore alone, imported at first use: boto3 would add its resources and s3transfer to
    # every cold start, and no handler needs them.
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=10)
    new_client = _session().create_client(service, region_name=settings().region, config=config)
    for hook in client_hooks:
        hook(new_client)
    return new_client


@cache
def _session() -> Any:
    from botocore.session import get_session

    return get_session()


def call(service: str, operation: str, **params: Any) -> Any:
    """One AWS API call; transient failures leave as Throttled, others as botocore raised them."""
    with transient_as_throttled():
        return getattr(client(service), operation)(**params)


def reset_clients() -> None:
    """Forget cached clients (tests and the local runtime start new moto backends)."""
    _client.cache_clear()
    _session.cache_clear()
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

    if isinstance(error, Throttled | ConnectionError | ReadTimeoutError):
        return True
    return isinstance(error, ClientError) and error_code(error) in TRANSIENT_CODES


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else)."""
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


@contextmanager
def transient_as_throttled() -> Iterator[None]:
    try:
        yield
    except Throttled:
        raise
    except Exception as error:
        if is_transient(error):
            raise Throttled() from error
        raise
