"""Storms: a large body is cut into parts that fit SQS, and every alert is in exactly one part."""

from __future__ import annotations

import json
from typing import Any

import pytest
from vigil.domain.alerts import NormalizedAlert
from vigil.services.ingest import storm


def _alert(n: int, title_length: int = 20) -> NormalizedAlert:
    return NormalizedAlert.model_validate(
        {"title": f"{n:05d}" + "x" * title_length, "dedup_key": f"k{n}", "source": "am", "status": "firing"}
    )


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    monkeypatch.setattr(storm.storm_queue, "send", lambda url, part: messages.append(json.loads(part)))
    return messages


class _Integration:
    integration_id = "int_storm"


def test_every_alert_goes_in_exactly_one_part_of_at_most_fifty(sent: list[dict[str, Any]]) -> None:
    alerts = [_alert(n) for n in range(121)]
    assert storm.is_storm(alerts) and not storm.is_storm(alerts[: storm.INLINE_LIMIT])
    assert storm.hand_over("https://sqs/storm", _Integration(), alerts) == 3  # type: ignore[arg-type]
    titles = [a["title"] for part in sent for a in part["alerts"]]
    assert titles == [a.title for a in alerts]
    assert [len(part["alerts"]) for part in sent] == [50, 50, 21]
    assert {part["integration_id"] for part in sent} == {"int_storm"}


def test_parts_stay_under_the_sqs_message_limit(sent: list[dict[str, Any]]) -> None:
    alerts = [_alert(n, title_length=400) for n in range(60)]
    bulky = [a.model_copy(update={"labels": {f"l{i}": "v" * 200 for i in range(40)}}) for a in alerts]
    storm.hand_over("https://sqs/storm", _Integration(), bulky)  # type: ignore[arg-type]
    assert len(sent) > 2
    assert all(len(json.dumps(part)) < 256 * 1024 for part in sent)
    assert sum(len(part["alerts"]) for part in sent) == 60
