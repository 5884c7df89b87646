"""Configuration as code: the document that describes Vigil's configuration, its version and
the difference between two documents, object by object. Pure: the service exports, checks and
applies each section (vigil.services.config_code).

A section left out of a document is not managed by it; a section present is managed whole:
its objects missing from the document are deleted.

A schedule's overrides are part of it, those that have not ended: an override that has ended
is history, left out of exports and ignored in a document (applies keep the ended ones).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator, model_validator

from vigil.domain.escalation import EscalationPolicy
from vigil.domain.incidents import AssignmentRules
from vigil.domain.integrations import IntegrationSettings
from vigil.domain.model import Model
from vigil.domain.oncall import OBJECT_ID, NamedPolicyIn, ScheduleIn, ServiceIn
from vigil.domain.people import PersonIn
from vigil.domain.schedules import USER_ID, Override
from vigil.domain.silences import SilenceIn
from vigil.domain.teams import TEAM_NAME, AlertingRules, TeamIn
from vigil.domain.vocabulary import IntegrationKind

TEMPLATE_ID = r"^(email_subject|email_html|email_text|sms_text)(:(emergency|critical|high|medium|low|info))?$"
TeamName = Annotated[str, StringConstraints(pattern=TEAM_NAME)]
TemplateId = Annotated[str, StringConstraints(pattern=TEMPLATE_ID)]
TemplateSource = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
UserId = Annotated[str, StringConstraints(pattern=USER_ID)]
ObjectId = Annotated[str, StringConstraints(pattern=OBJECT_ID)]
IntegrationName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class EscalationPolicyIn(EscalationPolicy):
    """The escalation policy; its `version` is the server's (each save is a new one)."""

    version: int = Field(default=0, exclude=True)


class OverrideConfig(Override):
    """An override in the document. Its `id` may be left out: one is then derived from who,
    start and end, so applying the same file again creates nothing new."""

    id: str = Field(default="", max_length=100, description="kept from the export; derived when left out")

    @model_validator(mode="after")
    def _stable_id(self) -> OverrideConfig:
        if not self.id:
            self.id = (
                "ovr_" + fingerprint(self.model_dump(mode="json", include={"user_id", "start", "end"}))[:16]
            )
        return self


class ScheduleConfig(ScheduleIn):
    """A schedule with its overrides that have not ended."""

    overrides: list[OverrideConfig] = Field(
        default_factory=list,
        max_length=1000,
        description="who is on call over every layer, from start to end; ended ones are ignored",
    )

    @field_validator("overrides")
    @classmethod
    def _unique_ids(cls, overrides: list[OverrideConfig]) -> list[OverrideConfig]:
        if len({o.id for o in overrides}) != len(overrides):
            raise ValueError("override ids must be unique (two overrides without ids are the same override)")
        return overrides

    def current(self, now: datetime) -> ScheduleConfig:
        """Without the overrides that ended by `now`; the rest keep their order, which is their
        precedence (of two that overlap, the later wins)."""
        return self.model_copy(update={"overrides": [o for o in self.overrides if o.end > now]})


def without_ended_overrides(document: ConfigDocument, now: datetime) -> ConfigDocument:
    """The document as plan and apply compare it: ended overrides are not configuration."""
    if document.schedules is None:
        return document
    current = {schedule_id: s.current(now) for schedule_id, s in document.schedules.items()}
    return document.model_copy(update={"schedules": current})


def kept_overrides(live: list[Override], given: list[Override], now: datetime) -> list[Override]:
    """A schedule's overrides once a document gives it `given`: the live ones that ended by
    `now` (documents leave them out), then the given ones."""
    ids = {o.id for o in given}
    ended = [o for o in live if o.end <= now and o.id not in ids]
    return [*ended, *(Override.model_validate(o.model_dump()) for o in given)]


class IntegrationConfig(Model):
    """An integration by name; its token is never part of the configuration."""

    kind: IntegrationKind
    settings: IntegrationSettings = Field(default_factory=IntegrationSettings)


class ConfigDocument(Model):
    """Vigil's configuration. Each field is a section; omit a section to leave it unmanaged."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    users: dict[UserId, PersonIn] | None = Field(default=None, description="people by user id")
    teams: dict[TeamName, TeamIn] | None = Field(default=None, description="by team name")
    schedules: dict[ObjectId, ScheduleConfig] | None = Field(
        default=None, description="on-call schedules by id, with their overrides that have not ended"
    )
    escalation_policies: dict[ObjectId, NamedPolicyIn] | None = Field(
        default=None, description="named escalation policies by id (`default` is escalation_policy)"
    )
    alerting_rules: AlertingRules | None = Field(default=None, description="which alerts page, and how")
    assignment_rules: AssignmentRules | None = Field(default=None, description="which team gets an incident")
    escalation_policy: EscalationPolicyIn | None = None
    templates: dict[TemplateId, TemplateSource] | None = Field(
        default=None, description="overridden notification templates by id (email_subject[:severity], ...)"
    )
    silences: list[SilenceIn] | None = Field(
        default=None, max_length=500, description="silences that have not ended"
    )
    integrations: dict[IntegrationName, IntegrationConfig] | None = Field(
        default=None, description="by name, with their settings (maintenance windows included)"
    )
    services: dict[ObjectId, ServiceIn] | None = Field(
        default=None, description="services by id, with their policy and integrations (by id)"
    )


Action = Literal["create", "update", "delete"]


class Change(Model):
    section: str
    name: str
    action: Action
    before: Any = None
    after: Any = None
    details: list[str] = Field(default_factory=list, description="what changes inside the object")


def sections() -> list[str]:
    return list(ConfigDocument.model_fields)


def section_items(document: ConfigDocument, section: str) -> dict[str, Any] | None:
    """A section's objects by name, as JSON values; None if the document leaves it out.
    Singletons are one object named `default`; silences are named by their comment and content."""
    value = getattr(document, section)
    if value is None:
        return None
    if isinstance(value, list):
        return {silence_name(item): item.model_dump(mode="json") for item in value}
    if isinstance(value, dict):
        return {name: _json(item) for name, item in value.items()}
    return {"default": value.model_dump(mode="json")}


def _json(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, Model) else value


def silence_name(silence: SilenceIn) -> str:
    return f"{silence.comment[:60]} [{fingerprint(silence.model_dump(mode='json'))[:8]}]"


def plan(live: ConfigDocument, proposed: ConfigDocument) -> list[Change]:
    """What applying `proposed` to `live` changes, section by section, object by object."""
    changes: list[Change] = []
    for section in sections():
        wanted = section_items(proposed, section)
        if wanted is None:
            continue
        current = section_items(live, section) or {}
        for name in sorted(current.keys() | wanted.keys()):
            change = _change(section, name, current.get(name), wanted.get(name))
            if change:
                changes.append(change)
    return changes


def _change(section: str, name: str, before: Any, after: Any) -> Change | None:
    if before == after:
        return None
    action: Action = "create" if before is None else "delete" if after is None else "update"
    details = _details(before, after) if isinstance(before or after, dict) else []
    return Change(section=section, name=name, action=action, before=before, after=after, details=details)


def _details(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """An update's changed fields, and each override a schedule gains or loses."""
    old, new = before or {}, after or {}
    fields = sorted(k for k in old.keys() | new.keys() if k != "overrides" and old.get(k) != new.get(k))
    changed = [f"changed: {', '.join(fields)}"] if before and after and fields else []
    return changed + _override_details(old.get("overrides") or [], new.get("overrides") or [])


def _override_details(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    def line(sign: str, o: dict[str, Any]) -> str:
        return f"{sign} override {o['id']}: {o['user_id']} from {o['start']} to {o['end']}"

    return [line("-", o) for o in old if o not in new] + [line("+", o) for o in new if o not in old]


def fingerprint(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def version_of(document: ConfigDocument) -> str:
    """The live configuration's version: a digest of its content, so that any change, by this
    API or by a single-object route, moves it."""
    return fingerprint(document.model_dump(mode="json", exclude_none=True))[:16]
