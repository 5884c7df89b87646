"""One error table (vigil/api/problem.py) for both front doors: AWS throttling, which the
adapters raise as Throttled, is a 503 with Retry-After on the management API as on ingest."""

from __future__ import annotations

import json
from typing import Any

import pytest
from vigil.api import ingest, problem
from vigil.api.app import build_app
from vigil.domain import errors


def _throttled(*_: Any, **__: Any) -> Any:
    raise errors.Throttled()


def _throttled_route() -> None:  # no parameters: the resolver would take them for a query
    raise errors.Throttled()


def _management_api_answer() -> dict[str, Any]:
    app = build_app()
    app.get("/api/throttled-probe")(_throttled_route)
    event = {"httpMethod": "GET", "path": "/api/throttled-probe", "resource": "/api/throttled-probe"}
    return dict(app.resolve(event | {"headers": {}, "requestContext": {}}, None))


def _ingest_answer(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(ingest, "receive", _throttled)
    event = {"httpMethod": "POST", "resource": ingest.HOOK_ROUTE, "pathParameters": {"token": "t"}}
    return ingest.handle(event | {"body": "{}"})


def test_every_typed_error_has_its_status_in_the_one_table() -> None:
    assert problem.of(errors.Throttled()) == (
        503,
        {"error": {"code": "retry", "message": "temporarily unavailable; retry", "details": []}},
        {"Retry-After": "1"},
    )
    assert problem.of(errors.RateLimited("slow down", retry_after=7))[::2] == (429, {"Retry-After": "7"})
    assert problem.of(errors.NotFound("no such thing"))[::2] == (404, {})


def test_throttling_is_a_503_with_retry_after_on_the_management_api_as_on_ingest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = [_management_api_answer(), _ingest_answer(monkeypatch)]
    for answer in answers:
        assert answer["statusCode"] == 503
        headers = {**answer.get("headers", {}), **answer.get("multiValueHeaders", {})}
        assert headers["Retry-After"] in ("1", ["1"])
    management, ingested = (json.loads(a["body"]) for a in answers)
    assert (
        management
        == ingested
        == {"error": {"code": "retry", "message": "temporarily unavailable; retry", "details": []}}
    )
