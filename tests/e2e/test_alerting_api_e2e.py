"""The original spec's alerting API and silences, over HTTP."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from tests.helpers.client import ApiClient


def _alert(**fields: object) -> dict[str, object]:
    return {
        "title": f"cpu high {secrets.token_hex(4)}",
        "severity": "high",
        "category": "system",
        "source": "api-test",
        "labels": {"host": "web-1"},
        **fields,
    }


def test_send_creates_then_updates_with_the_seed_correlation_result(api: ApiClient) -> None:
    alert = _alert(correlation_id="db-conn-001")
    first = api.post("/api/alerting/send", alert)
    assert first.status == 200, first.body
    assert first.body["correlation_result"] == {
        "action": "create_new",
        "reason": "new alert",
        "existing_alert_id": None,
        "correlation_id": "db-conn-001",
    }
    assert first.body["incident_id"].startswith("inc_")
    again = api.post("/api/alerting/send", alert)
    result = again.body["correlation_result"]
    assert result["action"] == "update_existing" and result["existing_alert_id"] == first.body["alert_id"]
    assert again.body["incident_id"] == first.body["incident_id"]
    detail = api.get(f"/api/alerting/{first.body['alert_id']}").body
    assert detail["occurrences"] == 2 and '"db-conn-001"' in detail["raw_payload"]

    related = api.post("/api/alerting/send", _alert(correlation_id="db-conn-001"))
    assert related.body["action"] == "joined" and related.body["incident_id"] == first.body["incident_id"]
    assert related.body["correlation_result"]["action"] == "update_existing"


def test_bulk_judges_each_item_alone(api: ApiClient) -> None:
    good = [_alert() for _ in range(3)]
    reply = api.post(
        "/api/alerting/bulk",
        {"alerts": [good[0], {"title": ""}, good[1], {"title": "x", "severity": "huge"}, good[2]]},
    )
    assert reply.status == 200, reply.body
    assert (reply.body["accepted"], reply.body["rejected"]) == (3, 2)
    errors = {i["index"]: i["errors"][0]["field"] for i in reply.body["items"] if not i["ok"]}
    assert errors == {1: "alerts[1].title", 3: "alerts[3].severity"}
    assert api.post("/api/alerting/bulk", {"alerts": [_alert()] * 1001}).status == 400


def test_list_filters_and_pages(api: ApiClient) -> None:
    source = f"lister-{secrets.token_hex(3)}"
    for n in range(3):
        api.post("/api/alerting/send", _alert(source=source, title=f"{source} {n}", severity="low"))
    page = api.get(f"/api/alerting?source={source}&limit=2").body
    assert [a["title"] for a in page["items"]] == [f"{source} 2", f"{source} 1"]
    rest = api.get(f"/api/alerting?source={source}&limit=2&cursor={page['next_cursor']}").body
    assert [a["title"] for a in rest["items"]] == [f"{source} 0"] and rest["next_cursor"] is None
    assert api.get("/api/alerting?severity=huge").status == 400
    assert api.get("/api/alerting/alr_missing").status == 404


def test_silence_keeps_matching_alerts_quiet_until_it_ends(api: ApiClient) -> None:
    now = datetime.now(UTC)
    host = f"db-{secrets.token_hex(3)}"
    created = api.post(
        "/api/silences",
        {
            "matchers": [
                {"name": "labels.host", "value": host},
                {"name": "severity", "op": "=~", "value": "high|critical"},
            ],
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "comment": "db maintenance",
        },
    )
    assert created.status == 201, created.body
    silenced = api.post("/api/alerting/send", _alert(labels={"host": host}))
    assert silenced.body["action"] == "silenced" and silenced.body["incident_id"] is None
    detail = api.get(f"/api/alerting/{silenced.body['alert_id']}").body
    assert detail["silenced_by"] == created.body["silence_id"]
    other = api.post("/api/alerting/send", _alert(labels={"host": "elsewhere"}))
    assert other.body["action"] == "opened"

    assert api.call("DELETE", f"/api/silences/{created.body['silence_id']}").status == 200
    assert all(s["silence_id"] != created.body["silence_id"] for s in api.get("/api/silences").body["items"])
    after = api.post("/api/alerting/send", _alert(labels={"host": host}))
    assert after.body["action"] == "opened"


def test_invalid_silences_are_refused_naming_the_field(api: ApiClient) -> None:
    now = datetime.now(UTC)
    base = {
        "matchers": [{"name": "severity", "value": "high"}],
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        "comment": "x",
    }
    bad_name = {**base, "matchers": [{"name": "colour", "value": "red"}]}
    bad_regex = {**base, "matchers": [{"name": "title", "op": "=~", "value": "("}]}
    backwards = {**base, "ends_at": (now - timedelta(hours=1)).isoformat()}
    for body, field in (
        (bad_name, "body.matchers[0].name"),
        (bad_regex, "body.matchers[0]"),
        (backwards, "body"),
    ):
        reply = api.post("/api/silences", body)
        assert reply.status == 400, body
        assert reply.body["error"]["details"][0]["field"] == field


def test_integration_grouping_key_template_groups_alerts_into_one_incident(api: ApiClient) -> None:
    integration = api.integration("generic", {"grouping_key": "{{ labels.service }}"})
    service = f"svc-{secrets.token_hex(3)}"
    first = api.post(
        f"/api/hooks/{integration['token']}",
        {"title": "latency high", "severity": "high", "labels": {"service": service}},
        key=None,
    )
    second = api.post(
        f"/api/hooks/{integration['token']}",
        {"title": "errors high", "severity": "high", "labels": {"service": service}},
        key=None,
    )
    other = api.post(
        f"/api/hooks/{integration['token']}",
        {"title": "errors high", "severity": "high", "labels": {"service": "elsewhere"}},
        key=None,
    )
    opened = first.body["alerts"][0]
    assert opened["action"] == "opened"
    assert (second.body["alerts"][0]["action"], second.body["alerts"][0]["incident_id"]) == (
        "joined",
        opened["incident_id"],
    )
    assert other.body["alerts"][0]["incident_id"] != opened["incident_id"]
    bad = api.post(
        "/api/integrations",
        {"name": "bad grouping", "kind": "generic", "settings": {"grouping_key": "{{ labels.service"}},
    )
    assert bad.status == 400 and bad.body["error"]["details"][0]["field"] == "body.settings.grouping_key"
