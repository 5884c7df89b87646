"""Stopping the runtime lists every running execution before it stops any: moto's page token
names the first execution of the next page, and moto refuses it once that execution has ended."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.stack import _running_executions

STALE = ClientError({"Error": {"Code": "InvalidToken", "Message": "Invalid Token"}}, "ListExecutions")
DENIED = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListExecutions")


class Paginator:
    """Two pages of running executions; the second page's token is refused `stale_times` times."""

    def __init__(self, stale_times: int, refusal: ClientError = STALE) -> None:
        self.stale_times, self.refusal, self.listings = stale_times, refusal, 0

    def paginate(self, **_: Any) -> Iterator[dict[str, Any]]:
        self.listings += 1
        yield {"executions": [{"executionArn": "first"}]}
        if self.listings <= self.stale_times:
            raise self.refusal
        yield {"executions": [{"executionArn": "second"}]}


class StepFunctions:
    def __init__(self, paginator: Paginator) -> None:
        self.paginator = paginator

    def get_paginator(self, name: str) -> Paginator:
        assert name == "list_executions"
        return self.paginator


def test_a_stale_page_token_lists_the_executions_again_from_the_first_page() -> None:
    paginator = Paginator(stale_times=2)
    assert _running_executions(StepFunctions(paginator), "machine") == ["first", "second"]
    assert paginator.listings == 3


def test_a_token_stale_at_every_attempt_is_raised() -> None:
    with pytest.raises(ClientError):
        _running_executions(StepFunctions(Paginator(stale_times=5)), "machine", attempts=5)


def test_another_error_is_raised_at_once() -> None:
    paginator = Paginator(stale_times=1, refusal=DENIED)
    with pytest.raises(ClientError):
        _running_executions(StepFunctions(paginator), "machine")
    assert paginator.listings == 1
