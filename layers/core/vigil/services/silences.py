"""Silences: stored with their end time as TTL, so expiry is automatic; the ingest path reads
them from the live configuration (services/live_config.py), where each save copies the silence
(a new silence takes effect in this function at once, in the others within its cache time)."""

from __future__ import annotations

from datetime import datetime

from vigil.adapters import stores
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import NotFound
from vigil.domain.secrets import new_id
from vigil.domain.silences import Silence, SilenceIn
from vigil.services import live_config


def create(data: SilenceIn, actor: str) -> Silence:
    silence = Silence(
        **data.model_dump(), silence_id=new_id("sil"), created_by=actor, created_at=iso(utcnow())
    )
    _store(silence)
    return silence


def list_all(now: datetime | None = None, *, include_expired: bool = False) -> list[Silence]:
    now = now or utcnow()
    found = stores.silences.all_stored()
    return [s for s in found if include_expired or s.ends_at > now]


def active() -> list[Silence]:
    """The silences in force now, as the live configuration has them (no read when warm)."""
    now = utcnow()
    found = [Silence.model_validate(body) for body in live_config.current().silences]
    return [s for s in found if s.ends_at > now]


def _store(silence: Silence) -> None:
    stores.silences.put(silence)
    body = silence.model_dump(mode="json")
    live_config.keep(
        live_config.SILENCE, silence.silence_id, body, expires_at=stores.silences.expires_at(silence)
    )


def expire(silence_id: str) -> Silence:
    """End a silence now (it stays listed as expired until its record's TTL)."""
    silence = stores.silences.find(silence_id)
    if silence is None:
        raise NotFound(f"no silence {silence_id}")
    ended = silence.model_copy(update={"ends_at": max(silence.starts_at, utcnow())})
    _store(ended)
    return ended
