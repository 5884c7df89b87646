"""Heartbeats' pure parts: the due moment, the alerts of a miss and its end, and the local
runtime's reading of a schedule's rate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from vigil.domain.access import Scope, required_scope
from vigil.domain.alerts import AlertStatus
from vigil.domain.heartbeats import Heartbeat, due_after, missed_alert, recovered_alert

from local.stack import _rate_seconds, scheduled_event

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _heartbeat(**fields: object) -> Heartbeat:
    base = {
        "heartbeat_id": "hb_0123456789abcdef",
        "name": "nightly backup",
        "interval_seconds": 3600,
        "grace_seconds": 300,
        "created_at": "2026-03-01T00:00:00.000Z",
        "due_at": "2026-03-01T01:05:00.000Z",
        "token_prefix": "vgh_abcd",
    }
    return Heartbeat.model_validate(base | fields)


def test_due_is_interval_plus_grace_after_the_ping() -> None:
    assert due_after(NOW, 3600, 300) == "2026-03-01T13:05:00.000Z"
    assert due_after(NOW, 60, 0) == "2026-03-01T12:01:00.000Z"


def test_a_miss_and_its_end_share_one_dedup_key_so_the_ping_resolves_the_incident() -> None:
    heartbeat = _heartbeat()
    missed, recovered = missed_alert(heartbeat), recovered_alert(heartbeat)
    assert missed.status == AlertStatus.FIRING and recovered.status == AlertStatus.RESOLVED
    assert missed.dedup_key == recovered.dedup_key == "heartbeat:hb_0123456789abcdef"
    assert "nightly backup" in missed.title and "never" in missed.description
    assert "2026-03-01T11:00" in missed_alert(_heartbeat(last_ping_at="2026-03-01T11:00:00.000Z")).description


@pytest.mark.parametrize(
    ("expression", "seconds"), [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(2 hours)", 7200)]
)
def test_the_local_runtime_reads_a_schedule_rate(expression: str, seconds: int) -> None:
    assert _rate_seconds(expression) == seconds


def test_the_local_scheduled_event_carries_the_moment_it_runs_for() -> None:
    event = scheduled_event("HeartbeatsFunction", "2099-01-01T00:00:00Z")
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["time"] == "2099-01-01T00:00:00Z"


def test_heartbeats_are_configuration_for_admin_keys_and_readable_by_any() -> None:
    assert required_scope("POST", "/api/heartbeats") == Scope.ADMIN
    assert required_scope("DELETE", "/api/heartbeats/hb_0123456789abcdef") == Scope.ADMIN
    assert required_scope("GET", "/api/heartbeats") == Scope.READ_ONLY
