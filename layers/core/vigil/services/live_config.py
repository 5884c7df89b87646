"""The live configuration: everything the ingest path reads to decide about an alert and open
its incident (alerting rules, assignment rules, silences, stored playbooks), kept as copies in
one partition, so that a fresh instance reads it with ONE Query and a warm one remembers it for
CACHE_SECONDS.

The records themselves stay where their routes list and read them; the service that saves one
writes its copy right after it (`keep`, `drop`) and forgets this instance's copy at once (other
warm instances see it within CACHE_SECONDS). The partition is built from the records once, by
the first instance that finds it missing (a new stack, or an upgraded one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vigil.adapters import stores
from vigil.services.warm import Remembered

CACHE_SECONDS = 30
RULES, SILENCE, PLAYBOOK = "rules", "silence", "playbook"
RULE_KINDS = ("alerting", "assignment")
Record = dict[str, Any]


@dataclass(frozen=True)
class LiveConfig:
    rules: dict[str, Record] = field(default_factory=dict)  # kind -> saved body ({"rules": ...})
    silences: list[Record] = field(default_factory=list)  # as Silence dumps them
    playbooks: list[Record] = field(default_factory=list)  # as Playbook dumps them


def _load(_: str) -> LiveConfig:
    sections = stores.config.live()
    if sections is None:
        sections = _build()
    return LiveConfig(
        rules=sections.get(RULES, {}),
        silences=list(sections.get(SILENCE, {}).values()),
        playbooks=list(sections.get(PLAYBOOK, {}).values()),
    )


_live: Remembered[str, LiveConfig] = Remembered(_load, CACHE_SECONDS)


def current() -> LiveConfig:
    return _live.get("live") or LiveConfig()


def keep(section: str, key: str, body: Record, *, expires_at: int | None = None) -> None:
    """A record was saved: its copy too, and this instance reads the partition again."""
    stores.config.put_live(section, key, body, expires_at=expires_at)
    _live.forget()


def drop(section: str, key: str) -> None:
    """A record was deleted: its copy too."""
    stores.config.delete_live(section, key)
    _live.forget()


def _build() -> dict[str, dict[str, Record]]:
    """Copy the records into the partition (once per stack) and answer what was copied."""
    copies: dict[tuple[str, str], tuple[Record, int | None]] = {}
    for kind in RULE_KINDS:
        saved = stores.config.current(kind, consistent=True)
        if saved:
            copies[(RULES, kind)] = (saved, None)
    for silence in stores.silences.all_stored():
        body = silence.model_dump(mode="json")
        copies[(SILENCE, silence.silence_id)] = (body, stores.silences.expires_at(silence))
    for playbook in stores.playbooks.all_stored():
        copies[(PLAYBOOK, playbook.playbook_id)] = (playbook.model_dump(mode="json"), None)
    stores.config.build_live(copies)
    sections: dict[str, dict[str, Record]] = {}
    for (section, key), (body, _) in copies.items():
        sections.setdefault(section, {})[key] = body
    return sections
