"""Lifecycle table and the seed's assignment rules."""

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
