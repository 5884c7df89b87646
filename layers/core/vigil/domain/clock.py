"""Timestamps: UTC ISO 8601 with a Z. The domain never reads the clock; callers pass `now`."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def utcnow() -> datetime:
    """The one real clock, used at the edges (handlers and services) only."""
    return datetime.now(UTC)
