"""Stopping the runtime lists every running execution before it stops any: a page's token
names the last execution listed, and moto refuses it once that execution has ended."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.stack import _running_executions

STALE = ClientError({"Error": {"Code": "InvalidToken", "Message": "Resource not found!"}}, "ListExecutions")


class Paginator:
    """Two pages of running executions; the second page's token is stale `stale_times` times."""

    def __init__(self, stale_times: int) -> None:
        self.stale_times, self.listings = stale_times, 0

    def paginate(self, **_: Any) -> Iterator[dict[str, Any]]:
        self.listings += 1
        yield {"executions": [{"executionArn": "first"}]}
        if self.listings <= self.stale_times:
            raise STALE
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
