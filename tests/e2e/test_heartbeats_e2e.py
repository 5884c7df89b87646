"""Heartbeats on the local runtime: a missed ping opens an incident that pages through the
ladder, the next ping resolves it; the ping URL is checked by its token; bad input names its
field. The minute's check is run at once through /_local/schedule/, at a moment past the due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from vigil.domain.clock import iso, parse_iso

from tests.helpers.client import ApiClient, wait_for
from tests.helpers.receiver import Receiver

BASE = "/api/heartbeats"
INCIDENTS = "/api/incident_response"
CHECK = "/_local/schedule/HeartbeatsFunction"


def _create(api: ApiClient, **fields: Any) -> dict[str, Any]:
    reply = api.post(BASE, {"name": "nightly backup", "interval_seconds": 60, "grace_seconds": 0, **fields})
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _check_after(api: ApiClient, heartbeat: dict[str, Any], seconds: int = 1) -> dict[str, Any]:
    moment = iso(parse_iso(heartbeat["due_at"]) + timedelta(seconds=seconds))
    reply = api.post(CHECK, {"time": moment})
    assert reply.status == 200, reply.body
    return dict(reply.body)


def _ping_path(heartbeat: dict[str, Any]) -> str:
    return "/api/" + heartbeat["ping_url"].split("/api/", 1)[1]


def test_missed_heartbeat_opens_a_paged_incident_and_the_next_ping_resolves_it(
    api: ApiClient, receiver: Receiver
) -> None:
    team = {
        "webhook_url": f"{receiver.url}/on_call_engineer",
        "members": [{"name": "Ann", "contact_methods": [{"type": "email", "address": "hb@example.com"}]}],
    }
    assert api.put("/api/teams/on_call_engineer", team)  # a high incident pages it first.status == 200
    heartbeat = _create(api)
    assert heartbeat["state"] == "up" and heartbeat["ping_url"].endswith("/ping")
    assert "/api/heartbeats/vgh_" in heartbeat["ping_url"]

    assert _check_after(api, heartbeat, seconds=-1) == {"missed": []}  # not yet due
    missed = _check_after(api, heartbeat)["missed"]
    assert [m["heartbeat_id"] for m in missed] == [heartbeat["heartbeat_id"]]
    incident_id = missed[0]["incident_id"]
    incident = api.incident(incident_id)
    assert incident["status"] == "open" and "nightly backup" in incident["title"]
    assert api.get(f"{BASE}/{heartbeat['heartbeat_id']}").body["state"] == "missed"
    assert _check_after(api, heartbeat, seconds=120) == {"missed": []}  # one miss, one incident

    def paged() -> list[str]:
        items = api.get("/_local/outbox").body["items"]
        return [i["target"] for i in items if incident_id in str(i["body"])]

    assert "hb@example.com" in wait_for(lambda: "hb@example.com" in paged() and paged())

    pinged = api.get(_ping_path(heartbeat), key=None)
    assert pinged.status == 200, pinged.body
    assert pinged.body["recovered"] is True and pinged.body["state"] == "up"
    assert api.incident(incident_id)["status"] == "resolved"
    timeline = api.get(f"{INCIDENTS}/{incident_id}/timeline").body["items"]
    assert any(e["kind"] == "status" and e["data"]["to"] == "resolved" for e in timeline), timeline

    again = api.post(_ping_path(heartbeat), {}, key=None)
    assert again.status == 200 and again.body["recovered"] is False
    assert parse_iso(again.body["due_at"]) > parse_iso(heartbeat["due_at"])
    # deleted, so that the runtime's own minute timer never pages for it during later tests
    assert api.call("DELETE", f"{BASE}/{heartbeat['heartbeat_id']}").status == 200


def test_list_get_delete_and_the_ping_url_stops(api: ApiClient) -> None:
    heartbeat = _create(api, name="etl", grace_seconds=120)
    listed = api.get(BASE).body["items"]
    assert heartbeat["heartbeat_id"] in [h["heartbeat_id"] for h in listed]
    assert all("ping_url" not in h and "token_hash" not in h for h in listed)
    deleted = api.call("DELETE", f"{BASE}/{heartbeat['heartbeat_id']}")
    assert deleted.status == 200 and deleted.body["name"] == "etl"
    assert api.get(f"{BASE}/{heartbeat['heartbeat_id']}").status == 404
    assert api.get(_ping_path(heartbeat), key=None).status == 401


def test_a_ping_with_a_wrong_token_is_refused(api: ApiClient) -> None:
    reply = api.post(f"{BASE}/vgh_not_a_token/ping", {}, key=None)
    assert reply.status == 401
    assert reply.body["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"interval_seconds": 60}, "name"),
        ({"name": "x"}, "interval_seconds"),
        ({"name": "x", "interval_seconds": 5}, "interval_seconds"),
        ({"name": "x", "interval_seconds": 60, "grace_seconds": -1}, "grace_seconds"),
        ({"name": "x", "interval_seconds": 60, "service_id": "svc_nope"}, "service_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api: ApiClient, body: dict[str, Any], field: str) -> None:
    reply = api.post(BASE, body)
    assert reply.status == 400, reply.body
    assert field in str(reply.body["error"]), reply.body
