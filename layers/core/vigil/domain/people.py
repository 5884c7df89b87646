"""People: who they are, how to reach them, and their personal notification rules.

A page to a person runs their rules for the page's urgency until the incident is acknowledged:
each rule names a contact method (by id, or every method of a type) and how many minutes after
the page it fires (e.g. SMS at 0, email at 0, SMS again at 5). The functions here are pure: the
caller passes the minutes since the page and whether (and when) it was acknowledged, and sends
the steps it has not sent yet, each step's `key` naming it once in the delivery ledger.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from vigil.domain.model import Model
from vigil.domain.schedules import USER_ID, ZoneName
from vigil.domain.vocabulary import Channel

ContactType = Channel  # a person is reached through the channels pages go out on
UNSENDABLE = {"slack": "a Slack user id needs the Slack app, which Vigil does not have yet"}
Urgency = Literal["high", "low"]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,30}$")
METHOD_ID = r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$"
ADDRESS_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "email": (EMAIL, "not an email address"),
    "sms": (PHONE, "not an E.164 phone number such as +15551234567"),
    "slack": (SLACK_USER, "not a Slack user id such as U024BE7LH"),
    "webhook": (re.compile(r"^https://\S+$"), "not an https:// URL"),
}


class ContactMethod(Model):
    id: str = Field(pattern=METHOD_ID)
    type: ContactType
    address: str = Field(min_length=1, max_length=500, description="email, E.164 phone, Slack user id or URL")
    label: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _address_fits_type(self) -> ContactMethod:
        pattern, problem = ADDRESS_RULES[self.type]
        if not pattern.match(self.address):
            raise ValueError(f"{self.type} contact method {self.id!r}: {problem}")
        return self


class NotificationRule(Model):
    """Notify through one contact method (`contact_method_id`) or every method of a type
    (`contact_type`), `after_minutes` (or `after_seconds`) after the page."""

    contact_method_id: str | None = Field(default=None, pattern=METHOD_ID)
    contact_type: ContactType | None = None
    after_minutes: int | None = Field(default=None, ge=0, le=24 * 60)
    after_seconds: int | None = Field(default=None, ge=0, le=24 * 3600)

    @model_validator(mode="after")
    def _one_target(self) -> NotificationRule:
        if (self.contact_method_id is None) == (self.contact_type is None):
            raise ValueError("give either contact_method_id or contact_type")
        if self.after_minutes is not None and self.after_seconds is not None:
            raise ValueError("give after_minutes or after_seconds, not both")
        return self

    @property
    def delay_minutes(self) -> float:
        if self.after_seconds is not None:
            return self.after_seconds / 60
        return float(self.after_minutes or 0)


Rules = Annotated[list[NotificationRule], Field(max_length=20)]


class NotificationRules(Model):
    high: Rules = Field(default_factory=list)
    low: Rules = Field(default_factory=list)


class PersonIn(Model):
    """A person as written (`PUT /api/users/{user_id}` names them in the path)."""

    name: str = Field(min_length=1, max_length=100)
    email: str = Field(max_length=320)
    time_zone: ZoneName = "UTC"
    contact_methods: list[ContactMethod] = Field(default_factory=list, max_length=20)
    notification_rules: NotificationRules = Field(default_factory=NotificationRules)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError("not an email address")
        return value

    @field_validator("contact_methods")
    @classmethod
    def _unique_ids(cls, methods: list[ContactMethod]) -> list[ContactMethod]:
        if len({m.id for m in methods}) != len(methods):
            raise ValueError("contact method ids must be unique")
        return methods

    @model_validator(mode="after")
    def _rules_reach_someone(self) -> PersonIn:
        for urgency in ("high", "low"):
            for index, rule in enumerate(getattr(self.notification_rules, urgency)):
                if not _targets(self, rule):
                    target = rule.contact_method_id or f"type {rule.contact_type}"
                    raise ValueError(f"{urgency} rule {index} reaches no contact method ({target})")
        return self


Vendor = Literal["pagerduty", "opsgenie", "grafana-oncall"]


class ImportSource(Model):
    """Where an imported object came from: importing the same vendor's object again updates it."""

    vendor: Vendor
    id: str = Field(min_length=1, max_length=200, description="the vendor's id of the object")


class Person(PersonIn):
    user_id: str = Field(pattern=USER_ID)
    imported_from: ImportSource | None = None


class NotificationStep(Model):
    """One notification of a page: `key` is stable ("<urgency>:<rule index>:<contact method id>"),
    so the caller sends each step once."""

    key: str
    urgency: Urgency
    rule_index: int
    after_minutes: float
    contact_method: ContactMethod


def notification_steps(person: PersonIn, urgency: Urgency) -> list[NotificationStep]:
    """Every step a page of `urgency` runs if never acknowledged, in time order (rules at the same
    minute in the order given)."""
    steps = [
        NotificationStep(
            key=f"{urgency}:{index}:{method.id}",
            urgency=urgency,
            rule_index=index,
            after_minutes=rule.delay_minutes,
            contact_method=method,
        )
        for index, rule in enumerate(getattr(person.notification_rules, urgency))
        for method in _targets(person, rule)
    ]
    return sorted(steps, key=lambda step: step.after_minutes)


def page_steps(person: PersonIn, urgency: Urgency) -> tuple[list[NotificationStep], list[NotificationStep]]:
    """What a page to `person` sends if never acknowledged, in time order, and what it skips
    (UNSENDABLE types); without rules for `urgency` the person is emailed at once."""
    steps = notification_steps(person, urgency) or [_email_step(person, urgency)]
    return (
        [s for s in steps if s.contact_method.type not in UNSENDABLE],
        [s for s in steps if s.contact_method.type in UNSENDABLE],
    )


def _email_step(person: PersonIn, urgency: Urgency) -> NotificationStep:
    method = ContactMethod(id="email", type="email", address=person.email)
    return NotificationStep(
        key=f"{urgency}:default:email", urgency=urgency, rule_index=-1, after_minutes=0, contact_method=method
    )


def steps_before_stop(steps: list[NotificationStep], stopped_after_minutes: float) -> list[NotificationStep]:
    """The steps of a page that are sent when the incident is acknowledged or resolved
    `stopped_after_minutes` after it: those at the page go out with it, a later one only if it
    comes due before the stop (its delivery is dropped after)."""
    return [s for s in steps if s.after_minutes == 0 or s.after_minutes < stopped_after_minutes]


def _targets(person: PersonIn, rule: NotificationRule) -> list[ContactMethod]:
    return [
        method
        for method in person.contact_methods
        if method.id == rule.contact_method_id or method.type == rule.contact_type
    ]


def due_steps(
    person: Person,
    urgency: Urgency,
    minutes_since_page: float,
    acknowledged_after_minutes: float | None = None,
) -> list[NotificationStep]:
    """The steps due `minutes_since_page` after the page: those whose time has come, except any
    that would have come at or after the acknowledgement (which stops the rules)."""
    acknowledged = math.inf if acknowledged_after_minutes is None else acknowledged_after_minutes
    return [
        step
        for step in notification_steps(person, urgency)
        if step.after_minutes <= minutes_since_page and step.after_minutes < acknowledged
    ]


def next_step_after(person: Person, urgency: Urgency, minutes_since_page: float) -> float | None:
    """When (minutes after the page) the next step comes after `minutes_since_page`, if any: the
    time to wake up for it."""
    later = [
        s.after_minutes for s in notification_steps(person, urgency) if s.after_minutes > minutes_since_page
    ]
    return min(later, default=None)
