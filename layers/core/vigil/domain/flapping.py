"""Flapping: an alert that changes state too often pages once, not on every change."""

from __future__ import annotations

from datetime import datetime, timedelta

from vigil.domain.clock import parse_iso

DEFAULT_THRESHOLD = 3  # state changes (fire, resolve, fire...) ...
DEFAULT_WINDOW = timedelta(minutes=30)  # ... within this window
KEEP_CHANGES = 20
# A flapping alert that fires again reopens its incident; the ladder waits this long before it
# pages, so a resolve within it pages no one (integration setting flapping_hold_seconds).
DEFAULT_HOLD_SECONDS = 300


def recent_changes(changes: list[str], now: datetime, window: timedelta = DEFAULT_WINDOW) -> int:
    return sum(1 for at in changes if now - parse_iso(at) <= window)


def is_flapping(
    changes: list[str], now: datetime, threshold: int = DEFAULT_THRESHOLD, window: timedelta = DEFAULT_WINDOW
) -> bool:
    return recent_changes(changes, now, window) >= threshold
