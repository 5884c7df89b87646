"""Configuration as code on the local runtime: export, plan, apply (all or nothing, versioned),
the configuration-change timeline and the published JSON Schema."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.client import ApiClient

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "config.schema.json"


@pytest.fixture
def restored(api: ApiClient) -> Iterator[dict[str, Any]]:
    """The live configuration before the test; applied again afterwards."""
    before = api.get("/api/config").body
    yield before
    now = api.get("/api/config").body
    reply = api.post("/api/config/apply", {"version": now["version"], "config": before["config"]})
    assert reply.status == 200, reply.body


def proposed_change(config: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    changed["teams"]["cfg_payments"] = {
        "members": [{"name": "Ada", "contact_methods": [{"type": "email", "address": "ada@example.com"}]}],
        "email_list": ["payments@example.com"],
    }
    changed["assignment_rules"]["by_category"]["database"] = "cfg_payments"
    changed["templates"]["sms_text:critical"] = "CRIT {{ incident.title }}"
    changed["silences"].append(
        {
            "matchers": [{"name": "labels.service", "op": "=", "value": "cfg-batch"}],
            "starts_at": "2026-01-01T00:00:00Z",
            "ends_at": "2099-01-01T00:00:00Z",
            "comment": "cfg: batch jobs are noisy",
        }
    )
    changed["integrations"]["cfg prometheus"] = {
        "kind": "alertmanager",
        "settings": {"maintenance_windows": [{"days": ["sat"], "start": "02:00", "end": "04:00"}]},
    }
    return changed


SECTIONS_OF_ON_CALL = ("users", "schedules", "escalation_policies", "services")


def _without_test_objects(section: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in section.items() if not name.startswith("cfg_")}


def with_people_and_on_call(config: dict[str, Any]) -> dict[str, Any]:
    """A person, a schedule of that person, a policy paging the schedule and a service using it:
    each refers to the one before, in one document."""
    changed = proposed_change(config)
    changed["users"]["cfg_ann"] = {"name": "Ann", "email": "ann@example.com", "time_zone": "Europe/Paris"}
    changed["schedules"]["cfg_primary"] = {
        "name": "cfg primary",
        "time_zone": "Europe/Paris",
        "layers": [
            {
                "participants": ["cfg_ann"],
                "rotation": "weekly",
                "handoff_time": "09:00",
                "start": "2026-01-05T08:00:00Z",
            }
        ],
    }
    changed["escalation_policies"]["cfg_payments"] = {
        "name": "cfg payments",
        "targets": ["schedule:cfg_primary"],
        "rules": [{"escalation_level": 1, "escalate_to": "user:cfg_ann", "escalate_after_seconds": 300}],
    }
    changed["services"]["cfg_checkout"] = {"name": "cfg checkout", "escalation_policy_id": "cfg_payments"}
    return changed


def test_export_apply_export_is_identical(api: ApiClient, restored: dict[str, Any]) -> None:
    unchanged = api.post("/api/config/apply", {"version": restored["version"], "config": restored["config"]})
    assert unchanged.status == 200, unchanged.body
    assert unchanged.body["changes"] == [] and unchanged.body["version"] == restored["version"]
    assert api.get("/api/config").body["config"] == restored["config"]

    proposed = proposed_change(restored["config"])
    applied = api.post("/api/config/apply", {"version": restored["version"], "config": proposed})
    assert applied.status == 200, applied.body
    assert [c["integration"] for c in applied.body["created"]] == ["cfg prometheus"]
    assert applied.body["created"][0]["token"].startswith("vgi")
    exported = api.get("/api/config").body
    assert exported["version"] == applied.body["version"] != restored["version"]
    assert exported["revision"] == applied.body["revision"]
    again = api.post("/api/config/apply", {"version": exported["version"], "config": exported["config"]})
    assert again.status == 200 and again.body["changes"] == [], again.body
    assert api.get("/api/config").body["config"] == exported["config"]
    assert exported["config"]["teams"]["cfg_payments"]["email_list"] == ["payments@example.com"]
    assert exported["config"]["templates"]["sms_text:critical"] == "CRIT {{ incident.title }}"
    assert "cfg prometheus" in exported["config"]["integrations"]


def test_people_schedules_policies_and_services_round_trip(api: ApiClient, restored: dict[str, Any]) -> None:
    proposed = with_people_and_on_call(restored["config"])
    applied = api.post("/api/config/apply", {"version": restored["version"], "config": proposed})
    assert applied.status == 200, applied.body
    created = {(c["section"], c["name"]) for c in applied.body["changes"] if c["action"] == "create"}
    assert {("users", "cfg_ann"), ("schedules", "cfg_primary"), ("escalation_policies", "cfg_payments"),
            ("services", "cfg_checkout")} <= created  # fmt: skip
    assert api.get("/api/services/cfg_checkout").body["escalation_policy_id"] == "cfg_payments"
    exported = api.get("/api/config").body
    again = api.post("/api/config/apply", {"version": exported["version"], "config": exported["config"]})
    assert again.status == 200 and again.body["changes"] == [], again.body
    assert exported["config"]["schedules"]["cfg_primary"]["layers"][0]["participants"] == ["cfg_ann"]
    removed = {  # the test's own objects only: other tests' people and schedules stay
        **exported["config"],
        **{name: _without_test_objects(exported["config"][name]) for name in SECTIONS_OF_ON_CALL},
    }
    gone = api.post("/api/config/apply", {"version": exported["version"], "config": removed})
    assert gone.status == 200, gone.body
    order = [(c["section"], c["action"]) for c in gone.body["changes"]]
    assert order == [("services", "delete"), ("escalation_policies", "delete"), ("schedules", "delete"),
                     ("users", "delete")]  # fmt: skip


def test_a_write_that_fails_is_undone(api: ApiClient, restored: dict[str, Any]) -> None:
    """A policy paging a person the document does not have passes its model; its write is
    refused, and the objects written before it are undone."""
    proposed = with_people_and_on_call(restored["config"])
    proposed["escalation_policies"]["cfg_payments"]["rules"][0]["escalate_to"] = "user:cfg_nobody"
    reply = api.post("/api/config/apply", {"version": restored["version"], "config": proposed})
    assert reply.status == 400, reply.body
    assert api.get("/api/config").body == restored
    assert api.get("/api/users/cfg_ann").status == 404


def test_plan_lists_each_object_and_changes_nothing(api: ApiClient, restored: dict[str, Any]) -> None:
    proposed = proposed_change(restored["config"])
    del proposed["teams"]  # a section left out is not managed
    proposed["alerting_rules"]["open_incident_for"] = ["emergency", "critical"]
    reply = api.post("/api/config/plan", {"config": proposed})
    assert reply.status == 200, reply.body
    assert reply.body["version"] == restored["version"]
    planned = {(c["section"], c["action"]) for c in reply.body["changes"]}
    assert planned == {
        ("alerting_rules", "update"),
        ("assignment_rules", "update"),
        ("templates", "create"),
        ("silences", "create"),
        ("integrations", "create"),
    }
    rules = next(c for c in reply.body["changes"] if c["section"] == "alerting_rules")
    assert rules["after"]["open_incident_for"] == ["emergency", "critical"]
    assert api.get("/api/config").body == restored


def test_a_removed_object_is_planned_as_a_delete(api: ApiClient, restored: dict[str, Any]) -> None:
    assert api.put("/api/teams/cfg_gone", {"email_list": ["gone@example.com"]}).status == 200
    live = api.get("/api/config").body
    without = {"teams": {k: v for k, v in live["config"]["teams"].items() if k != "cfg_gone"}}
    reply = api.post("/api/config/plan", {"config": without})
    assert [(c["section"], c["name"], c["action"]) for c in reply.body["changes"]] == [
        ("teams", "cfg_gone", "delete")
    ]
    applied = api.post("/api/config/apply", {"version": live["version"], "config": without})
    assert applied.status == 200, applied.body
    assert api.get("/api/teams/cfg_gone").status == 404


def test_an_apply_that_fails_validation_changes_nothing(api: ApiClient, restored: dict[str, Any]) -> None:
    proposed = proposed_change(restored["config"])
    proposed["templates"]["email_subject"] = "{{ incident.title"  # does not compile
    reply = api.post("/api/config/apply", {"version": restored["version"], "config": proposed})
    assert reply.status == 400, reply.body
    assert reply.body["error"]["details"][0]["field"].startswith("config.templates.email_subject"), reply.body
    bad_team = proposed_change(restored["config"])
    bad_team["teams"]["cfg_payments"]["members"][0]["contact_methods"][0]["address"] = "not-an-email"
    refused = api.post("/api/config/apply", {"version": restored["version"], "config": bad_team})
    assert refused.status == 400, refused.body
    assert "cfg_payments" in refused.body["error"]["details"][0]["field"], refused.body
    assert api.get("/api/config").body == restored


def test_an_apply_against_a_moved_version_is_refused(api: ApiClient, restored: dict[str, Any]) -> None:
    plan = api.post("/api/config/plan", {"config": proposed_change(restored["config"])}).body
    assert api.put("/api/teams/cfg_meanwhile", {"email_list": ["x@example.com"]}).status == 200
    moved = api.post("/api/config/apply", {"version": plan["version"], "config": restored["config"]})
    assert moved.status == 409, moved.body
    assert "plan again" in moved.body["error"]["message"]
    assert "cfg_payments" not in api.get("/api/config").body["config"]["teams"]


def test_each_apply_is_on_the_configuration_timeline(api: ApiClient, restored: dict[str, Any]) -> None:
    proposed = proposed_change(restored["config"])
    applied = api.post("/api/config/apply", {"version": restored["version"], "config": proposed}).body
    latest = api.get("/api/config/changes?limit=1").body["items"][0]
    assert latest["revision"] == applied["revision"] and latest["version"] == applied["version"]
    assert {"section": "teams", "name": "cfg_payments", "action": "create"} in latest["changes"]
    assert latest["saved_by"] == applied["saved_by"] != "", latest


def test_the_published_schema_is_served_and_committed(api: ApiClient) -> None:
    served = api.get("/api/config/schema")
    assert served.status == 200
    assert served.body == json.loads(SCHEMA.read_text()), "run `make config-schema`"
    assert set(served.body["properties"]) >= {"teams", "escalation_policy", "silences", "integrations"}


def test_a_schedules_overrides_round_trip(api: ApiClient, restored: dict[str, Any]) -> None:
    """Overrides that have not ended are part of their schedule: apply creates them (an id left
    out is derived), export shows them, export -> apply -> export is identical, and a plan names
    each one removed. An override that has ended is not in the export, and an apply keeps it."""
    now = datetime.now(UTC).replace(microsecond=0)
    proposed = with_people_and_on_call(restored["config"])
    proposed["users"]["cfg_bob"] = {
        "name": "Bob",
        "email": "bob@example.com",
        "time_zone": "America/New_York",
    }
    later = {"id": "ovr_cfg_later", "user_id": "cfg_bob", "start": at(now, days=1), "end": at(now, days=2)}
    covering = {"user_id": "cfg_bob", "start": at(now, hours=-1), "end": at(now, hours=1)}
    proposed["schedules"]["cfg_primary"]["overrides"] = [later, covering]
    applied = api.post("/api/config/apply", {"version": restored["version"], "config": proposed})
    assert applied.status == 200, applied.body
    assert api.get("/api/schedules/cfg_primary/oncall").body["shifts"][0]["user_id"] == "cfg_bob"

    exported = api.get("/api/config").body
    overrides = exported["config"]["schedules"]["cfg_primary"]["overrides"]
    assert overrides[0] == later and overrides[1]["id"].startswith("ovr_")  # in the document's order
    assert overrides[1] | {"id": None} == covering | {"id": None}
    again = api.post("/api/config/apply", {"version": exported["version"], "config": exported["config"]})
    assert again.status == 200 and again.body["changes"] == [], again.body
    assert api.get("/api/config").body["config"] == exported["config"]

    ended = {"user_id": "cfg_bob", "start": at(now, days=-2), "end": at(now, days=-1)}
    past = api.post("/api/schedules/cfg_primary/overrides", ended)
    assert past.status == 201, past.body
    assert api.get("/api/config").body["config"] == exported["config"]
    fewer = copy.deepcopy(exported["config"])
    fewer["schedules"]["cfg_primary"]["overrides"] = [*overrides[1:], ended]  # an ended one is ignored
    planned = api.post("/api/config/plan", {"config": fewer}).body
    assert [(c["name"], c["action"], c["details"]) for c in planned["changes"]] == [
        (
            "cfg_primary",
            "update",
            [f"- override ovr_cfg_later: cfg_bob from {later['start']} to {later['end']}"],
        )
    ]
    removed = api.post("/api/config/apply", {"version": planned["version"], "config": fewer})
    assert removed.status == 200, removed.body
    stored = api.get("/api/schedules/cfg_primary").body["overrides"]
    assert [o["id"] for o in stored] == [past.body["id"], overrides[1]["id"]]


def at(moment: datetime, **delta: int) -> str:
    return (moment + timedelta(**delta)).isoformat().replace("+00:00", "Z")
