"""How senders authenticate and what they are told (issue 16): the integration token as
`Authorization: Bearer` on /api/hooks, the answer to creating a pagerduty integration, and
PagerDuty Change Events on the timelines of open incidents."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from tests.conftest import payload
from tests.helpers.client import ApiClient, Reply


def _bearer_hook(api: ApiClient, authorization: str | None, body: Any) -> Reply:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return api.call("POST", "/api/hooks", body, key=None, headers=headers)


def test_the_token_as_a_bearer_header_ingests_like_the_token_in_the_path(api: ApiClient) -> None:
    integration = api.integration("alertmanager")
    assert integration["bearer_url"].endswith("/api/hooks")
    assert integration["routing_key"] is None

    sent = _bearer_hook(api, f"Bearer {integration['token']}", payload("alertmanager_v4_firing_alerta.json"))
    assert sent.status == 200, sent.body
    assert sent.body["integration_id"] == integration["integration_id"]
    assert sent.body["alerts"] and sent.body["alerts"][0]["action"] in ("opened", "joined", "duplicate")


def test_a_missing_or_wrong_bearer_token_is_a_401_that_says_how(api: ApiClient) -> None:
    body = {"title": "nobody's alert"}
    missing = _bearer_hook(api, None, body)
    assert missing.status == 401 and "Authorization: Bearer" in missing.body["error"]["message"]
    assert _bearer_hook(api, "Basic dXNlcjpwYXNz", body).status == 401
    assert _bearer_hook(api, "Bearer vgi_not_a_token", body).status == 401
    assert _bearer_hook(api, f"Bearer {api.key}", body).status == 401  # an API key is not a sender's token


def test_creating_a_pagerduty_integration_answers_with_the_events_api_url_and_routing_key(
    api: ApiClient,
) -> None:
    created = api.integration("pagerduty")
    assert created["url"].endswith("/v2/enqueue") and "/api/hooks/" not in created["url"]
    assert created["routing_key"] == created["token"]
    assert created["change_url"].endswith("/v2/change/enqueue")
    rotated = api.post(f"/api/integrations/{created['integration_id']}/rotate", {"grace_seconds": 0}).body
    assert rotated["routing_key"] == rotated["token"] != created["token"]
    assert rotated["url"].endswith("/v2/enqueue")


def _trigger(api: ApiClient, routing_key: str, summary: str) -> str:
    event = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": f"chg-{uuid.uuid4().hex}",
        "payload": {"summary": summary, "source": "checkout-1", "severity": "critical"},
    }
    sent = api.post("/v2/enqueue", event, key=None)
    assert sent.status == 202, sent.body
    [incident] = api.get(f"/api/incident_response?text={quote(summary)}").body["items"]
    return str(incident["incident_id"])


def _changes(api: ApiClient, incident_id: str) -> list[dict[str, Any]]:
    return [e for e in api.incident(incident_id)["timeline"] if e["kind"] == "change"]


def test_a_change_event_goes_on_the_open_incidents_of_its_integration(api: ApiClient) -> None:
    pagerduty = api.integration("pagerduty")
    other = api.integration("pagerduty")
    tag = uuid.uuid4().hex[:8]
    open_id = _trigger(api, pagerduty["routing_key"], f"checkout errors {tag}")
    resolved_id = _trigger(api, pagerduty["routing_key"], f"checkout latency {tag}")
    assert api.post(f"/api/incident_response/{resolved_id}/resolve", {"reason": "fine"}).status == 200
    elsewhere_id = _trigger(api, other["routing_key"], f"search errors {tag}")

    change = {
        "routing_key": pagerduty["routing_key"],
        "payload": {
            "summary": f"Deployed checkout v2.3.1 {tag}",
            "timestamp": "2026-12-02T05:00:00+01:00",
            "source": "ci-pipeline",
            "custom_details": {"build": 812, "author": "jill"},
        },
        "links": [{"href": "https://ci.example.com/builds/812", "text": "build 812"}],
    }
    answer = api.post("/v2/change/enqueue", change, key=None)
    assert answer.status == 202, answer.body
    assert (answer.body["status"], answer.body["message"]) == ("success", "Change event processed")
    assert answer.body["incident_ids"] == [open_id]
    assert api.post("/v2/change/enqueue", change, key=None).status == 202  # a retry: one entry

    [entry] = _changes(api, open_id)
    assert entry["message"] == f"recent change: Deployed checkout v2.3.1 {tag}"
    assert entry["data"]["links"] == [{"href": "https://ci.example.com/builds/812", "text": "build 812"}]
    assert entry["data"]["timestamp"] == "2026-12-02T04:00:00.000Z"
    assert entry["data"]["custom_details"] == {"build": 812, "author": "jill"}
    assert _changes(api, resolved_id) == [] and _changes(api, elsewhere_id) == []


def test_an_invalid_change_event_is_a_400_naming_the_field(api: ApiClient) -> None:
    pagerduty = api.integration("pagerduty")
    no_summary = api.post("/v2/change/enqueue", {"routing_key": pagerduty["token"], "payload": {}}, key=None)
    assert no_summary.status == 400 and no_summary.body["error"]["details"][0]["field"] == "payload.summary"
    bad_link = {
        "routing_key": pagerduty["token"],
        "payload": {"summary": "x"},
        "links": [{"text": "no href"}],
    }
    refused = api.post("/v2/change/enqueue", bad_link, key=None)
    assert refused.status == 400 and refused.body["error"]["details"][0]["field"] == "links[0].href"
    assert (
        api.post(
            "/v2/change/enqueue", {"routing_key": "vgi_nope", "payload": {"summary": "x"}}, key=None
        ).status
        == 401
    )
    generic = api.integration("generic")
    wrong_kind = api.post(
        "/v2/change/enqueue", {"routing_key": generic["token"], "payload": {"summary": "x"}}, key=None
    )
    assert wrong_kind.status == 400 and wrong_kind.body["error"]["details"][0]["field"] == "routing_key"
