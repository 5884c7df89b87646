"""Flapping: an alert that changes state too often pages once, not on every change."""

from __future__ import annotations

from datetime import datetime, timedelta

from vigil.domain.clock import parse_iso

DEFAULT_THRESHOLD = 3  # state changes (fire, resolve, fire...) ...
DEFAULT_WINDOW = timedelta(minutes=30)  # ... within this window
KEEP_CHANGES = 20


def recent_changes(changes: list[str], now: datetime, window: timedelta = DEFAULT_WINDOW) -> int:
    return sum(1 for at in changes if now - parse_iso(at) <= window)


def is_flapping(
    changes: list[str], now: datetime, threshold: int = DEFAULT_THRESHOLD, window: timedelta = DEFAULT_WINDOW
) -> bool:
    return recent_changes(changes, now, window) >= threshold
