"""Escalation policy and the pure decision of what each step of a ladder does.

A ladder is built from the policy's rules when it runs: rung 0 pages the incident's assigned
team at once; rung N pages the `escalate_to` of every level-N rule whose condition holds at
that moment. The wait on a rung is the delay of the next rung that will page; after the last
rung the ladder repeats `repeat` times, then it is exhausted.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from vigil.domain.conditions import evaluate, validate_condition
from vigil.domain.incidents import PAGING_STATES, Incident, Status, condition_context
from vigil.domain.model import Model
from vigil.domain.vocabulary import CHANNELS, Channel

DEFAULT_RULE_CHANNELS: tuple[Channel, ...] = ("email", "slack")
MIN_WAIT_SECONDS = 1  # Step Functions timeouts are whole seconds above zero


class EscalationRule(Model):
    """The original spec's rule; `escalate_after_seconds` is accepted as well as minutes."""

    condition: str = Field(default="", max_length=500)
    escalation_level: int = Field(ge=1, le=20)
    escalate_to: str = Field(min_length=1, max_length=100)
    escalate_after_minutes: float | None = Field(default=None, ge=0, le=7 * 24 * 60)
    escalate_after_seconds: int | None = Field(default=None, ge=0, le=7 * 24 * 3600)
    notification_channels: list[Channel] = Field(default_factory=lambda: list(DEFAULT_RULE_CHANNELS))

    @field_validator("condition")
    @classmethod
    def _valid_condition(cls, value: str) -> str:
        try:
            return validate_condition(value)
        except Exception as error:
            raise ValueError(getattr(error, "message", str(error))) from None

    @model_validator(mode="after")
    def _one_delay(self) -> EscalationRule:
        if self.escalate_after_seconds is None:
            minutes = self.escalate_after_minutes if self.escalate_after_minutes is not None else 0
            self.escalate_after_seconds = int(minutes * 60)
        self.escalate_after_minutes = self.escalate_after_seconds / 60
        return self

    @property
    def delay_seconds(self) -> int:
        return self.escalate_after_seconds or 0


class EscalationPolicy(Model):
    rules: list[EscalationRule] = Field(max_length=100)
    repeat: int = Field(default=0, ge=0, le=10, description="times the whole ladder repeats")
    repeat_after_seconds: int = Field(default=900, ge=1, le=7 * 24 * 3600)
    ack_timeout_seconds: int | None = Field(
        default=None, ge=1, le=7 * 24 * 3600, description="re-escalate an unresolved acknowledged incident"
    )
    resume_from_level: int = Field(default=0, ge=0, le=20)
    fallback_target: str | None = Field(default="platform_team", max_length=100)
    targets: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="who rung 0 pages at once (user:<id>, schedule:<id>, team:<name>); "
        "empty: the incident's assigned team",
    )
    version: int = 0

    @property
    def max_level(self) -> int:
        return max((rule.escalation_level for rule in self.rules), default=0)


def default_policy() -> EscalationPolicy:
    """The original spec's rules: emergency at once, critical 5 min, high 15 min, medium 1 hour."""
    return EscalationPolicy(
        rules=[
            EscalationRule(
                condition="severity == 'emergency'",
                escalation_level=1,
                escalate_to="senior_engineers",
                escalate_after_minutes=0,
                notification_channels=["email", "slack", "sms"],
            ),
            EscalationRule(
                condition="severity == 'critical' AND status == 'open'",
                escalation_level=1,
                escalate_to="senior_engineers",
                escalate_after_minutes=5,
            ),
            EscalationRule(
                condition="severity == 'high'",
                escalation_level=1,
                escalate_to="on_call_engineer",
                escalate_after_minutes=15,
            ),
            EscalationRule(
                condition="severity == 'medium'",
                escalation_level=1,
                escalate_to="support_team",
                escalate_after_minutes=60,
                notification_channels=["email"],
            ),
        ]
    )


class Cursor(Model):
    """Where a ladder is: carried in the execution's state between steps."""

    rung: int = -1
    round: int = 0
    wait_seconds: int = MIN_WAIT_SECONDS
    outcome: Literal["start", "page", "skip", "exhausted", "stop", "resume"] = "start"


class Rung(Model):
    level: int
    targets: list[str]
    channels: list[str]


def matching_rules(policy: EscalationPolicy, level: int, incident: Incident) -> list[EscalationRule]:
    context = condition_context(incident)
    return [r for r in policy.rules if r.escalation_level == level and evaluate(r.condition, context)]


def rung_at(policy: EscalationPolicy, level: int, incident: Incident, default_channels: list[str]) -> Rung:
    if level == 0:
        return Rung(
            level=0, targets=policy.targets or [_assigned_team(policy, incident)], channels=default_channels
        )
    rules = matching_rules(policy, level, incident)
    channels: list[str] = sorted({c for r in rules for c in r.notification_channels}, key=CHANNELS.index)
    return Rung(level=level, targets=list(dict.fromkeys(r.escalate_to for r in rules)), channels=channels)


def _assigned_team(policy: EscalationPolicy, incident: Incident) -> str:
    """The team rung 0 pages when the policy names no targets. An assignment to a service
    (`service:<id>`) chose the policy, not a team: its fallback is paged then."""
    assigned = incident.assigned_team or ""
    if not assigned or assigned.startswith("service:"):
        return policy.fallback_target or "platform_team"
    return assigned


def wait_after(policy: EscalationPolicy, level: int, incident: Incident) -> int:
    """How long rung `level` waits: the delay of the next level that will page, or the repeat gap."""
    for next_level in range(level + 1, policy.max_level + 1):
        rules = matching_rules(policy, next_level, incident)
        if rules:
            return max(MIN_WAIT_SECONDS, min(r.delay_seconds for r in rules))
    return policy.repeat_after_seconds


def advance(policy: EscalationPolicy, cursor: Cursor, incident: Incident) -> Cursor:
    """The next step of the ladder after `cursor`."""
    if Status(incident.status) not in PAGING_STATES:
        return cursor.model_copy(update={"outcome": "stop"})
    rung, round_ = cursor.rung + 1, cursor.round
    if rung > policy.max_level:
        if round_ >= policy.repeat:
            return cursor.model_copy(update={"outcome": "exhausted"})
        rung, round_ = 0, round_ + 1
    if rung > 0 and not matching_rules(policy, rung, incident):
        return Cursor(rung=rung, round=round_, wait_seconds=MIN_WAIT_SECONDS, outcome="skip")
    return Cursor(rung=rung, round=round_, wait_seconds=wait_after(policy, rung, incident), outcome="page")


class PlannedRung(Model):
    rung: int
    round: int
    at_seconds: int = Field(description="seconds after the incident opens, if nobody acknowledges")
    targets: list[str]
    channels: list[str]
    skipped: bool = False


class Simulation(Model):
    rungs: list[PlannedRung]
    exhausted_at_seconds: int | None = Field(description="when the ladder runs out; null if it stops")


def simulate(policy: EscalationPolicy, incident: Incident, default_channels: list[str]) -> Simulation:
    """The ladder as it would run with nobody acknowledging, with no side effects."""
    cursor, elapsed = Cursor(), 0
    planned: list[PlannedRung] = []
    for _ in range(1000):  # a policy has at most 21 levels x 11 rounds
        step = advance(policy, cursor, incident)
        if step.outcome == "exhausted":
            return Simulation(rungs=planned, exhausted_at_seconds=elapsed)
        if step.outcome == "stop":
            break
        rung = rung_at(policy, step.rung, incident, default_channels)
        planned.append(
            PlannedRung(
                rung=step.rung,
                round=step.round,
                at_seconds=elapsed,
                targets=rung.targets,
                channels=rung.channels,
                skipped=step.outcome == "skip",
            )
        )
        if step.outcome == "page":
            elapsed += step.wait_seconds
        cursor = step
    return Simulation(rungs=planned, exhausted_at_seconds=None)
