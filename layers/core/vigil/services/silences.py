"""Silences: stored with their end time as TTL, so expiry is automatic; warm functions keep
the active ones briefly (a new silence takes effect in this function at once)."""

from __future__ import annotations

from datetime import datetime

from vigil.adapters import stores
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import NotFound
from vigil.domain.secrets import new_id
from vigil.domain.silences import Silence, SilenceIn
from vigil.services.warm import Remembered

CACHE_SECONDS = 30
_active: Remembered[str, list[Silence]] = Remembered(lambda _: list_all(), CACHE_SECONDS)


def create(data: SilenceIn, actor: str) -> Silence:
    silence = Silence(
        **data.model_dump(), silence_id=new_id("sil"), created_by=actor, created_at=iso(utcnow())
    )
    stores.silences.put(silence)
    _active.forget()
    return silence


def list_all(now: datetime | None = None, *, include_expired: bool = False) -> list[Silence]:
    now = now or utcnow()
    found = stores.silences.all_stored()
    return [s for s in found if include_expired or s.ends_at > now]


def active() -> list[Silence]:
    return _active.get("active") or []


def expire(silence_id: str) -> Silence:
    """End a silence now (it stays listed as expired until its record's TTL)."""
    silence = stores.silences.find(silence_id)
    if silence is None:
        raise NotFound(f"no silence {silence_id}")
    ended = silence.model_copy(update={"ends_at": max(silence.starts_at, utcnow())})
    stores.silences.put(ended)
    _active.forget()
    return ended
