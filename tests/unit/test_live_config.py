"""The live configuration (services/live_config.py) on in-memory stores: built from the records
once, then read alone; a save changes this instance's copy at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from vigil.adapters import stores
from vigil.domain.clock import utcnow
from vigil.domain.incidents import AssignmentRules
from vigil.domain.silences import Matcher, Silence, SilenceIn
from vigil.services import live_config, silences, warm
from vigil.services.paging import routing

from tests.unit.fakes import FakeConfig, FakePlaybooks, FakeSilences

Record = dict[str, Any]


class CountingConfig(FakeConfig):
    def __init__(self) -> None:
        super().__init__()
        self.builds = 0

    def build_live(self, copies: dict[tuple[str, str], tuple[Record, int | None]]) -> None:
        self.builds += 1
        super().build_live(copies)


class StoredSilences(FakeSilences):
    def __init__(self, *stored: Silence) -> None:
        self.stored = {s.silence_id: s for s in stored}

    def all_stored(self) -> list[Silence]:
        return list(self.stored.values())

    def put(self, silence: Silence) -> None:
        self.stored[silence.silence_id] = silence

    def find(self, silence_id: str) -> Silence | None:
        return self.stored.get(silence_id)


def _silence(silence_id: str, *, ends_in: timedelta) -> Silence:
    now = utcnow()
    return Silence(
        silence_id=silence_id,
        matchers=[Matcher(name="labels.service", value="db")],
        starts_at=now - timedelta(hours=1),
        ends_at=now + ends_in,
        comment="maintenance",
        created_by="ann",
        created_at="2026-01-01T00:00:00Z",
    )


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingConfig]:
    fake = CountingConfig()
    fake.current_records["assignment"] = {"rules": AssignmentRules(default_team="db_team").model_dump()}
    monkeypatch.setattr(stores, "config", fake)
    monkeypatch.setattr(stores, "playbooks", FakePlaybooks())
    stored = StoredSilences(_silence("sil_on", ends_in=timedelta(hours=1)))
    monkeypatch.setattr(stores, "silences", stored)
    warm.forget_everything()
    yield fake
    warm.forget_everything()


def test_a_stack_without_the_partition_builds_it_from_the_records_once(config: CountingConfig) -> None:
    assert routing.load_assignment_rules().default_team == "db_team"
    assert [s.silence_id for s in silences.active()] == ["sil_on"]
    warm.forget_everything()  # another fresh instance: reads the partition, builds nothing
    assert routing.load_assignment_rules().default_team == "db_team"
    assert config.builds == 1
    assert set((config.live_sections or {})[live_config.SILENCE]) == {"sil_on"}


def test_a_saved_silence_applies_at_once_and_an_expired_one_ends(config: CountingConfig) -> None:
    assert [s.silence_id for s in silences.active()] == ["sil_on"]
    now = utcnow()
    created = silences.create(
        SilenceIn(
            matchers=[Matcher(name="labels.service", value="web")],
            starts_at=now,
            ends_at=now + timedelta(hours=1),
            comment="deploy",
        ),
        "ann",
    )
    assert {s.silence_id for s in silences.active()} == {"sil_on", created.silence_id}
    silences.expire("sil_on")
    assert [s.silence_id for s in silences.active()] == [created.silence_id]


def test_saved_rules_are_copied_into_the_partition(config: CountingConfig) -> None:
    routing.save_assignment_rules(AssignmentRules(default_team="web_team"), "ann")
    assert routing.load_assignment_rules().default_team == "web_team"
    copy = (config.live_sections or {})[live_config.RULES]["assignment"]
    assert copy["rules"]["default_team"] == "web_team"
