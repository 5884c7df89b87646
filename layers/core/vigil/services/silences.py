"""Silences: stored with their end time as TTL, so expiry is automatic; warm functions keep
the active ones briefly (a new silence takes effect in this function at once)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from vigil.adapters import dynamo
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
    dynamo.put(
        {
            "pk": "SILENCE",
            "sk": silence.silence_id,
            "silence": silence.model_dump(mode="json"),
            "expires_at": int((silence.ends_at + timedelta(days=7)).timestamp()),
        }
    )
    _cached = None
    return silence


def list_all(now: datetime | None = None, *, include_expired: bool = False) -> list[Silence]:
    now = now or utcnow()
    found = [Silence.model_validate(item["silence"]) for item in dynamo.query_all("SILENCE")]
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
    item = dynamo.get("SILENCE", silence_id)
    if not item:
        raise NotFound(f"no silence {silence_id}")
    silence = Silence.model_validate(item["silence"])
    ended = silence.model_copy(update={"ends_at": max(silence.starts_at, utcnow())})
    dynamo.put({**item, "silence": ended.model_dump(mode="json")})
    _cached = None
    return ended
