"""Teams, their members' contact methods, team channels, and the routing of channels."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from vigil.domain.alerts import Severity
from vigil.domain.model import Model
from vigil.domain.vocabulary import Channel

PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TEAM_NAME = r"^[a-z0-9][a-z0-9_\-]{0,99}$"


class ContactMethod(Model):
    type: Channel
    address: str = Field(min_length=1, max_length=500, description="email, E.164 phone, or URL")

    @field_validator("address")
    @classmethod
    def _address_fits_type(cls, value: str, info: object) -> str:
        kind = getattr(info, "data", {}).get("type")
        if kind == "email" and not EMAIL.match(value):
            raise ValueError("not an email address")
        if kind == "sms" and not PHONE.match(value):
            raise ValueError("not an E.164 phone number such as +15551234567")
        if kind in ("slack", "webhook") and not value.startswith(("https://", "http://")):
            raise ValueError("must be a URL")
        return value


class Member(Model):
    name: str = Field(min_length=1, max_length=100)
    contact_methods: list[ContactMethod] = Field(default_factory=list, max_length=20)


class TeamIn(Model):
    members: list[Member] = Field(default_factory=list, max_length=100)
    slack_webhook_url: str | None = Field(default=None, max_length=500)
    webhook_url: str | None = Field(default=None, max_length=500)
    email_list: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("email_list")
    @classmethod
    def _emails(cls, values: list[str]) -> list[str]:
        for value in values:
            if not EMAIL.match(value):
                raise ValueError(f"{value!r} is not an email address")
        return values


class Team(TeamIn):
    name: str = Field(pattern=TEAM_NAME)


def destinations(team: Team, channel: str) -> list[str]:
    """Where a page to `team` on `channel` goes: member contacts plus team-level channels."""
    found = [m.address for member in team.members for m in member.contact_methods if m.type == channel]
    if channel == "email":
        found += team.email_list
    elif channel == "slack" and team.slack_webhook_url:
        found.append(team.slack_webhook_url)
    elif channel == "webhook" and team.webhook_url:
        found.append(team.webhook_url)
    return list(dict.fromkeys(found))


def redacted(url: str) -> str:
    """A URL as logs, the ledger and the timeline show it: scheme and host only, since webhook
    URLs (Slack's above all) carry their secret in the path."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if parts.netloc else "(invalid URL)"


def shown_destinations(channel: str, found: list[str]) -> list[str]:
    return [redacted(url) for url in found] if channel in ("slack", "webhook") else found


def _channels_by_severity() -> dict[Severity, list[Channel]]:
    return {
        Severity.EMERGENCY: ["email", "slack", "webhook", "sms"],
        Severity.CRITICAL: ["email", "slack", "webhook"],
        Severity.HIGH: ["email", "slack", "webhook"],
        Severity.MEDIUM: ["email", "webhook"],
        Severity.LOW: ["email"],
        Severity.INFO: [],
    }


def _channels_by_category() -> dict[str, list[Channel]]:
    return {"security": ["sms"]}


def _paging_severities() -> list[Severity]:
    return [s for s in Severity if s is not Severity.INFO]


class AlertingRules(Model):
    """Which channels page for each severity (the original spec: critical → email + Slack, ...)."""

    channels_by_severity: dict[Severity, list[Channel]] = Field(default_factory=_channels_by_severity)
    channels_by_category: dict[str, list[Channel]] = Field(
        default_factory=_channels_by_category,
        description="channels added for a category, on top of the severity's",
    )

    open_incident_for: list[Severity] = Field(
        default_factory=_paging_severities,
        description="severities whose firing alerts open (or join) an incident; others are only recorded",
    )

    resolve_incidents_with_alerts: bool = Field(
        default=True, description="resolve an incident when every one of its alerts is resolved at its source"
    )

    notify_resolved_for: list[Severity] = Field(
        default_factory=lambda: list(Severity),
        description="severities whose incidents, when they resolve because every alert resolved at its "
        "source, are announced to the teams that were paged, on the channels they were paged by",
    )

    def opens_incident(self, severity: Severity) -> bool:
        return severity in self.open_incident_for

    def channels(self, severity: str, category: str | None) -> list[str]:
        chosen: list[str] = list(self.channels_by_severity.get(Severity(severity), []))
        for channel in self.channels_by_category.get(category or "", []):
            if chosen and channel not in chosen:
                chosen.append(channel)
        return chosen


class CompleteAlertingRules(AlertingRules):
    """A replacement of the routing rules: every field, and a channel list for every severity
    (a partial body would silently drop the rest; PATCH changes a part)."""

    channels_by_severity: dict[Severity, list[Channel]]
    channels_by_category: dict[str, list[Channel]]
    open_incident_for: list[Severity]
    resolve_incidents_with_alerts: bool

    @field_validator("channels_by_severity")
    @classmethod
    def _every_severity(cls, value: dict[Severity, list[Channel]]) -> dict[Severity, list[Channel]]:
        missing = [s.value for s in Severity if s not in value]
        if missing:
            raise ValueError(f"missing severities {', '.join(missing)} (PATCH changes only some)")
        return value


class AlertingRulesPatch(Model):
    """The fields to change; channel maps are merged per severity and per category."""

    channels_by_severity: dict[Severity, list[Channel]] | None = None
    channels_by_category: dict[str, list[Channel]] | None = None
    open_incident_for: list[Severity] | None = None
    resolve_incidents_with_alerts: bool | None = None
