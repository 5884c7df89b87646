"""Silences: stored with their end time as TTL, so expiry is automatic; warm functions keep
the active ones briefly (a new silence takes effect in this function at once)."""

from __future__ import annotations

import time
from datetime import datetime

from vigil.adapters import stores
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import NotFound
from vigil.domain.secrets import new_id
from vigil.domain.silences import Silence, SilenceIn

CACHE_SECONDS = 30
_cached: tuple[float, list[Silence]] | None = None


def create(data: SilenceIn, actor: str) -> Silence:
    global _cached
    silence = Silence(
        **data.model_dump(), silence_id=new_id("sil"), created_by=actor, created_at=iso(utcnow())
    )
    stores.silences.put(silence)
    _cached = None
    return silence


def list_all(now: datetime | None = None, *, include_expired: bool = False) -> list[Silence]:
    now = now or utcnow()
    found = stores.silences.all_stored()
    return [s for s in found if include_expired or s.ends_at > now]


def active() -> list[Silence]:
    global _cached
    if _cached and time.monotonic() - _cached[0] < CACHE_SECONDS:
        return _cached[1]
    silences = list_all()
    _cached = (time.monotonic(), silences)
    return silences


def expire(silence_id: str) -> Silence:
    """End a silence now (it stays listed as expired until its record's TTL)."""
    global _cached
    silence = stores.silences.find(silence_id)
    if silence is None:
        raise NotFound(f"no silence {silence_id}")
    ended = silence.model_copy(update={"ends_at": max(silence.starts_at, utcnow())})
    stores.silences.put(ended)
    _cached = None
    return ended
