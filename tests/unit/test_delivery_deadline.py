"""A delivery batch stops before the function's deadline and hands the rest back untried."""

from __future__ import annotations

import json
from typing import Any

import pytest
from vigil.services.paging import delivery, delivery_batch

OPTIONS = delivery.DeliveryOptions()


def _records(count: int) -> list[dict[str, Any]]:
    return [
        {
            "messageId": f"m{i}",
            "receiptHandle": f"r{i}",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:vigil-webhook-dev",
            "body": json.dumps({"channel": "webhook", "delivery_id": f"d{i}"}),
            "attributes": {"ApproximateReceiveCount": "1"},
        }
        for i in range(count)
    ]


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    calls: dict[str, list[Any]] = {"delivered": [], "visible_again": []}
    monkeypatch.setattr(
        delivery, "deliver", lambda message, attempt, options: calls["delivered"].append(message)
    )
    monkeypatch.setattr(
        delivery_batch,
        "_retry_later",
        lambda record, seconds: calls["visible_again"].append((record, seconds)),
    )
    return calls


def test_records_that_no_longer_fit_are_handed_back_visible_at_once(recorded: dict[str, list[Any]]) -> None:
    clock = iter([30_000, 20_000, 9_999, 9_000])  # remaining ms before each record

    result = delivery_batch.handle_batch({"Records": _records(4)}, "webhook", OPTIONS, lambda: next(clock))

    assert [m["delivery_id"] for m in recorded["delivered"]] == ["d0", "d1"]
    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]}
    assert [(r["messageId"], s) for r, s in recorded["visible_again"]] == [("m2", 0), ("m3", 0)]


def test_a_batch_with_time_to_spare_is_delivered_whole(recorded: dict[str, list[Any]]) -> None:
    result = delivery_batch.handle_batch({"Records": _records(3)}, "webhook", OPTIONS, lambda: 30_000)
    assert len(recorded["delivered"]) == 3 and result == {"batchItemFailures": []}
