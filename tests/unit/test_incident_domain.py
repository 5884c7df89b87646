"""Lifecycle table and the original spec's assignment rules."""

from __future__ import annotations

import pytest
from vigil.domain.errors import InvalidTransition
from vigil.domain.incidents import ALLOWED_TRANSITIONS, AssignmentRules, Status, check_transition


@pytest.mark.parametrize(
    ("current", "requested"),
    [
        ("open", "investigating"),
        ("open", "resolved"),
        ("investigating", "acknowledged"),
        ("acknowledged", "resolved"),
        ("resolved", "open"),
        ("resolved", "closed"),
        ("open", "closed"),
        ("acknowledged", "open"),
    ],
)
def test_allowed_transitions(current: str, requested: str) -> None:
    check_transition(Status(current), Status(requested))


@pytest.mark.parametrize(
    ("current", "requested"),
    [
        ("closed", "open"),
        ("closed", "resolved"),
        ("investigating", "open"),
        ("open", "open"),
    ],
)
def test_refused_transitions_name_both_states(current: str, requested: str) -> None:
    with pytest.raises(InvalidTransition) as raised:
        check_transition(Status(current), Status(requested))
    assert current in raised.value.message and requested in raised.value.message


def test_closed_is_final() -> None:
    assert ALLOWED_TRANSITIONS[Status.CLOSED] == frozenset()


@pytest.mark.parametrize(
    ("severity", "category", "team"),
    [
        ("critical", "database", "emergency_team"),
        ("emergency", None, "emergency_team"),
        ("high", "network", "on_call_engineer"),
        ("medium", "security", "security_team"),
        ("low", "performance", "performance_team"),
        ("medium", "database", "database_team"),
        ("medium", "network", "network_team"),
        ("medium", "system", "platform_team"),
        ("low", None, "platform_team"),
    ],
)
def test_seed_assignment(severity: str, category: str | None, team: str) -> None:
    assert AssignmentRules().assign(severity, category) == team


ALL_PAIRS = [(a, b) for a in Status for b in Status]


@pytest.mark.parametrize(("current", "requested"), ALL_PAIRS)
def test_every_pair_is_allowed_or_refused_exactly_as_the_table_says(
    current: Status, requested: Status
) -> None:
    if requested in ALLOWED_TRANSITIONS[current]:
        check_transition(current, requested)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(current, requested)


def test_analytics_mtta_mttr_and_noise_reduction() -> None:
    from vigil.domain.analytics import summarize
    from vigil.domain.incidents import hypothetical

    incidents = [
        {
            "status": "resolved",
            "severity": "critical",
            "category": "database",
            "assigned_team": "db",
            "created_at": "2026-11-27T10:00:00.000Z",
            "acknowledged_at": "2026-11-27T10:02:00.000Z",
            "resolved_at": "2026-11-27T10:30:00.000Z",
        },
        {
            "status": "open",
            "severity": "high",
            "category": None,
            "assigned_team": "web",
            "created_at": "2026-11-27T11:00:00.000Z",
        },
        {
            "status": "closed",
            "severity": "critical",
            "category": "database",
            "assigned_team": "db",
            "created_at": "2026-11-27T12:00:00.000Z",
            "acknowledged_at": "2026-11-27T12:04:00.000Z",
            "resolved_at": "2026-11-27T12:10:00.000Z",
        },
    ]
    alerts = [{"occurrences": 10}, {"occurrences": 5}, {"occurrences": 5}]
    stored = [hypothetical(title="t", **incident) for incident in incidents]
    occurrences = [int(alert["occurrences"]) for alert in alerts]
    result = summarize(stored, occurrences, "2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z")
    assert result.mtta_seconds == 180.0  # (120 + 240) / 2
    assert result.mttr_seconds == 1200.0  # (1800 + 600) / 2
    assert result.by_severity == {"critical": 2, "high": 1}
    assert result.by_category == {"database": 2, "none": 1}
    assert result.alerts_received == 20 and result.noise_reduction == 0.85
