"""The pure ladder: which rung pages, waits, skips and when it is exhausted."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from vigil.domain.escalation import (
    Cursor,
    EscalationPolicy,
    EscalationRule,
    advance,
    default_policy,
    rung_at,
    wait_after,
)
from vigil.domain.incidents import StoredIncident, hypothetical


def incident(**overrides: Any) -> StoredIncident:
    return hypothetical(
        **{
            "title": "t",
            "severity": "critical",
            "status": "open",
            "assigned_team": "db",
            "category": "database",
            **overrides,
        }
    )


def policy(repeat: int = 0) -> EscalationPolicy:
    return EscalationPolicy(
        rules=[
            EscalationRule(escalation_level=1, escalate_to="seniors", escalate_after_seconds=300),
            EscalationRule(
                condition="severity == 'low'",
                escalation_level=2,
                escalate_to="managers",
                escalate_after_seconds=60,
            ),
            EscalationRule(escalation_level=3, escalate_to="cto", escalate_after_seconds=120),
        ],
        repeat=repeat,
        repeat_after_seconds=600,
    )


def test_rung_zero_pages_the_assigned_team_and_waits_for_the_next_rungs_delay() -> None:
    step = advance(policy(), Cursor(), incident())
    assert (step.rung, step.outcome, step.wait_seconds) == (0, "page", 300)
    assert rung_at(policy(), 0, incident(), ["email"]).targets == ["db"]


def test_an_incident_assigned_to_a_service_pages_the_fallback_when_its_policy_names_no_targets() -> None:
    named = policy().model_copy(update={"fallback_target": "oncall"})
    assert rung_at(named, 0, incident(assigned_team="service:payments"), ["email"]).targets == ["oncall"]
    with_targets = named.model_copy(update={"targets": ["schedule:primary"]})
    assert rung_at(with_targets, 0, incident(assigned_team="service:payments"), ["email"]).targets == [
        "schedule:primary"
    ]


def test_a_rung_whose_condition_is_false_is_skipped() -> None:
    step = advance(policy(), Cursor(rung=1, wait_seconds=300, outcome="page"), incident())
    assert (step.rung, step.outcome) == (2, "skip")
    # rung 1 waits for rung 3's delay since rung 2 will not page
    assert wait_after(policy(), 1, incident()) == 120


def test_after_the_last_rung_the_ladder_repeats_then_is_exhausted() -> None:
    last = Cursor(rung=3, round=0, outcome="page")
    again = advance(policy(repeat=1), last, incident())
    assert (again.rung, again.round, again.outcome) == (0, 1, "page")
    assert advance(policy(repeat=1), last.model_copy(update={"round": 1}), incident()).outcome == "exhausted"
    assert advance(policy(repeat=0), last, incident()).outcome == "exhausted"


@pytest.mark.parametrize("status", ["acknowledged", "resolved", "closed"])
def test_a_ladder_stops_once_the_incident_is_not_open(status: str) -> None:
    assert advance(policy(), Cursor(rung=0), incident(status=status)).outcome == "stop"


def test_seed_defaults() -> None:
    rules = {r.condition: r for r in default_policy().rules}
    assert rules["severity == 'critical' AND status == 'open'"].escalate_after_seconds == 300
    assert rules["severity == 'critical' AND status == 'open'"].escalate_to == "senior_engineers"
    assert rules["severity == 'high'"].escalate_after_seconds == 900
    assert rules["severity == 'medium'"].escalate_after_seconds == 3600
    assert rules["severity == 'emergency'"].escalate_after_seconds == 0
    # emergency escalates "immediately": the shortest wait a Step Functions timeout allows
    assert wait_after(default_policy(), 0, incident(severity="emergency")) == 1


def test_minutes_and_seconds_are_both_accepted() -> None:
    assert (
        EscalationRule(escalation_level=1, escalate_to="x", escalate_after_minutes=2).escalate_after_seconds
        == 120
    )
    assert (
        EscalationRule(escalation_level=1, escalate_to="x", escalate_after_seconds=90).escalate_after_minutes
        == 1.5
    )


def test_invalid_condition_is_refused_when_saved() -> None:
    with pytest.raises(ValidationError, match="condition"):
        EscalationRule(condition="severity = 'critical'", escalation_level=1, escalate_to="x")
    with pytest.raises(ValidationError, match="condition"):
        EscalationRule(condition="sevrity == 'critical'", escalation_level=1, escalate_to="x")


def test_simulation_plans_every_rung_without_acknowledgement() -> None:
    from vigil.domain.escalation import simulate

    plan = simulate(policy(repeat=1), incident(), ["email"])
    assert [(r.rung, r.round, r.at_seconds, r.skipped) for r in plan.rungs] == [
        (0, 0, 0, False),
        (1, 0, 120 * 0 + 300, False),
        (2, 0, 300 + 120, True),
        (3, 0, 420, False),
        (0, 1, 1020, False),
        (1, 1, 1320, False),
        (2, 1, 1440, True),
        (3, 1, 1440, False),
    ]
    assert plan.rungs[1].targets == ["seniors"]
    assert plan.exhausted_at_seconds == 2040
