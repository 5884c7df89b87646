"""Response playbooks over HTTP on the local runtime: the original spec's four attached to incidents of
their kind and worked through step by step, automated webhook steps that reach a loopback
receiver (or fail, recorded), and invalid playbooks refused with the field named."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.client import ApiClient
from tests.helpers.receiver import Receiver

BASE = "/api/incident_response"
STEP_STATUSES = ["done", "done", "failed", "done", "skipped", "done"]


def open_incident(api: ApiClient, title: str, **fields: Any) -> dict[str, Any]:
    reply = api.post(BASE, {"title": title, **fields})
    assert reply.status == 201, reply.body
    return dict(reply.body)


def entries(detail: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in detail["timeline"] if e["kind"] == kind]


def mark(api: ApiClient, incident_id: str, n: int, status: str, note: str = "") -> Any:
    return api.post(f"{BASE}/{incident_id}/playbook/steps/{n}", {"status": status, "note": note})


def a_playbook(token: str, steps: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A playbook that only incidents whose title carries `token` can match."""
    return {
        "playbook_id": f"e2e-{token}",
        "title": f"E2E {token}",
        "match": {"title_keywords": [token]},
        "steps": steps,
        "estimated_duration_minutes": 5,
        **fields,
    }


def webhook_step(url: str, title: str = "Collect diagnostics") -> dict[str, Any]:
    return {"type": "automated", "title": title, "action": "webhook", "url": url}


@pytest.fixture
def token() -> str:
    return f"tok{secrets.token_hex(4)}"


@pytest.fixture
def stored(api: ApiClient) -> Iterator[list[str]]:
    """Ids of playbooks a test stores; deleted afterwards so that they match nothing else."""
    ids: list[str] = []
    yield ids
    for playbook_id in ids:
        api.call("DELETE", f"{BASE}/playbooks/{playbook_id}")


def create(api: ApiClient, stored: list[str], body: dict[str, Any]) -> dict[str, Any]:
    reply = api.post(f"{BASE}/playbooks", body)
    assert reply.status == 201, reply.body
    stored.append(reply.body["playbook_id"])
    return dict(reply.body)


def run_step_with_playbook(
    api: ApiClient, stored: list[str], token: str, steps: list[dict[str, Any]]
) -> tuple[str, Any]:
    """Store a playbook, open an incident that it matches, and run its step 1."""
    create(api, stored, a_playbook(token, steps))
    incident = open_incident(api, f"checkout {token} failing", severity="medium")
    assert incident["playbook"]["playbook_id"] == f"e2e-{token}"
    return incident["incident_id"], mark(api, incident["incident_id"], 1, "run")


# ----------------------------------------------------------------------------- the original spec's four
def test_the_list_has_the_four_built_ins_and_is_not_taken_for_an_incident(api: ApiClient) -> None:
    reply = api.get(f"{BASE}/playbooks")
    assert reply.status == 200, reply.body
    built_in = [p for p in reply.body["items"] if p["built_in"]]
    assert [p["playbook_id"] for p in built_in] == [
        "database-connection-failure",
        "high-error-rate",
        "security-incident",
        "performance-degradation",
    ]
    assert all(
        len(p["steps"]) == 6 and p["estimated_duration_minutes"] and p["required_skills"] for p in built_in
    )
    one = api.get(f"{BASE}/playbooks/database-connection-failure")
    assert one.status == 200 and one.body["steps"][0]["title"] == "Check database server status"


@pytest.mark.parametrize(
    ("playbook_id", "incident"),
    [
        (
            "database-connection-failure",
            {"title": "Postgres: too many connections", "category": "database", "severity": "high"},
        ),
        ("high-error-rate", {"title": "High error rate on checkout API", "severity": "high"}),
        (
            "security-incident",
            {
                "title": "GuardDuty: unauthorized access from unknown IP",
                "category": "security",
                "severity": "high",
            },
        ),
        (
            "performance-degradation",
            {"title": "p99 latency above 2 s on search", "category": "performance", "severity": "medium"},
        ),
    ],
)
def test_a_seed_playbook_is_attached_to_its_kind_and_worked_through(
    api: ApiClient, playbook_id: str, incident: dict[str, Any]
) -> None:
    opened = open_incident(api, **incident)
    incident_id = opened["incident_id"]
    assert opened["playbook"]["playbook_id"] == playbook_id
    assert opened["playbook"]["done"] == 0 and opened["playbook"]["total"] == 6
    (attached,) = entries(opened, "playbook")
    assert opened["playbook"]["title"] in attached["message"] and "score" in attached["message"]

    for n, status in enumerate(STEP_STATUSES, start=1):
        reply = mark(api, incident_id, n, status, f"note {n}")
        assert reply.status == 200, reply.body
        assert reply.body["playbook"]["steps"][n - 1]["status"] == status

    detail = api.incident(incident_id)
    progress = detail["playbook"]
    assert (progress["done"], progress["failed"], progress["skipped"], progress["total"]) == (4, 1, 1, 6)
    assert progress["complete"] and progress["estimated_minutes"] > progress["elapsed_minutes"] >= 0
    assert all(s["by"].startswith("key:") and s["at"] for s in progress["steps"])
    steps = entries(detail, "playbook_step")
    assert [(e["data"]["step"], e["data"]["status"]) for e in steps] == list(
        enumerate(STEP_STATUSES, start=1)
    )
    assert all(e["actor"].startswith("key:") for e in steps)
    assert f"step 6/6 '{progress['steps'][5]['title']}' done: note 6" in steps[-1]["message"]


def test_an_incident_opened_by_an_alert_gets_its_playbook(api: ApiClient) -> None:
    integration = api.integration("generic")
    alert = {"title": "RDS writer unreachable", "severity": "high", "category": "database"}
    sent = api.post(
        f"/api/hooks/{integration['token']}", {**alert, "dedup_key": secrets.token_hex(6)}, key=None
    )
    assert sent.status == 200, sent.body
    assert sent.body["alerts"][0]["action"] == "opened", sent.body
    detail = api.incident(sent.body["alerts"][0]["incident_id"])
    assert detail["playbook"]["playbook_id"] == "database-connection-failure"
    assert detail["playbook"]["attached_by"] == "system"
    assert "category is database" in entries(detail, "playbook")[0]["message"]


def test_an_incident_no_playbook_fits_opens_without_one(api: ApiClient) -> None:
    opened = open_incident(api, "BGP session flapping", category="network", severity="low")
    assert opened["playbook"] is None and entries(opened, "playbook") == []
    reply = mark(api, opened["incident_id"], 1, "done")
    assert reply.status == 404 and "no playbook" in reply.body["error"]["message"]


# ----------------------------------------------------------------------------- by hand
def test_a_responder_attaches_another_playbook(api: ApiClient) -> None:
    opened = open_incident(api, "Postgres replica lag", category="database")
    incident_id = opened["incident_id"]
    assert mark(api, incident_id, 1, "done").status == 200
    reply = api.post(f"{BASE}/{incident_id}/playbook", {"playbook_id": "performance-degradation"})
    assert reply.status == 200, reply.body
    progress = reply.body["playbook"]
    assert progress["playbook_id"] == "performance-degradation" and progress["done"] == 0
    assert progress["attached_by"].startswith("key:") and progress["reason"].startswith("chosen by key:")
    replaced = entries(reply.body, "playbook")[-1]
    assert "replacing 'Database Connection Failure Response' (1/6 steps done)" in replaced["message"]
    assert api.post(f"{BASE}/{incident_id}/playbook", {"playbook_id": "no-such-playbook"}).status == 404


def test_step_numbers_and_statuses_are_checked(api: ApiClient) -> None:
    incident_id = open_incident(api, "MySQL deadlocks", category="database")["incident_id"]
    assert mark(api, incident_id, 7, "done").status == 404
    zero = mark(api, incident_id, 0, "done")
    assert zero.status == 400 and zero.body["error"]["details"][0]["field"] == "path.n"
    unknown = mark(api, incident_id, 1, "finished")
    assert unknown.status == 400 and unknown.body["error"]["details"][0]["field"] == "body.status"
    manual = mark(api, incident_id, 1, "run")
    assert manual.status == 400 and manual.body["error"]["details"][0]["field"] == "status"
    assert api.incident(incident_id)["playbook"]["steps"][0]["status"] == "pending"


# ----------------------------------------------------------------------------- automated steps
def test_a_webhook_step_reaches_the_receiver_and_its_result_is_on_the_timeline(
    api: ApiClient, receiver: Receiver, stored: list[str], token: str
) -> None:
    incident_id, reply = run_step_with_playbook(api, stored, token, [webhook_step(receiver.url)])
    assert reply.status == 200, reply.body
    step = reply.body["playbook"]["steps"][0]
    assert step["status"] == "done" and step["result"]["http_status"] == 200
    assert "url" not in step

    (request,) = receiver.requests
    body = json.loads(request.body)
    assert body["schema"] == "vigil.playbook-step.v1"
    assert body["incident"]["incident_id"] == incident_id and body["step"]["number"] == 1
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", request.headers["X-Vigil-Signature"])
    assert request.headers["X-Vigil-Delivery"] == body["run_id"]

    (ran,) = entries(api.incident(incident_id), "playbook_step")
    assert ran["data"]["status"] == "done" and ran["data"]["http_status"] == 200
    assert "answered HTTP 200" in ran["message"] and "/hook" not in ran["message"]


def test_a_webhook_step_answered_with_500_is_failed_and_can_be_run_again(
    api: ApiClient, receiver: Receiver, stored: list[str], token: str
) -> None:
    receiver.status = 500
    incident_id, reply = run_step_with_playbook(api, stored, token, [webhook_step(receiver.url)])
    assert reply.status == 200, reply.body
    assert reply.body["playbook"]["steps"][0]["status"] == "failed"
    assert reply.body["playbook"]["failed"] == 1
    (failed,) = entries(reply.body, "playbook_step")
    assert failed["data"]["http_status"] == 500 and "failed: HTTP 500" in failed["message"]

    receiver.status = 200
    again = mark(api, incident_id, 1, "run")
    assert again.status == 200 and again.body["playbook"]["steps"][0]["status"] == "done"
    assert len(receiver.requests) == 2
    assert [e["data"]["status"] for e in entries(again.body, "playbook_step")] == ["failed", "done"]


def test_a_webhook_step_to_a_dead_port_is_recorded_as_failed(
    api: ApiClient, stored: list[str], token: str
) -> None:
    incident_id, reply = run_step_with_playbook(api, stored, token, [webhook_step("http://127.0.0.1:9/hook")])
    assert reply.status == 200, reply.body
    step = reply.body["playbook"]["steps"][0]
    assert step["status"] == "failed" and step["result"]["http_status"] is None
    assert "Connection" in step["result"]["error"]
    (failed,) = entries(api.incident(incident_id), "playbook_step")
    assert failed["data"]["status"] == "failed" and "127.0.0.1:9" in failed["message"]


def test_an_ssm_step_is_recorded_as_failed_in_the_local_runtime(
    api: ApiClient, stored: list[str], token: str
) -> None:
    ssm = {
        "type": "automated",
        "title": "Restart",
        "action": "ssm_automation",
        "document_name": "AWS-RestartEC2Instance",
    }
    incident_id, reply = run_step_with_playbook(api, stored, token, [ssm])
    assert reply.status == 200, reply.body
    step = reply.body["playbook"]["steps"][0]
    assert step["status"] == "failed" and step["result"]["execution_id"] is None
    (failed,) = entries(api.incident(incident_id), "playbook_step")
    assert "not available in the local runtime" in failed["message"]
    assert failed["data"]["document_name"] == "AWS-RestartEC2Instance"


# ----------------------------------------------------------------------------- the catalogue
def test_create_read_replace_delete(
    api: ApiClient, receiver: Receiver, stored: list[str], token: str
) -> None:
    body = a_playbook(token, [{"title": "look"}, webhook_step(receiver.url)], required_skills=["sre"])
    created = create(api, stored, body)
    playbook_id = created["playbook_id"]
    assert created["version"] == 1 and not created["built_in"] and created["updated_by"].startswith("key:")
    assert api.post(f"{BASE}/playbooks", body).status == 409
    assert api.get(f"{BASE}/playbooks/{playbook_id}").body["steps"][1]["url"] == receiver.url
    assert playbook_id in [p["playbook_id"] for p in api.get(f"{BASE}/playbooks").body["items"]]

    replaced = api.put(f"{BASE}/playbooks/{playbook_id}", {**body, "playbook_id": None, "title": "renamed"})
    assert replaced.status == 400  # playbook_id belongs in the path
    replaced = api.put(
        f"{BASE}/playbooks/{playbook_id}", {k: v for k, v in body.items() if k != "playbook_id"}
    )
    assert replaced.status == 200 and replaced.body["version"] == 2

    assert api.call("DELETE", f"{BASE}/playbooks/{playbook_id}").status == 200
    assert api.get(f"{BASE}/playbooks/{playbook_id}").status == 404
    assert api.call("DELETE", f"{BASE}/playbooks/{playbook_id}").status == 404


def test_create_with_an_idempotency_key_stores_one(api: ApiClient, stored: list[str], token: str) -> None:
    body = {k: v for k, v in a_playbook(token, [{"title": "look"}]).items() if k != "playbook_id"}
    headers = {"Idempotency-Key": token}
    first = api.post(f"{BASE}/playbooks", body, headers=headers)
    assert first.status == 201, first.body
    stored.append(first.body["playbook_id"])
    again = api.post(f"{BASE}/playbooks", body, headers=headers)
    assert again.status == 200 and again.body["playbook_id"] == first.body["playbook_id"]


def test_built_ins_are_read_only(api: ApiClient) -> None:
    built_in = api.get(f"{BASE}/playbooks/security-incident").body
    body = {k: built_in[k] for k in ("title", "match", "steps", "estimated_duration_minutes")}
    for reply in (
        api.put(f"{BASE}/playbooks/security-incident", body),
        api.call("DELETE", f"{BASE}/playbooks/security-incident"),
        api.post(f"{BASE}/playbooks", {**body, "playbook_id": "security-incident"}),
    ):
        assert reply.status == 409, reply.body
        assert "read-only" in reply.body["error"]["message"]
    assert api.get(f"{BASE}/playbooks/security-incident").status == 200
    assert api.put(f"{BASE}/playbooks/no-such-playbook", body).status == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"steps": []}, "body.steps"),
        ({"match": {"categories": ["databse"]}}, "body.match.categories[0]"),
        ({"match": {"severities": ["urgent"]}}, "body.match.severities[0]"),
        ({"match": {"title_keywords": ["db", ""]}}, "body.match.title_keywords[1]"),
        ({"steps": [{"type": "script", "title": "run it"}]}, "body.steps[0].type"),
        ({"steps": [{"type": "automated", "title": "hook"}]}, "body.steps[0].action"),
        ({"steps": [{"type": "automated", "title": "hook", "action": "webhook"}]}, "body.steps[0].url"),
        ({"steps": [webhook_step("ftp://127.0.0.1/x")]}, "body.steps[0].url"),
        ({"steps": [webhook_step("http:///no-host")]}, "body.steps[0].url"),
        ({"estimated_duration_minutes": 0}, "body.estimated_duration_minutes"),
        ({"playbook_id": "Not Valid!"}, "body.playbook_id"),
    ],
)
def test_invalid_playbooks_are_refused_naming_the_field(
    api: ApiClient, token: str, change: dict[str, Any], field: str
) -> None:
    reply = api.post(f"{BASE}/playbooks", {**a_playbook(token, [{"title": "look"}]), **change})
    assert reply.status == 400, reply.body
    assert field in [d["field"] for d in reply.body["error"]["details"]], reply.body
    assert api.get(f"{BASE}/playbooks/e2e-{token}").status == 404
