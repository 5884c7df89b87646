"""Silences and maintenance windows: matching alerts are stored, visible as silenced, and
page no one. Pure matching; the service stores them and caches the active ones."""

from __future__ import annotations

from datetime import datetime, time
from functools import lru_cache
from typing import Annotated, Any, Literal

import re2
from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator, model_validator

from vigil.domain.alerts import NormalizedAlert
from vigil.domain.model import Model

FIELDS = ("title", "severity", "category", "source", "dedup_key")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Matcher(Model):
    """`name` is an alert field (title, severity, category, source, dedup_key) or `labels.<key>`."""

    name: str = Field(min_length=1, max_length=200)
    op: Literal["=", "!=", "=~", "!~"] = "="
    value: str = Field(max_length=500)

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in FIELDS and not (name.startswith("labels.") and len(name) > len("labels.")):
            raise ValueError(f"must be one of {', '.join(FIELDS)} or labels.<key>")
        return name

    @model_validator(mode="after")
    def _valid_regex(self) -> Matcher:
        if self.op in ("=~", "!~"):
            try:
                user_pattern(self.value)
            except re2.error as error:
                reason = error.args[0].decode() if isinstance(error.args[0], bytes) else error
                raise ValueError(f"value is not a regular expression RE2 can run: {reason}") from None
        return self

    def matches(self, alert: NormalizedAlert) -> bool:
        actual = _field(alert, self.name)
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = actual is not None and user_pattern(self.value).fullmatch(actual) is not None
        return found if self.op == "=~" else not found


@lru_cache(maxsize=512)
def user_pattern(pattern: str) -> Any:
    """A pattern a user wrote, compiled by RE2 (the syntax Alertmanager's matchers use): it
    runs in time linear in the text, so no pattern can stall ingestion (ReDoS). Patterns RE2
    cannot run in linear time (backreferences, lookarounds) are refused when saved."""
    options = re2.Options()
    options.log_errors = False  # a refused pattern is answered with a 400, not logged by RE2
    return re2.compile(pattern, options)


def _field(alert: NormalizedAlert, name: str) -> str | None:
    if name.startswith("labels."):
        return alert.labels.get(name.removeprefix("labels."))
    value = getattr(alert, name)
    return None if value is None else str(getattr(value, "value", value))


class SilenceIn(Model):
    matchers: list[Matcher] = Field(min_length=1, max_length=20)
    starts_at: datetime
    ends_at: datetime
    comment: str = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _order(self) -> SilenceIn:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a timezone (use Z for UTC)")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class Silence(SilenceIn):
    silence_id: str
    created_by: str
    created_at: str

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def silences(self, alert: NormalizedAlert, now: datetime) -> bool:
        return self.active(now) and all(m.matches(alert) for m in self.matchers)


WALL_CLOCK_PATTERN = r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"


def _wall_clock(value: Any) -> Any:
    if isinstance(value, time) and value.tzinfo is None:
        return value
    if isinstance(value, str) and re2.fullmatch(WALL_CLOCK_PATTERN, value):
        return value
    raise ValueError("must be a UTC time of day, HH:MM or HH:MM:SS")


# A UTC wall-clock time, "HH:MM" or "HH:MM:SS", never with an offset (nor a number of seconds).
WallClock = Annotated[
    time,
    BeforeValidator(_wall_clock),
    WithJsonSchema({"type": "string", "pattern": WALL_CLOCK_PATTERN, "examples": ["02:00"]}),
]


class MaintenanceWindow(Model):
    """A weekly window in UTC, e.g. {"days": ["sat"], "start": "02:00", "end": "04:00"}."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1)
    start: WallClock
    end: WallClock
    comment: str = ""

    def covers(self, now: datetime) -> bool:
        today, yesterday = WEEKDAYS[now.weekday()], WEEKDAYS[(now.weekday() - 1) % 7]
        moment = now.time().replace(tzinfo=None)
        if self.start <= self.end:
            return today in self.days and self.start <= moment < self.end
        # Across midnight: the evening belongs to the listed day, the morning after to the day before.
        return (today in self.days and moment >= self.start) or (yesterday in self.days and moment < self.end)


def silenced_by(
    alert: NormalizedAlert, silences: list[Silence], windows: list[MaintenanceWindow], now: datetime
) -> str:
    """The silence id or "maintenance" that keeps this alert quiet, or "" if none."""
    for silence in silences:
        if silence.silences(alert, now):
            return silence.silence_id
    return "maintenance" if any(w.covers(now) for w in windows) else ""
