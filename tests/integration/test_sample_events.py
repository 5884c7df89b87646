"""Every function runs its sample event from events/ (as `sam local invoke -e` would)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from vigil.domain.incidents import IncidentIn
from vigil.services import incidents

EVENTS = Path(__file__).resolve().parents[2] / "events"


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def test_every_function_has_a_sample_event(stack: Any) -> None:
    code_dirs = {
        p["CodeUri"].split("/")[-1] for p in stack.resolver.resources("AWS::Serverless::Function").values()
    }
    stems = [p.stem for p in EVENTS.glob("*.json")]
    uncovered = {d for d in code_dirs if not any(s == d or s.startswith(f"{d}_") for s in stems)}
    assert not uncovered


def test_api_health_event(stack: Any) -> None:
    result = stack.invoke("ApiFunction", sample("api_health.json"))
    assert result["statusCode"] == 200
    assert json.loads(result["body"])["status"] == "ok"


def test_ingest_refuses_an_unknown_token(stack: Any) -> None:
    result = stack.invoke("IngestFunction", sample("ingest_unknown_token.json"))
    assert result["statusCode"] == 401


@pytest.mark.parametrize("name", ["alarm_sns.json", "alarm_eventbridge.json"])
def test_alarm_events_open_an_incident(stack: Any, name: str) -> None:
    result = stack.invoke("AlarmFunction", sample(name))
    assert result["received"] == 1
    assert result["alerts"][0]["action"] in ("opened", "duplicate")
    assert result["alerts"][0]["incident_id"].startswith("inc_")


def test_ladder_step_advance_event_decides_the_first_rung(stack: Any) -> None:
    from vigil.adapters import stores

    record = incidents.new_incident_record(
        "inc_sample",
        IncidentIn(title="Database connection failure", severity="critical"),
        source="test",
        actor="test",
        now=__import__("datetime").datetime.now(__import__("datetime").UTC),
        rules=incidents.load_assignment_rules(),
    )
    stores.incidents.create(record)
    result = stack.invoke("PageFunction", sample("ladder_step_advance.json"))
    assert result == {"rung": 0, "round": 0, "wait_seconds": 300, "outcome": "page"}


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_aws_channel_deliveries_are_sent_once(stack: Any, channel: str) -> None:
    event = sample(f"deliver_{channel}.json")
    first = stack.invoke(f"Deliver{channel.capitalize()}Function", event)
    again = stack.invoke(f"Deliver{channel.capitalize()}Function", event)
    assert first == again == {"batchItemFailures": []}
    sent = [
        o for o in stack.outbox if o["channel"] == channel and "Database connection failure" in json.dumps(o)
    ]
    assert len(sent) == 1


@pytest.mark.parametrize("channel", ["slack", "webhook"])
def test_http_deliveries_to_a_dead_port_are_reported_for_retry(stack: Any, channel: str) -> None:
    event = sample(f"deliver_{channel}.json")
    result = stack.invoke(f"Deliver{channel.capitalize()}Function", event)
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}


def test_storm_part_event_takes_its_alerts_in(stack: Any, api: Any) -> None:
    integration = api.integration("alertmanager")
    event = sample("storm_part.json")
    body = json.loads(event["Records"][0]["body"]) | {"integration_id": integration["integration_id"]}
    event["Records"][0]["body"] = json.dumps(body)
    result = stack.invoke("StormFunction", event)
    assert result == {"batchItemFailures": []}
    alerts = api.get("/api/alerting?limit=100&source=alertmanager").body["items"]
    assert any(a["dedup_key"] == "sample-storm-1" for a in alerts)


def test_a_malformed_storm_part_fails_alone_and_the_others_are_taken_in(stack: Any, api: Any) -> None:
    integration = api.integration("alertmanager")
    good = sample("storm_part.json")["Records"][0]
    part = json.loads(good["body"]) | {"integration_id": integration["integration_id"]}
    part["alerts"][0]["dedup_key"] = "sample-storm-beside-a-bad-part"
    good["body"] = json.dumps(part)
    not_json = good | {"messageId": "not-json", "body": "{not json"}
    no_alerts = good | {"messageId": "no-alerts", "body": json.dumps({"integration_id": "int_x"})}
    result = stack.invoke("StormFunction", {"Records": [not_json, good, no_alerts]})
    assert result == {"batchItemFailures": [{"itemIdentifier": "not-json"}, {"itemIdentifier": "no-alerts"}]}
    alerts = api.get("/api/alerting?limit=100&source=alertmanager").body["items"]
    assert any(a["dedup_key"] == "sample-storm-beside-a-bad-part" for a in alerts)


def test_handoffs_event_looks_around_its_minute(stack: Any) -> None:
    result = stack.invoke("HandoffsFunction", sample("handoffs_notify.json"))
    assert set(result) == {"notified"}
    assert all("2026-12-02T06:50" <= n["at"] < "2026-12-02T07:01" for n in result["notified"])
