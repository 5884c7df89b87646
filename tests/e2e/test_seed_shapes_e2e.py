"""The original spec's request shapes work as it writes them, beside Vigil's own: from-alert
with an alert body, escalate with escalation_level (in test_responders_e2e), bulk with a bare
list, and a test notification with an empty body."""

from __future__ import annotations

from tests.helpers.client import ApiClient
from tests.helpers.receiver import Receiver

BASE = "/api/incident_response"


def test_from_alert_takes_the_alert_itself(api: ApiClient) -> None:
    alert = {"title": "seed: nightly export late", "severity": "info", "source": "cron"}
    reply = api.post(f"{BASE}/from-alert", alert)
    assert reply.status == 200, reply.body
    assert reply.body["title"] == "seed: nightly export late" and reply.body["severity"] == "info"
    assert [a["title"] for a in reply.body["alerts"]] == ["seed: nightly export late"]
    again = api.post(f"{BASE}/from-alert", {"alert": alert})
    assert again.status == 200 and again.body["incident_id"] == reply.body["incident_id"]
    bad = api.post(f"{BASE}/from-alert", {"severity": "huge"})
    assert bad.status == 400
    assert {d["field"] for d in bad.body["error"]["details"]} >= {"body.alert.title", "body.alert.severity"}


def test_bulk_takes_a_bare_list(api: ApiClient) -> None:
    alerts = [{"title": "seed: bulk one", "severity": "low"}, {"title": "", "severity": "low"}]
    reply = api.post("/api/alerting/bulk", alerts)
    assert reply.status == 200, reply.body
    assert (reply.body["accepted"], reply.body["rejected"]) == (1, 1)
    assert reply.body["items"][1]["errors"][0]["field"] == "alerts[1].title"
    assert api.post("/api/alerting/bulk", []).status == 400


def test_an_empty_test_request_tests_every_channel_of_the_default_team(
    api: ApiClient, receiver: Receiver
) -> None:
    rules = api.get(f"{BASE}/assignment-rules").body
    team = rules["default_team"]
    before = api.get(f"/api/teams/{team}").body
    body = {"webhook_url": f"{receiver.url}/default", "email_list": ["default-team@example.com"]}
    assert api.put(f"/api/teams/{team}", body).status == 200
    try:
        reply = api.post("/api/alerting/test", {})
    finally:
        restore = {k: v for k, v in before.items() if k != "name"}
        assert api.put(f"/api/teams/{team}", restore).status == 200
    assert reply.status == 200, reply.body
    results = {r["channel"]: r for r in reply.body["results"]}
    assert set(results) == {"email", "slack", "webhook", "sms"}
    assert results["webhook"]["ok"] and results["email"]["ok"]
    assert not results["sms"]["ok"] and "no sms destination" in results["sms"]["detail"]
    assert any(r.path.endswith("/default") for r in receiver.requests)


def test_email_templates_read_and_write_as_subject_and_body(api: ApiClient) -> None:
    pair = "/api/alerting/templates/email:medium/pair"
    default = api.get(pair)
    assert default.status == 200 and not default.body["custom"]
    assert default.body["subject_template"] and default.body["body_template"]
    written = {"subject_template": "[M] {{ incident.title }}", "body_template": "{{ incident.description }}"}
    try:
        saved = api.put(pair, written)
        assert saved.status == 200, saved.body
        read = api.get(pair).body
        assert (read["subject_template"], read["body_template"], read["custom"]) == (
            written["subject_template"],
            written["body_template"],
            True,
        )
        listed = {t["template_id"]: t["source"] for t in api.get("/api/alerting/templates").body["items"]}
        assert listed["email_subject:medium"] == written["subject_template"]
        broken = api.put(pair, {**written, "body_template": "{{ incident.title "})
        assert broken.status == 400
        assert broken.body["error"]["details"][0]["field"] == "body.body_template"
        assert api.get("/api/alerting/templates/sms_text/pair").status == 404
    finally:
        for part in ("email_subject:medium", "email_text:medium"):
            api.call("DELETE", f"/api/alerting/templates/{part}")
