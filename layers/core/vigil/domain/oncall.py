"""The on-call objects around the pure schedule and people code: stored schedules, named
escalation policies, services, and the targets a rung can page.

A rung's target is a team name (as before), `team:<name>`, `user:<user id>` or
`schedule:<schedule id>` (whoever is on call when the rung pages).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from vigil.domain.escalation import EscalationPolicy
from vigil.domain.incidents import StoredIncident
from vigil.domain.model import Model
from vigil.domain.people import ImportSource, Urgency
from vigil.domain.schedules import USER_ID, Gap, Instant, Layer, Override, Schedule, Shift, ZoneName

DEFAULT_ID = "default"  # the default service, and its policy: the global escalation policy
OBJECT_ID = r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$"
TargetKind = Literal["team", "user", "schedule", "service"]
HIGH_URGENCY = {"emergency", "critical", "high"}


def target_of(name: str) -> tuple[TargetKind, str]:
    """("user", "ann") for "user:ann"; a bare name is a team."""
    kind, sep, rest = name.partition(":")
    if sep and kind in ("team", "user", "schedule", "service"):
        return kind, rest  # type: ignore[return-value]
    return "team", name


def service_of(incident: StoredIncident) -> str:
    """The incident's service: one an assignment rule named (`service:<id>`), else its integration's."""
    kind, name = target_of(incident.assigned_team or "")
    return name if kind == "service" else incident.service_id or DEFAULT_ID


def urgency_of(severity: str) -> Urgency:
    return "high" if severity in HIGH_URGENCY else "low"


class ScheduleIn(Model):
    name: str = Field(min_length=1, max_length=100)
    time_zone: ZoneName
    layers: list[Layer] = Field(min_length=1, max_length=20)


class StoredSchedule(ScheduleIn):
    schedule_id: str = Field(pattern=OBJECT_ID)
    overrides: list[Override] = Field(default_factory=list, max_length=1000)
    version: int = 1
    imported_from: ImportSource | None = None

    @property
    def schedule(self) -> Schedule:
        return Schedule(time_zone=self.time_zone, layers=self.layers, overrides=self.overrides)


class OverrideIn(Model):
    user_id: str = Field(pattern=USER_ID)
    start: Instant
    end: Instant

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("must be after start")
        return end


class OnCall(Model):
    """The final schedule of a range (or the shift at one instant): who, from, until, and from
    which layer (`layer:<index>`) or override (`override:<id>`); `gaps` are stretches with nobody."""

    schedule_id: str
    shifts: list[Shift]
    gaps: list[Gap] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class NamedPolicyIn(EscalationPolicy):
    name: str = Field(min_length=1, max_length=100)


class NamedPolicy(NamedPolicyIn):
    policy_id: str = Field(pattern=OBJECT_ID)
    imported_from: ImportSource | None = None


class ServiceIn(Model):
    name: str = Field(min_length=1, max_length=100)
    escalation_policy_id: str = Field(default=DEFAULT_ID, pattern=OBJECT_ID)
    integrations: list[str] = Field(
        default_factory=list, max_length=20, description="the integrations whose alerts are this service's"
    )


class Service(ServiceIn):
    service_id: str = Field(pattern=OBJECT_ID)
