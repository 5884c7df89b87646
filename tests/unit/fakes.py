"""In-memory stores and adapters with the interfaces of vigil.adapters.stores and friends, so
that services can be tested without moto. Each fake counts its writes and reads."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from vigil.adapters import ladder
from vigil.adapters.outbound_http import HttpResult
from vigil.domain.alerts import StoredAlert
from vigil.domain.clock import iso
from vigil.domain.deliveries import DeliveryMessage, StoredDelivery
from vigil.domain.errors import Conflict, NotFound
from vigil.domain.incidents import LadderState, StoredIncident
from vigil.domain.playbooks import Playbook
from vigil.domain.silences import Silence
from vigil.domain.teams import Team

Record = dict[str, Any]


class FakeIncidents:
    """Keeps items as the table does (dicts, which tests may change) and returns entities."""

    def __init__(self) -> None:
        self.records: dict[str, Record] = {}
        self.timelines: dict[str, list[Record]] = {}
        self.calls: Counter[str] = Counter()

    def create(self, record: StoredIncident | Record) -> bool:
        self.calls["write"] += 1
        item = record.stored() if isinstance(record, StoredIncident) else copy.deepcopy(record)
        if item["incident_id"] in self.records:
            return False
        self.records[item["incident_id"]] = item
        return True

    def _entity(self, incident_id: str) -> StoredIncident:
        return StoredIncident.model_validate(copy.deepcopy(self.records[incident_id]))

    def find(self, incident_id: str, *, consistent: bool = True) -> StoredIncident | None:
        self.calls["read"] += 1
        return self._entity(incident_id) if incident_id in self.records else None

    def get(self, incident_id: str) -> StoredIncident:
        found = self.find(incident_id)
        if found is None:
            raise NotFound(f"no incident {incident_id}")
        return found

    def update_versioned(self, incident_id: str, version: int, sets: dict[str, Any]) -> StoredIncident:
        self.calls["write"] += 1
        record = self.records[incident_id]
        if record["version"] != version:
            raise Conflict("changed")
        record.update(copy.deepcopy(sets), version=version + 1)
        return self._entity(incident_id)

    def update_status(
        self, incident_id: str, version: int, sets: dict[str, Any], *, ladder_state: str | None = None
    ) -> tuple[StoredIncident, StoredIncident]:
        if incident_id not in self.records:
            raise Conflict("gone")
        before = self._entity(incident_id)  # the write returns it: no read
        self.update_versioned(incident_id, version, sets)
        if ladder_state:
            self._end_wait(incident_id, ladder_state)
        return before, self._entity(incident_id)

    def resolve_with_last_alert(
        self, incident_id: str, sets: dict[str, Any], *, ladder_state: str, from_statuses: list[str]
    ) -> tuple[StoredIncident, StoredIncident] | None:
        self.calls["write"] += 1
        record = self.records.get(incident_id)
        applies = record is not None and "escalation" in record and record.get("firing_alerts") == 1
        if not applies or record is None or record["status"] not in from_statuses:
            return None
        before = self._entity(incident_id)
        record.update(copy.deepcopy(sets), version=record["version"] + 1, firing_alerts=0)
        self._end_wait(incident_id, ladder_state)
        return before, self._entity(incident_id)

    def _end_wait(self, incident_id: str, state: str) -> None:
        waiting = self.records[incident_id].get("escalation") or {}
        ended = {**waiting, "state": state, "task_token": None, "next_escalation_at": None}
        self.records[incident_id]["escalation"] = ended

    def wait_on_rung(self, incident_id: str, paging_statuses: list[str], escalation: LadderState) -> bool:
        self.calls["write"] += 1
        record = self.records.get(incident_id)
        if record is None or record["status"] not in paging_statuses:
            return False
        record["escalation"] = escalation.stored()
        return True

    def set_escalation(self, incident_id: str, escalation: LadderState) -> None:
        self.calls["write"] += 1
        if incident_id in self.records:
            self.records[incident_id]["escalation"] = escalation.stored()

    def end_ladder_run(self, incident_id: str, run: int, escalation: LadderState) -> bool:
        self.calls["write"] += 1
        record = self.records.get(incident_id)
        if record is None or record.get("ladder_runs", 0) != run:
            return False
        record["escalation"] = escalation.stored()
        return True

    def set_ladder_runs(self, incident_id: str, runs: int) -> None:
        self.calls["write"] += 1
        self.records[incident_id]["ladder_runs"] = runs

    def count_alerts(self, incident_id: str, *, alerts: int = 0, firing: int = 0) -> StoredIncident | None:
        self.calls["write"] += 1
        record = self.records.get(incident_id)
        if record is None:
            return None
        record["alert_count"] = record.get("alert_count", 0) + alerts
        record["firing_alerts"] = record.get("firing_alerts", 0) + firing
        return self._entity(incident_id)

    def add_entry(self, incident_id: str, entry: Record, *, entry_id: str | None = None) -> None:
        self.calls["write"] += 1
        entries = self.timelines.setdefault(incident_id, [])
        if entry_id is None or all(e.get("entry_id") != entry_id for e in entries):
            entries.append({**entry, "entry_id": entry_id})

    def add_entries(self, incident_id: str, entries: list[Record]) -> None:
        self.calls["write"] += 1
        self.timelines.setdefault(incident_id, []).extend({**e, "entry_id": None} for e in entries)

    def entries(self, incident_id: str) -> list[Record]:
        return list(self.timelines.get(incident_id, []))

    def with_entries(self, incident_id: str) -> tuple[StoredIncident, list[Record]]:
        return self.get(incident_id), self.entries(incident_id)

    def created_between(self, window: tuple[str, str] | None = None) -> Iterator[StoredIncident]:
        yield from (self._entity(incident_id) for incident_id in self.records)

    def statuses(self) -> Iterator[str]:
        yield from (r["status"] for r in self.records.values())


class FakeAlerts:
    """Keeps items as the table does (dicts, which tests may read) and returns entities."""

    def __init__(self) -> None:
        self.items: dict[str, Record] = {}
        self.pointers: dict[str, str] = {}
        self.past: list[Record] = []
        self.calls: Counter[str] = Counter()

    def upsert(
        self, alert_id: str, fields: dict[str, Any], now: datetime, *, starts_episode: bool
    ) -> StoredAlert:
        self.calls["write"] += 1
        item = self.items.setdefault(alert_id, {})
        stamp = iso(now)
        item.update(copy.deepcopy(fields), alert_id=alert_id)
        item["prev_seen"] = item.get("last_seen", stamp)
        item["last_seen"] = stamp
        item.setdefault("first_seen", stamp)
        if starts_episode:
            item.setdefault("episode_started", stamp)
        item["occurrences"] = item.get("occurrences", 0) + 1
        item["arrivals"] = [*item.get("arrivals", []), f"{stamp}|{fields.get('status', 'firing')}"]
        return _alert(item)

    def keep_arrivals_of(self, alert_id: str, stored: StoredAlert) -> None:
        """The real store trims only once 400 arrivals are kept: no write here."""

    def restart_episode(self, alert_id: str, stored: StoredAlert, now: datetime) -> StoredAlert:
        self.calls["write"] += 1
        self.items[alert_id]["episode_started"] = iso(now)
        return _alert(self.items[alert_id])

    def link(self, alert_id: str, incident_id: str, episode: str, *, changed_at: datetime | None) -> bool:
        self.calls["write"] += 1
        item = self.items[alert_id]
        if item.get("episode_started") != episode or item.get("incident_episode") == episode:
            return False
        item.update(incident_id=incident_id, incident_episode=episode)
        item.pop("resolved_at", None)
        if changed_at is not None:
            item["changes"] = [*item.get("changes", []), iso(changed_at)]
        return True

    def resolve(self, alert_id: str, now: datetime) -> tuple[StoredAlert | None, bool]:
        self.calls["write"] += 1
        item = self.items.get(alert_id)
        if item is None or item.get("status") == "resolved":
            return None, item is not None
        old = _alert(item)
        item.update(status="resolved", resolved_at=iso(now), last_seen=iso(now))
        item["changes"] = [*item.get("changes", []), iso(now)]
        item["arrivals"] = [*item.get("arrivals", []), f"{iso(now)}|resolved"]
        item.pop("episode_started", None)
        return old, True

    def of_incident(self, incident_id: str) -> list[StoredAlert]:
        self.calls["read"] += 1
        return [_alert(a) for a in self.items.values() if a.get("incident_id") == incident_id]

    def keep_in_past_incident(self, alert: StoredAlert) -> None:
        self.calls["write"] += 1
        self.past.append(alert.stored())

    def keep_changes(self, alert_id: str, changes: list[str]) -> None:
        self.items[alert_id]["changes"] = changes

    def find(self, alert_id: str, *, consistent: bool = False) -> StoredAlert | None:
        self.calls["read"] += 1
        item = self.items.get(alert_id)
        return _alert(item) if item else None

    def correlation_pointer(self, integration_id: str, correlation_key: str) -> str:
        return f"CORRELATION#{integration_id}/{correlation_key}"

    def claim_correlation(
        self, pointer: str, own_id: str, *, now: datetime, until: datetime, expires_at: int
    ) -> str:
        self.calls["write"] += 1
        return self.pointers.setdefault(pointer, own_id)

    def release_correlation(self, pointer: str, incident_id: str) -> None:
        if self.pointers.get(pointer) == incident_id:
            del self.pointers[pointer]


def _alert(item: Record) -> StoredAlert:
    return StoredAlert.model_validate(copy.deepcopy(item))


class FakeConfig:
    def __init__(self) -> None:
        self.current_records: dict[str, Record] = {}

    def current(self, kind: str, *, consistent: bool = False) -> Record | None:
        return copy.deepcopy(self.current_records.get(kind))

    def save(self, kind: str, body: Record) -> None:
        self.current_records[kind] = copy.deepcopy(body)

    def save_version(self, kind: str, version: int, body: Record, *, first: bool) -> None:
        self.save(kind, body)

    def template(self, template_id: str) -> str | None:
        return None

    # The live configuration: copies by section and key; None until built.
    live_sections: dict[str, dict[str, Record]] | None = None

    def live(self) -> dict[str, dict[str, Record]] | None:
        return copy.deepcopy(self.live_sections)

    def put_live(self, section: str, key: str, body: Record, *, expires_at: int | None = None) -> None:
        self.live_sections = self.live_sections or {}
        self.live_sections.setdefault(section, {})[key] = copy.deepcopy(body)

    def delete_live(self, section: str, key: str) -> None:
        (self.live_sections or {}).get(section, {}).pop(key, None)

    def build_live(self, copies: dict[tuple[str, str], tuple[Record, int | None]]) -> None:
        for (section, key), (body, _) in copies.items():
            self.put_live(section, key, body)
        self.live_sections = self.live_sections or {}


class FakeTeams:
    def __init__(self, *teams: Team) -> None:
        self.teams = {t.name: t for t in teams}

    def find(self, name: str) -> Team | None:
        return self.teams.get(name)


class FakeDeliveries:
    def __init__(self) -> None:
        self.items: dict[str, Record] = {}

    def claim(self, message: DeliveryMessage, *, now: datetime, lease_until: datetime) -> list[str] | None:
        delivery_id = message.delivery_id
        item = self.items.get(delivery_id)
        if item and item["status"] != "failed":
            return None
        self.items[delivery_id] = {
            "channel": message.channel,
            "team": message.team,
            "destinations": message.destinations,
            "purpose": message.purpose,
            "incident_id": message.ledger_key,
            "message": json.dumps(message.published()),
            "delivery_id": delivery_id,
            "status": "sending",
            "attempts": (item or {}).get("attempts", 0) + 1,
            "sent_to": (item or {}).get("sent_to", []),
            "created_at": (item or {}).get("created_at", iso(now)),
            "updated_at": iso(now),
        }
        return list(self.items[delivery_id]["sent_to"])

    def finish(
        self,
        delivery_id: str,
        *,
        sent: bool,
        detail: str,
        status_code: int | None,
        now: datetime,
        sent_to: list[str] | None = None,
    ) -> None:
        item = self.items[delivery_id]
        item.update(status="sent" if sent else "failed", detail=detail, last_status_code=status_code)
        item["sent_to"] = item["sent_to"] + (sent_to or [])

    def find(self, delivery_id: str) -> StoredDelivery | None:
        item = self.items.get(delivery_id)
        return StoredDelivery.model_validate(item) if item else None


class FakeHandoffs:
    """The handoff claims: a claim holds until finished, or until its lease lapses."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, datetime, str, str], Record] = {}

    def claim(
        self,
        schedule_id: str,
        at: datetime,
        user_id: str,
        direction: str,
        *,
        now: datetime,
        lease_until: datetime,
    ) -> bool:
        key = (schedule_id, at, user_id, direction)
        item = self.items.get(key)
        if item and (item["status"] == "notified" or item["lease_until"] >= now):
            return False
        self.items[key] = {"status": "claimed", "lease_until": lease_until}
        return True

    def finish(self, schedule_id: str, at: datetime, user_id: str, direction: str, *, now: datetime) -> None:
        self.items[(schedule_id, at, user_id, direction)]["status"] = "notified"


class FakePlaybooks:
    def all_stored(self) -> list[Playbook]:
        return []


class FakeSilences:
    def all_stored(self) -> list[Silence]:
        return []

    def expires_at(self, silence: Silence) -> int:
        return int(silence.ends_at.timestamp())


class FakeLadder:
    """The Step Functions adapter: remembers what was started and answered."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.answers: list[tuple[str, dict[str, Any]]] = []
        self.escalated: list[str] = []

    def start(self, incident_id: str, ladder_input: dict[str, Any], *, run: int = 0) -> str:
        name = self.execution_name(incident_id, run)
        if name not in self.started:
            self.started.append(name)
        return self.execution_arn(incident_id, run)

    def answer(self, task_token: str, output: dict[str, Any]) -> bool:
        self.answers.append((task_token, output))
        return True

    def escalate(self, task_token: str, reason: str, *, error: str = "ManualEscalation") -> None:
        self.escalated.append(task_token)

    def abandon(self, execution_arn: str, why: str) -> None:
        pass

    @staticmethod
    def execution_name(incident_id: str, run: int) -> str:
        return incident_id if run == 0 else f"{incident_id}-run{run}"

    @staticmethod
    def execution_arn(incident_id: str, run: int) -> str:
        return f"arn:aws:states:us-east-1:1:execution:vigil:{FakeLadder.execution_name(incident_id, run)}"

    @staticmethod
    def run_of(execution_arn: str) -> str:
        return execution_arn.rsplit(":", 1)[-1]

    run_number = staticmethod(ladder.run_number)

    @staticmethod
    def error_name(error: BaseException) -> str:
        return type(error).__name__


class FakeChannels:
    """Publishing and sending: remembers every message; HTTP posts answer `status`."""

    def __init__(self, status: int | None = 200) -> None:
        self.published: list[tuple[str, Record]] = []
        self.posted: list[tuple[str, bytes]] = []
        self.status = status
        self.status_by_url: dict[str, int | None] = {}

    def publish_notification(self, message: Record, channel: str) -> None:
        self.published.append((channel, copy.deepcopy(message)))

    def post(self, url: str, body: bytes, headers: dict[str, str], *, channel: str) -> HttpResult:
        self.posted.append((url, body))
        status = self.status_by_url.get(url, self.status)
        error = None if status else "ConnectionRefusedError"
        return HttpResult(status, "", error)


class FakeEvents:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Record]] = []

    def put_event(self, detail_type: str, detail: Record) -> None:
        self.sent.append((detail_type, detail))
