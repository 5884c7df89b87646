"""Ingestion end to end: every real payload in tests/fixtures/payloads/ over real HTTP through the
local runtime (or through the alarm function), with the alerts, statuses, dedup keys and
incidents that result; firing/resolved pairs; SNS envelopes and signatures; limits and bad
input; silences, maintenance windows, flapping, correlation and mappings.

Each test makes its own integrations, so its alerts (keyed by integration and dedup key) never
meet another test's. Payload files are loaded with `payload(name)` and never edited; where a
test needs a variant (a PagerDuty routing key, a status to build a pair) it changes a copy and
says so.
"""

from __future__ import annotations

import base64
import copy
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import PAYLOADS, payload
from tests.helpers.client import ApiClient, Reply

INCIDENTS = "/api/incident_response"
BUILTIN_CLOUDWATCH = "int_cloudwatch_builtin"  # the integration of AlarmTopic / EventBridge / alarm actions
TEST_CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"
# Not a certificate SNS has (404 with a network, no answer without): never fetched.
UNREACHABLE_CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-vigil-missing.pem"

# Where each payload file goes; test_every_payload_file_is_exercised keeps this complete.
ROUTES: dict[str, str] = {
    "alertmanager_v4_firing_alerta.json": "alertmanager",
    "alertmanager_v4_firing_am0.21_raw_issue2447.json": "alertmanager",
    "alertmanager_v4_firing_grafana_oncall.json": "alertmanager",
    "alertmanager_v4_firing_icmp_alertmonitor.json": "alertmanager",
    "alertmanager_v4_resolved_icmp_alertmonitor.json": "alertmanager",
    "grafana_alerting_firing_grafana_oncall.json": "grafana",
    "grafana_legacy_alerting_firing_alerta.json": "grafana",
    "grafana_legacy_alerting_ok_alerta.json": "grafana",
    "grafana_unified_alerting_webhook_firing_grafana_docs.json": "grafana",
    "grafana_unified_alerting_webhook_v12_firing_keep.json": "grafana",
    "cloudwatch_alarm_sns_http_notification_ALARM_alerta.json": "cloudwatch",
    "cloudwatch_alarm_sns_http_notification_INSUFFICIENT_DATA_alerta.json": "cloudwatch",
    "sns_http_subscription_confirmation_alerta.json": "cloudwatch",
    "cloudwatch_alarm_sns_lambda_event_ALARM_multi_metric_aws_lambda_go.json": "AlarmTopic",
    "cloudwatch_alarm_sns_lambda_event_ALARM_single_metric_aws_lambda_go.json": "AlarmTopic",
    "cloudwatch_alarm_sns_lambda_event_OK_notify_slack.json": "AlarmTopic",
    "eventbridge_cloudwatch_alarm_state_change_anomaly_awsdocs.json": "put-events",
    "eventbridge_cloudwatch_alarm_state_change_composite_suppressor_awsdocs.json": "put-events",
    "eventbridge_cloudwatch_alarm_state_change_metric_math_awsdocs.json": "put-events",
    "eventbridge_cloudwatch_alarm_state_change_single_metric_awsdocs.json": "put-events",
    "cloudwatch_alarm_lambda_action_composite_powertools.json": "AlarmFunction",
    "cloudwatch_alarm_lambda_action_single_metric_powertools.json": "AlarmFunction",
    "datadog_webhook_capture_43_events_keep.json": "datadog",
    "datadog_webhook_recovered_keep.json": "datadog",
    "datadog_webhook_retriggered_same_monitor_scope_keep.json": "datadog",
    "datadog_webhook_triggered_keep.json": "datadog",
    "datadog_webhook_warn_keep.json": "datadog",
    "pagerduty_events_v2_acknowledge_pd_docs.json": "enqueue",
    "pagerduty_events_v2_resolve_pd_docs.json": "enqueue",
    "pagerduty_events_v2_trigger_openapi_example.json": "enqueue",
    "pagerduty_events_v2_trigger_pd_docs.json": "enqueue",
    "pagerduty_webhook_v3_incident_priority_updated_pd_docs.json": "refused",
    "pingdom_check_down_alerta.json": "generic",
    "pingdom_check_up_alerta.json": "generic",
    "gcp_stackdriver_incident_open_alerta.json": "generic",
    "gcp_stackdriver_incident_closed_alerta.json": "generic",
    "sentry_issue_alert_mock_keep.json": "generic",
    "zabbix_formatted_webhook_grafana_oncall.json": "generic",
    "opsgenie_create_alert_from_alertmanager_test.json": "generic",
    "apigw_http_api_v2_event_powertools.json": "refused",
    "apigw_rest_proxy_v1_event_powertools.json": "refused",
}
RAW_FILES = {  # SOURCES.md: these keep the exact wire bytes, so they are sent byte for byte
    "alertmanager_v4_firing_am0.21_raw_issue2447.json",
    "alertmanager_v4_firing_icmp_alertmonitor.json",
    "alertmanager_v4_resolved_icmp_alertmonitor.json",
}


# --------------------------------------------------------------------------------- helpers


def _hook(
    api: ApiClient, integration: dict[str, Any], body: Any = None, *, raw: bytes | None = None
) -> Reply:
    return api.post(f"/api/hooks/{integration['token']}", body, key=None, raw=raw)


def _send(api: ApiClient, integration: dict[str, Any], body: Any) -> list[dict[str, Any]]:
    """POST to the integration's URL; the per-alert outcomes of a 200."""
    reply = _hook(api, integration, body)
    assert reply.status == 200, reply.body
    assert reply.body["integration_id"] == integration["integration_id"]
    assert reply.body["received"] == len(reply.body["alerts"])
    return list(reply.body["alerts"])


def _send_file(api: ApiClient, integration: dict[str, Any], name: str) -> list[dict[str, Any]]:
    if name in RAW_FILES:
        reply = _hook(api, integration, raw=(PAYLOADS / name).read_bytes())
        assert reply.status == 200, reply.body
        return list(reply.body["alerts"])
    return _send(api, integration, payload(name))


def _enqueue(api: ApiClient, integration: dict[str, Any], event: dict[str, Any]) -> Reply:
    # A copy with routing_key replaced by the integration token (the files hold placeholders).
    return api.post("/v2/enqueue", {**event, "routing_key": integration["token"]}, key=None)


def _alert_id(integration_id: str, dedup_key: str) -> str:
    from vigil.services.ingest.dedup import alert_id_for

    return alert_id_for(integration_id, dedup_key)


def _alert(api: ApiClient, integration_id: str, dedup_key: str) -> dict[str, Any]:
    reply = api.get(f"/api/alerting/{_alert_id(integration_id, dedup_key)}")
    assert reply.status == 200, reply.body
    return dict(reply.body)


def _alert_absent(api: ApiClient, integration_id: str, dedup_key: str) -> bool:
    return api.get(f"/api/alerting/{_alert_id(integration_id, dedup_key)}").status == 404


def _alerts_of(api: ApiClient, integration_id: str, since: str) -> list[dict[str, Any]]:
    """Every alert of one integration first seen since `since`, through the alert listing."""
    found: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(100):
        reply = api.get(f"/api/alerting?since={since}&limit=100" + (f"&cursor={cursor}" if cursor else ""))
        assert reply.status == 200, reply.body
        found += [a for a in reply.body["items"] if a["integration_id"] == integration_id]
        cursor = reply.body["next_cursor"]
        if not cursor:
            return found
    raise AssertionError("the alert listing never ended")


def _incident_alerts(api: ApiClient, incident_id: str) -> dict[str, dict[str, Any]]:
    return {a["alert_id"]: a for a in api.incident(incident_id)["alerts"]}


def _field(reply: Reply) -> str:
    assert reply.body["error"]["details"], reply.body
    return str(reply.body["error"]["details"][0]["field"])


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _header(reply: Reply, name: str) -> str | None:
    return next((v for k, v in reply.headers.items() if k.lower() == name.lower()), None)


def _generic(title: str, dedup_key: str, status: str = "firing", severity: str = "high") -> dict[str, Any]:
    return {"title": title, "dedup_key": dedup_key, "status": status, "severity": severity}


def _timeline_text(api: ApiClient, incident_id: str) -> list[str]:
    return [e["message"] for e in api.get(f"{INCIDENTS}/{incident_id}/timeline?limit=500").body["items"]]


# ------------------------------------------------------------------- the payload corpus


def test_every_payload_file_is_exercised() -> None:
    on_disk = {p.name for p in PAYLOADS.glob("*.json")}
    assert on_disk == set(ROUTES), {"untested": on_disk - set(ROUTES), "gone": set(ROUTES) - on_disk}
    tests = Path(__file__).read_text().split("def _hook(", 1)[1]  # after the tables above
    assert [name for name in ROUTES if f'"{name}"' not in tests] == []


AM_FORMAT = [
    ("alertmanager", "alertmanager_v4_firing_alerta.json"),
    ("alertmanager", "alertmanager_v4_firing_am0.21_raw_issue2447.json"),
    ("alertmanager", "alertmanager_v4_firing_grafana_oncall.json"),
    ("alertmanager", "alertmanager_v4_firing_icmp_alertmonitor.json"),
    ("grafana", "grafana_alerting_firing_grafana_oncall.json"),
    ("grafana", "grafana_unified_alerting_webhook_firing_grafana_docs.json"),
    ("grafana", "grafana_unified_alerting_webhook_v12_firing_keep.json"),
]


@pytest.mark.parametrize(("kind", "name"), AM_FORMAT)
def test_alertmanager_format_payloads_open_one_incident_per_group(
    api: ApiClient, kind: str, name: str
) -> None:
    body = payload(name)
    integration = api.integration(kind)
    outcomes = _send_file(api, integration, name)

    assert len(outcomes) == len(body["alerts"])
    for outcome, element in zip(outcomes, body["alerts"], strict=True):
        assert outcome["status"] == "firing"
        if element.get("fingerprint"):
            assert outcome["dedup_key"] == element["fingerprint"]
        else:  # no fingerprint (older Alertmanager): a stable hash of the labels, never a time
            assert len(outcome["dedup_key"]) == 32 and element["startsAt"] not in outcome["dedup_key"]
    assert len({o["dedup_key"] for o in outcomes}) == len(outcomes)
    # Every alert of one notification shares its groupKey: the first opens, the rest join.
    assert [o["action"] for o in outcomes] == ["opened"] + ["joined"] * (len(outcomes) - 1)
    incident_id = outcomes[0]["incident_id"]
    assert incident_id and {o["incident_id"] for o in outcomes} == {incident_id}
    assert all("correlated by" in o["reason"] for o in outcomes[1:])

    incident = api.incident(incident_id)
    assert incident["status"] == "open"
    assert {a["alert_id"]: a["status"] for a in incident["alerts"]} == {
        o["alert_id"]: "firing" for o in outcomes
    }
    assert {a["dedup_key"] for a in incident["alerts"]} == {o["dedup_key"] for o in outcomes}


def test_alertmanager_am021_capture_keeps_its_severity_and_raw_payload(api: ApiClient) -> None:
    name = "alertmanager_v4_firing_am0.21_raw_issue2447.json"
    integration = api.integration("alertmanager")
    [outcome] = _send_file(api, integration, name)
    element = payload(name)["alerts"][0]
    assert api.incident(outcome["incident_id"])["severity"] == element["labels"]["severity"] == "critical"
    stored = api.get(f"/api/alerting/{outcome['alert_id']}").body
    assert stored["raw_payload"] == (PAYLOADS / name).read_text()  # the bytes as received
    assert stored["labels"] == element["labels"] and stored["occurrences"] == 1


def test_alertmanager_icmp_pair_opens_then_resolves_by_status_not_endsat(api: ApiClient) -> None:
    integration = api.integration("alertmanager")
    fired = _send_file(api, integration, "alertmanager_v4_firing_icmp_alertmonitor.json")
    incident_id = fired[0]["incident_id"]
    assert api.incident(incident_id)["status"] == "open"

    # The resolved file still carries endsAt = Go's zero time: `status` must decide.
    assert payload("alertmanager_v4_resolved_icmp_alertmonitor.json")["alerts"][0]["endsAt"].startswith(
        "0001"
    )
    resolved = _send_file(api, integration, "alertmanager_v4_resolved_icmp_alertmonitor.json")
    assert [o["dedup_key"] for o in resolved] == [o["dedup_key"] for o in fired]
    assert [o["alert_id"] for o in resolved] == [o["alert_id"] for o in fired]
    assert {(o["action"], o["status"], o["incident_id"]) for o in resolved} == {
        ("resolved", "resolved", incident_id)
    }
    incident = api.incident(incident_id)
    assert incident["status"] == "resolved"
    assert {a["status"] for a in incident["alerts"]} == {"resolved"} and len(incident["alerts"]) == 3
    assert any("every alert resolved at its source" in (e.get("message") or "") for e in incident["timeline"])


def test_alertmanager_resolved_alone_is_not_an_incident(api: ApiClient) -> None:
    integration = api.integration("alertmanager")
    outcomes = _send_file(api, integration, "alertmanager_v4_resolved_icmp_alertmonitor.json")
    assert [(o["action"], o["status"], o["incident_id"]) for o in outcomes] == [
        ("recorded", "resolved", None)
    ] * 3


def test_grafana_legacy_pair_opens_then_resolves(api: ApiClient) -> None:
    integration = api.integration("grafana")
    firing = payload("grafana_legacy_alerting_firing_alerta.json")
    [opened] = _send(api, integration, firing)
    assert opened["action"] == "opened" and opened["dedup_key"] == f"grafana-rule-{firing['ruleId']}"
    incident = api.incident(opened["incident_id"])
    assert incident["title"] == firing["ruleName"] and incident["status"] == "open"

    [resolved] = _send(api, integration, payload("grafana_legacy_alerting_ok_alerta.json"))
    assert (resolved["alert_id"], resolved["action"], resolved["incident_id"]) == (
        opened["alert_id"],
        "resolved",
        opened["incident_id"],
    )
    incident = api.incident(opened["incident_id"])
    assert incident["status"] == "resolved"
    assert [a["status"] for a in incident["alerts"]] == ["resolved"]


# ---------------------------------------------------------------------- CloudWatch via SNS


def test_cloudwatch_sns_https_alarm_with_verification_off(api: ApiClient) -> None:
    integration = api.integration("cloudwatch", {"verify_sns_signature": False})
    assert integration["warnings"] == ["SNS signature verification is off for this integration"]
    assert api.get(f"/api/integrations/{integration['integration_id']}").body["warnings"]
    assert api.integration("cloudwatch")["warnings"] == []  # on by default, no warning

    body = payload("cloudwatch_alarm_sns_http_notification_ALARM_alerta.json")
    message = json.loads(body["Message"])
    reply = _hook(api, integration, body)
    assert reply.status == 200, reply.body
    assert reply.body["sns_message_type"] == "Notification"
    [outcome] = reply.body["alerts"]
    assert outcome["dedup_key"] == f"{message['AWSAccountId']}:{message['AlarmName']}"
    assert (outcome["action"], outcome["status"]) == ("opened", "firing")
    incident = api.incident(outcome["incident_id"])
    assert incident["title"] == message["AlarmName"]
    assert list(_incident_alerts(api, outcome["incident_id"])) == [outcome["alert_id"]]


def test_cloudwatch_insufficient_data_is_recorded_and_pages_only_when_configured(api: ApiClient) -> None:
    body = payload("cloudwatch_alarm_sns_http_notification_INSUFFICIENT_DATA_alerta.json")
    message = json.loads(body["Message"])
    assert message["NewStateValue"] == "INSUFFICIENT_DATA"

    quiet = api.integration("cloudwatch", {"verify_sns_signature": False})
    [recorded] = _send(api, quiet, body)
    assert (recorded["action"], recorded["status"], recorded["incident_id"]) == ("recorded", "unknown", None)
    assert recorded["dedup_key"] == f"{message['AWSAccountId']}:{message['AlarmName']}"
    stored = _alert(api, quiet["integration_id"], recorded["dedup_key"])
    assert stored["status"] == "unknown" and stored["incident_id"] is None

    paging = api.integration("cloudwatch", {"verify_sns_signature": False, "page_on_unknown": True})
    [opened] = _send(api, paging, body)
    assert (opened["action"], opened["status"]) == ("opened", "firing")
    assert api.incident(opened["incident_id"])["status"] == "open"


def test_sns_subscription_confirmation_is_never_an_alert(api: ApiClient) -> None:
    body = payload("sns_http_subscription_confirmation_alerta.json")
    started = _now_iso()
    integration = api.integration("cloudwatch", {"verify_sns_signature": False})
    # Vigil must GET SubscribeURL (on sns.eu-west-1.amazonaws.com), which this machine cannot
    # reach: the documented answer is 502 so that SNS retries, and nothing is stored.
    reply = _hook(api, integration, body)
    assert reply.status == 502, reply.body
    assert reply.body["error"]["code"] == "upstream_unavailable"
    assert "alerts" not in reply.body
    assert _alerts_of(api, integration["integration_id"], started) == []

    # With verification on (the default), a certificate that cannot be fetched is SNS's outage,
    # not a forgery: 502, which SNS retries, and nothing stored.
    verified = api.integration("cloudwatch")
    refused = _hook(api, verified, {**body, "SigningCertURL": UNREACHABLE_CERT_URL})
    assert refused.status == 502 and refused.body["error"]["code"] == "upstream_unavailable"
    assert _alerts_of(api, verified["integration_id"], started) == []


def test_sns_notification_that_does_not_verify_is_refused(api: ApiClient) -> None:
    from vigil.adapters import sns_signature

    integration = api.integration("cloudwatch")  # verify_sns_signature defaults to true
    started = _now_iso()
    capture = payload("cloudwatch_alarm_sns_http_notification_ALARM_alerta.json")
    # Signed by a key that is not the certificate's: a bad signature, not a missing certificate.
    _, pem = _test_certificate()
    impostor, _ = _test_certificate()
    sns_signature.remember_certificate(TEST_CERT_URL, pem)
    reply = _hook(api, integration, {**capture, "SigningCertURL": TEST_CERT_URL})
    assert reply.status == 401 and reply.body["error"]["code"] == "unauthorized"
    forged = _signed_notification(impostor, capture)
    assert _hook(api, integration, forged).status == 401
    # A certificate URL that is not SNS's own is refused whatever the signature.
    elsewhere = {**_signed_notification(impostor, capture), "SigningCertURL": "https://example.com/cert.pem"}
    foreign = _hook(api, integration, elsewhere)
    assert foreign.status in (400, 401), foreign.body
    assert foreign.status == 401 or _field(foreign) == "SigningCertURL"
    assert _alerts_of(api, integration["integration_id"], started) == []


def test_an_unreachable_sns_certificate_is_a_retryable_502_with_a_log_line(
    api: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    """SNS retries a 5xx and gives up on a 4xx: an outage fetching the certificate must not
    look like a forgery, for notifications and for the subscription confirmation alike."""
    integration = api.integration("cloudwatch")
    started = _now_iso()
    for name in (
        "cloudwatch_alarm_sns_http_notification_ALARM_alerta.json",
        "sns_http_subscription_confirmation_alerta.json",
    ):
        body = {**payload(name), "SigningCertURL": UNREACHABLE_CERT_URL}
        reply = _hook(api, integration, body)
        assert reply.status == 502, (name, reply.body)
        assert reply.body["error"]["code"] == "upstream_unavailable"
        assert "SNS will retry" in reply.body["error"]["message"]
    logged = [r for r in caplog.records if r.getMessage() == "SNS signing certificate unreachable"]
    assert len(logged) == 2 and all(r.levelname == "WARNING" for r in logged)
    assert _alerts_of(api, integration["integration_id"], started) == []


def _test_certificate() -> tuple[Any, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, certificate.public_bytes(serialization.Encoding.PEM)


def _signed_notification(key: Any, capture: dict[str, Any]) -> dict[str, Any]:
    """A Notification with the capture's fields, signed (SignatureVersion 2, SHA256) by `key`."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from vigil.domain.sns import string_to_sign

    fields = ("Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "UnsubscribeURL")
    body = {name: capture[name] for name in fields}
    body.update(SignatureVersion="2", SigningCertURL=TEST_CERT_URL)
    # What AWS documents as the string to sign for a Notification, built here by hand.
    by_hand = "".join(
        f"{name}\n{body[name]}\n"
        for name in ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
    ).encode()
    assert string_to_sign(body) == by_hand
    signature = key.sign(by_hand, padding.PKCS1v15(), hashes.SHA256())
    return {**body, "Signature": base64.b64encode(signature).decode()}


def test_sns_notification_with_a_genuine_signature_is_accepted_and_a_tampered_one_is_not(
    api: ApiClient,
) -> None:
    from vigil.adapters import sns_signature

    key, pem = _test_certificate()
    sns_signature.remember_certificate(TEST_CERT_URL, pem)  # the runtime runs in this process
    capture = payload("cloudwatch_alarm_sns_http_notification_ALARM_alerta.json")
    integration = api.integration("cloudwatch")
    assert integration["settings"]["verify_sns_signature"] is True and integration["warnings"] == []

    genuine = _signed_notification(key, capture)
    tampered = copy.deepcopy(genuine)
    position = tampered["Message"].index("bucketbytesAlarm") + len("bucketbytesAlar")
    tampered["Message"] = tampered["Message"][:position] + "n" + tampered["Message"][position + 1 :]
    assert sum(a != b for a, b in zip(tampered["Message"], genuine["Message"], strict=True)) == 1

    refused = _hook(api, integration, tampered)
    assert refused.status == 401, refused.body
    accepted = _hook(api, integration, genuine)
    assert accepted.status == 200, accepted.body
    [outcome] = accepted.body["alerts"]
    assert (outcome["action"], outcome["dedup_key"]) == ("opened", "1234567890:bucketbytesAlarm")
    assert outcome["alert_id"] in _incident_alerts(api, outcome["incident_id"])
    # The tampered copy named another alarm: nothing of it was stored.
    assert _alert_absent(api, integration["integration_id"], "1234567890:bucketbytesAlarn")


# ------------------------------------------------- CloudWatch inside AWS: the alarm function


def _sns_message(name: str) -> dict[str, Any]:
    return dict(payload(name)["Records"][0]["Sns"])


@pytest.mark.parametrize(
    "name",
    [
        "cloudwatch_alarm_sns_lambda_event_ALARM_single_metric_aws_lambda_go.json",
        "cloudwatch_alarm_sns_lambda_event_ALARM_multi_metric_aws_lambda_go.json",
    ],
)
def test_alarm_topic_alarm_opens_an_incident(api: ApiClient, name: str) -> None:
    sns = _sns_message(name)
    message = json.loads(sns["Message"])
    published = api.post("/_local/publish/AlarmTopic", {"Message": sns["Message"], "Subject": sns["Subject"]})
    assert published.status == 200, published.body

    dedup_key = f"{message['AWSAccountId']}:{message['AlarmName']}"
    alert = _alert(api, BUILTIN_CLOUDWATCH, dedup_key)
    assert (alert["status"], alert["source"], alert["title"]) == (
        "firing",
        "cloudwatch",
        message["AlarmName"],
    )
    assert alert["incident_id"], alert
    incident = api.incident(alert["incident_id"])
    assert incident["status"] == "open" and alert["alert_id"] in {a["alert_id"] for a in incident["alerts"]}


def test_alarm_topic_ok_resolves_the_alarm_it_opened(api: ApiClient) -> None:
    ok = _sns_message("cloudwatch_alarm_sns_lambda_event_OK_notify_slack.json")
    message = json.loads(ok["Message"])
    assert (message["OldStateValue"], message["NewStateValue"]) == ("ALARM", "OK")
    # The corpus has no ALARM of this alarm: a copy of the OK message with the states swapped
    # builds the pair. The OK message itself is published exactly as captured.
    alarm = {**message, "NewStateValue": "ALARM", "OldStateValue": "OK"}
    assert api.post("/_local/publish/AlarmTopic", {"Message": json.dumps(alarm)}).status == 200
    dedup_key = f"{message['AWSAccountId']}:{message['AlarmName']}"
    opened = _alert(api, BUILTIN_CLOUDWATCH, dedup_key)
    assert opened["status"] == "firing" and opened["incident_id"]

    published = api.post("/_local/publish/AlarmTopic", {"Message": ok["Message"], "Subject": ok["Subject"]})
    assert published.status == 200
    resolved = _alert(api, BUILTIN_CLOUDWATCH, dedup_key)
    assert resolved["status"] == "resolved" and resolved["incident_id"] == opened["incident_id"]
    assert api.incident(opened["incident_id"])["status"] == "resolved"


@pytest.mark.parametrize(
    "name",
    [
        "eventbridge_cloudwatch_alarm_state_change_single_metric_awsdocs.json",
        "eventbridge_cloudwatch_alarm_state_change_metric_math_awsdocs.json",
        "eventbridge_cloudwatch_alarm_state_change_anomaly_awsdocs.json",
    ],
)
def test_eventbridge_alarm_state_change_opens_an_incident(api: ApiClient, name: str) -> None:
    event = payload(name)
    reply = api.post("/_local/put-events", {"Entries": [event]})
    assert reply.status == 200 and reply.body["Entries"][0]["Targets"], reply.body  # the built-in rule
    alarm_name = event["resources"][0].split(":alarm:", 1)[1]
    alert = _alert(api, BUILTIN_CLOUDWATCH, f"{event['account']}:{alarm_name}")
    assert alert["status"] == "firing" and alert["title"] == event["detail"]["alarmName"]
    assert alert["suppressed"] is False and alert["incident_id"]
    assert alert["alert_id"] in _incident_alerts(api, alert["incident_id"])


def test_eventbridge_composite_alarm_with_suppressed_actions_does_not_page(api: ApiClient) -> None:
    event = payload("eventbridge_cloudwatch_alarm_state_change_composite_suppressor_awsdocs.json")
    assert event["detail"]["state"]["actionsSuppressedBy"] == "WaitPeriod"
    reply = api.post("/_local/put-events", {"Entries": [event]})
    assert reply.status == 200 and reply.body["Entries"][0]["Targets"]
    alarm_name = event["resources"][0].split(":alarm:", 1)[1]
    alert = _alert(api, BUILTIN_CLOUDWATCH, f"{event['account']}:{alarm_name}")
    assert alert["status"] == "firing" and alert["suppressed"] is True
    assert alert["incident_id"] is None
    listed = api.get(f"{INCIDENTS}?text={alarm_name}&limit=100").body["items"]
    assert listed == []


@pytest.mark.parametrize(
    "name",
    [
        "cloudwatch_alarm_lambda_action_single_metric_powertools.json",
        "cloudwatch_alarm_lambda_action_composite_powertools.json",
    ],
)
def test_alarm_lambda_action_opens_an_incident(api: ApiClient, name: str) -> None:
    event = payload(name)
    account, alarm = event["alarmArn"].split(":", 6)[4::2]
    # Start from a known state: a copy with the state set to OK resolves any earlier episode.
    cleared = copy.deepcopy(event)
    cleared["alarmData"]["state"]["value"] = "OK"
    assert api.post("/_local/invoke/AlarmFunction", cleared).status == 200

    reply = api.post("/_local/invoke/AlarmFunction", event)
    assert reply.status == 200, reply.body
    [outcome] = reply.body["alerts"]
    assert outcome["dedup_key"] == f"{account}:{alarm}"
    assert (outcome["action"], outcome["status"]) == ("opened", "firing")
    incident = api.incident(outcome["incident_id"])
    assert incident["title"] == event["alarmData"]["alarmName"]
    assert [a["alert_id"] for a in incident["alerts"]] == [outcome["alert_id"]]


# ---------------------------------------------------------------------------------- Datadog


def _datadog_key(event: dict[str, Any]) -> str:
    """Datadog's identity of an alert: monitor id and scope (its tags in any order)."""
    scope = ",".join(sorted({tag.strip() for tag in event["scopes"].split(",") if tag.strip()}))
    return f"{event['monitor_id']}:{scope}"


def test_datadog_trio_triggered_retriggered_recovered(api: ApiClient) -> None:
    integration = api.integration("datadog")
    triggered = payload("datadog_webhook_triggered_keep.json")
    retriggered = payload("datadog_webhook_retriggered_same_monitor_scope_keep.json")
    recovered = payload("datadog_webhook_recovered_keep.json")
    assert triggered["id"] != retriggered["id"]  # different events of one monitor group

    [opened] = _send(api, integration, triggered)
    assert (opened["action"], opened["dedup_key"]) == ("opened", _datadog_key(triggered))
    [repeat] = _send(api, integration, retriggered)
    assert (repeat["action"], repeat["alert_id"], repeat["incident_id"]) == (
        "duplicate",
        opened["alert_id"],
        opened["incident_id"],
    )
    assert _alert(api, integration["integration_id"], opened["dedup_key"])["occurrences"] == 2

    [resolved] = _send(api, integration, recovered)
    assert (resolved["action"], resolved["alert_id"], resolved["incident_id"]) == (
        "resolved",
        opened["alert_id"],
        opened["incident_id"],
    )
    incident = api.incident(opened["incident_id"])
    assert incident["status"] == "resolved"
    assert [(a["alert_id"], a["status"], a["occurrences"]) for a in incident["alerts"]] == [
        (opened["alert_id"], "resolved", 2)
    ]


def test_datadog_warn_opens_a_medium_incident(api: ApiClient) -> None:
    integration = api.integration("datadog")
    event = payload("datadog_webhook_warn_keep.json")
    [outcome] = _send(api, integration, event)
    assert (outcome["action"], outcome["dedup_key"]) == ("opened", _datadog_key(event))
    assert api.incident(outcome["incident_id"])["severity"] == "medium"


def test_datadog_capture_of_43_events_gives_one_alert_per_monitor_and_scope(api: ApiClient) -> None:
    events = payload("datadog_webhook_capture_43_events_keep.json")
    keys = [_datadog_key(e) for e in events]
    distinct = set(keys)
    assert len(events) == 43 and len(distinct) < len(events)  # the capture has repeats
    started = _now_iso()
    integration = api.integration("datadog")

    outcomes = _send(api, integration, events)  # the file as it is: one array body
    assert len(outcomes) == len(events)
    assert [o["dedup_key"] for o in outcomes] == keys
    assert len({o["alert_id"] for o in outcomes}) == len(distinct)
    firing = [o for o, e in zip(outcomes, events, strict=True) if e["alert_transition"] != "Recovered"]
    assert firing and all(o["status"] == "firing" and o["incident_id"] for o in firing)
    monitors_by_incident: dict[str, set[str]] = {}
    for outcome in firing:
        monitors_by_incident.setdefault(outcome["incident_id"], set()).add(outcome["dedup_key"].split(":")[0])
    assert all(len(m) == 1 for m in monitors_by_incident.values())  # correlation stays within a monitor

    # A 2xx means stored: every distinct alert of the capture can be listed.
    stored = _alerts_of(api, integration["integration_id"], started)
    assert sorted(a["dedup_key"] for a in stored) == sorted(distinct)


def test_a_resolve_for_an_alert_never_seen_is_still_stored(api: ApiClient) -> None:
    integration = api.integration("datadog")
    recovered = payload("datadog_webhook_recovered_keep.json")
    [outcome] = _send(api, integration, recovered)
    assert (outcome["action"], outcome["status"], outcome["incident_id"]) == ("recorded", "resolved", None)
    # The answer was 200 "recorded": the alert must exist, resolved, with its raw payload.
    stored = api.get(f"/api/alerting/{outcome['alert_id']}")
    assert stored.status == 200, stored.body
    assert stored.body["status"] == "resolved" and stored.body["raw_payload"]


# -------------------------------------------------------------------------------- PagerDuty


def test_pagerduty_trigger_with_info_severity_is_recorded_without_paging(api: ApiClient) -> None:
    integration = api.integration("pagerduty")
    event = payload("pagerduty_events_v2_trigger_pd_docs.json")
    reply = _enqueue(api, integration, event)
    assert reply.status == 202, reply.body
    assert reply.body == {"status": "success", "message": "Event processed", "dedup_key": event["dedup_key"]}
    alert = _alert(api, integration["integration_id"], event["dedup_key"])
    assert (alert["status"], alert["severity"], alert["incident_id"]) == ("firing", "info", None)
    assert alert["title"] == event["payload"]["summary"]


def test_pagerduty_routing_key_is_never_stored_with_the_alert(api: ApiClient) -> None:
    integration = api.integration("pagerduty")
    event = payload("pagerduty_events_v2_trigger_openapi_example.json")
    assert _enqueue(api, integration, event).status == 202
    alert = api.get(f"/api/alerting/{_alert_id(integration['integration_id'], event['dedup_key'])}").body
    assert alert["raw_payload"] and event["payload"]["summary"] in alert["raw_payload"]
    # The routing key is the integration's token, a credential stored only as a hash (DESIGN 7):
    # neither the alert's details nor its raw payload may keep it.
    assert integration["token"] not in json.dumps(alert)


def test_pagerduty_trio_trigger_acknowledge_resolve(api: ApiClient) -> None:
    integration = api.integration("pagerduty")
    acknowledge = payload("pagerduty_events_v2_acknowledge_pd_docs.json")
    resolve = payload("pagerduty_events_v2_resolve_pd_docs.json")
    # The docs' trigger uses another dedup_key than their acknowledge/resolve (SOURCES.md), and
    # the docs' trigger is severity info (which does not page by default): a copy of the
    # OpenAPI example trigger (critical) takes the acknowledge/resolve files' dedup_key.
    trigger = {
        **payload("pagerduty_events_v2_trigger_openapi_example.json"),
        "dedup_key": acknowledge["dedup_key"],
    }
    assert acknowledge["dedup_key"] == resolve["dedup_key"]

    queued = _enqueue(api, integration, trigger)
    assert queued.status == 202 and queued.body["dedup_key"] == acknowledge["dedup_key"]
    alert = _alert(api, integration["integration_id"], acknowledge["dedup_key"])
    incident_id = alert["incident_id"]
    assert alert["status"] == "firing" and incident_id
    incident = api.incident(incident_id)
    assert (incident["status"], incident["severity"]) == ("open", "critical")
    assert [a["alert_id"] for a in incident["alerts"]] == [alert["alert_id"]]

    acked = _enqueue(api, integration, acknowledge)
    assert acked.status == 202 and acked.body["dedup_key"] == acknowledge["dedup_key"]
    assert api.incident(incident_id)["status"] == "acknowledged"

    resolved = _enqueue(api, integration, resolve)
    assert resolved.status == 202 and resolved.body["dedup_key"] == resolve["dedup_key"]
    incident = api.incident(incident_id)
    assert incident["status"] == "resolved"
    assert [a["status"] for a in incident["alerts"]] == ["resolved"]


def test_pagerduty_openapi_trigger_opens_and_a_retry_is_a_duplicate(api: ApiClient) -> None:
    integration = api.integration("pagerduty")
    event = payload("pagerduty_events_v2_trigger_openapi_example.json")
    for _ in range(2):
        reply = _enqueue(api, integration, event)
        assert reply.status == 202 and reply.body["dedup_key"] == event["dedup_key"] == "srv01/mysql"
    alert = _alert(api, integration["integration_id"], event["dedup_key"])
    assert alert["occurrences"] == 2 and alert["severity"] == "critical"
    assert list(_incident_alerts(api, alert["incident_id"])) == [alert["alert_id"]]


def test_pagerduty_acknowledge_and_resolve_of_an_unknown_key_are_accepted_no_ops(api: ApiClient) -> None:
    integration = api.integration("pagerduty")
    for name in ("pagerduty_events_v2_acknowledge_pd_docs.json", "pagerduty_events_v2_resolve_pd_docs.json"):
        event = payload(name)
        reply = _enqueue(api, integration, event)
        assert reply.status == 202 and reply.body["dedup_key"] == event["dedup_key"], reply.body
        stored = api.get(f"/api/alerting/{_alert_id(integration['integration_id'], event['dedup_key'])}")
        # Nothing to act on: no firing alert and no incident came of it.
        assert stored.status == 404 or (stored.body["status"], stored.body["incident_id"]) == (
            "resolved",
            None,
        ), stored.body


def test_pagerduty_trigger_without_dedup_key_gets_a_stable_one(api: ApiClient) -> None:
    integration = api.integration("pagerduty")
    # A copy without dedup_key: Vigil generates one, the same for the same event.
    event = {
        k: v
        for k, v in payload("pagerduty_events_v2_trigger_openapi_example.json").items()
        if k != "dedup_key"
    }
    first = _enqueue(api, integration, event)
    second = _enqueue(api, integration, event)
    assert first.status == second.status == 202
    assert first.body["dedup_key"] and first.body["dedup_key"] == second.body["dedup_key"]
    assert _alert(api, integration["integration_id"], first.body["dedup_key"])["occurrences"] == 2


# --------------------------------------------------------------------------- generic kinds


@pytest.mark.parametrize(
    ("firing_name", "resolved_name", "dedup_key"),
    [
        ("pingdom_check_down_alerta.json", "pingdom_check_up_alerta.json", "pingdom-check-803318"),
        (
            "gcp_stackdriver_incident_open_alerta.json",
            "gcp_stackdriver_incident_closed_alerta.json",
            "gcp-incident-f2e08c333dc64cb09f75eaab355393bz",
        ),
    ],
)
def test_generic_pairs_open_then_resolve(
    api: ApiClient, firing_name: str, resolved_name: str, dedup_key: str
) -> None:
    firing, resolving = payload(firing_name), payload(resolved_name)
    source_id = str(firing.get("check_id") or firing.get("incident", {}).get("incident_id"))
    assert source_id in dedup_key  # the key comes from the source's own id
    integration = api.integration("generic")

    [opened] = _send(api, integration, firing)
    assert (opened["action"], opened["status"], opened["dedup_key"]) == ("opened", "firing", dedup_key)
    assert api.incident(opened["incident_id"])["status"] == "open"

    [resolved] = _send(api, integration, resolving)
    assert (resolved["action"], resolved["alert_id"], resolved["incident_id"]) == (
        "resolved",
        opened["alert_id"],
        opened["incident_id"],
    )
    incident = api.incident(opened["incident_id"])
    assert incident["status"] == "resolved"
    assert [(a["alert_id"], a["status"]) for a in incident["alerts"]] == [(opened["alert_id"], "resolved")]


@pytest.mark.parametrize(
    ("name", "dedup_key", "severity"),
    [
        ("sentry_issue_alert_mock_keep.json", "sentry-issue-4616132097", "high"),
        ("zabbix_formatted_webhook_grafana_oncall.json", "08d6891a-835c-e661-39fa-96b6a9e26552", "high"),
        (
            "opsgenie_create_alert_from_alertmanager_test.json",
            "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b",
            "critical",
        ),
    ],
)
def test_generic_single_alerts_open_an_incident(
    api: ApiClient, name: str, dedup_key: str, severity: str
) -> None:
    body = payload(name)
    source_id = body.get("alert_uid") or body.get("alias") or body["id"]
    assert source_id in dedup_key  # the key is the source's own id (alert_uid, alias, issue id)
    integration = api.integration("generic")
    [outcome] = _send(api, integration, body)
    assert (outcome["action"], outcome["status"], outcome["dedup_key"]) == ("opened", "firing", dedup_key)
    incident = api.incident(outcome["incident_id"])
    assert incident["severity"] == severity
    assert [a["dedup_key"] for a in incident["alerts"]] == [dedup_key]


# ----------------------------------------------------------------------- things not alerts


@pytest.mark.parametrize(
    "name", ["apigw_rest_proxy_v1_event_powertools.json", "apigw_http_api_v2_event_powertools.json"]
)
@pytest.mark.parametrize("kind", ["alertmanager", "grafana", "cloudwatch", "datadog", "pagerduty", "generic"])
def test_api_gateway_events_are_refused_naming_a_field(api: ApiClient, name: str, kind: str) -> None:
    integration = api.integration(kind, {"verify_sns_signature": False} if kind == "cloudwatch" else {})
    started = _now_iso()
    reply = _hook(api, integration, payload(name))
    assert reply.status == 400, reply.body
    assert reply.body["error"]["code"] == "invalid_input" and _field(reply)
    assert _alerts_of(api, integration["integration_id"], started) == []


def test_pagerduty_v3_webhook_is_not_an_event(api: ApiClient) -> None:
    integration = api.integration("pagerduty")
    webhook = payload("pagerduty_webhook_v3_incident_priority_updated_pd_docs.json")
    as_is = api.post("/v2/enqueue", webhook, key=None)
    assert as_is.status == 400 and _field(as_is) == "routing_key"
    with_key = _enqueue(api, integration, webhook)  # a copy that carries the token
    assert with_key.status == 400 and _field(with_key) == "event_action"
    hooked = _hook(api, integration, webhook)
    assert hooked.status == 400 and _field(hooked) == "event_action"


# ------------------------------------------------------------------- budget of a duplicate


def _quiet(api: ApiClient, settle: float = 0.6, timeout: float = 15.0) -> None:
    """Wait until background work (ladders, deliveries) stops making AWS calls."""
    deadline = time.monotonic() + timeout
    last = api.get("/_local/aws-calls").body["total"]
    steady_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        total = api.get("/_local/aws-calls").body["total"]
        if total != last:
            last, steady_since = total, time.monotonic()
        elif time.monotonic() - steady_since >= settle:
            return


def test_a_duplicate_alert_costs_one_dynamodb_write_and_no_read(api: ApiClient) -> None:
    integration = api.integration("generic")
    alert = _generic("disk full on db-7", f"dup-{uuid.uuid4().hex}")
    [first] = _send(api, integration, alert)
    assert first["action"] == "opened"

    measured: list[dict[str, int]] = []
    for _ in range(3):  # background work only adds calls: the best of three is the duplicate's own
        _quiet(api)
        assert api.post("/_local/aws-calls/reset").status == 200
        [repeat] = _send(api, integration, alert)
        assert (repeat["action"], repeat["incident_id"]) == ("duplicate", first["incident_id"])
        calls = api.get("/_local/aws-calls").body["calls"]
        measured.append(dict(calls))
        if calls == {"dynamodb:UpdateItem": 1}:
            break
    best = min(measured, key=lambda c: sum(c.values()))
    dynamodb = {k: v for k, v in best.items() if k.startswith("dynamodb:")}
    assert dynamodb == {"dynamodb:UpdateItem": 1}, measured
    assert not any(k.startswith(("states:", "sns:", "events:")) for k in best), measured
    assert _alert(api, integration["integration_id"], alert["dedup_key"])["occurrences"] == 1 + len(measured)


def test_an_alert_stored_with_flat_fields_reads_the_same_and_its_next_copy_updates_it(
    api: ApiClient,
) -> None:
    """Deployed tables hold alerts written before the upsert kept the alert as it arrived in one
    map (`latest`): every reader sees them whole, and a duplicate's newer fields win."""
    from vigil.adapters import dynamo

    integration = api.integration("generic")
    since = _now_iso()
    dedup_key = f"flat-{uuid.uuid4().hex}"
    [first] = _send(api, integration, _generic("disk full on db-8", dedup_key, severity="critical"))
    assert first["action"] == "opened"
    pk = f"ALERT#{first['alert_id']}"
    item = dynamo.get(pk, "ALERT", consistent=True)
    assert item is not None and item["latest"]["title"] == "disk full on db-8"
    dynamo.put({**{k: v for k, v in item.items() if k != "latest"}, **item["latest"]})  # the old shape

    alert = _alert(api, integration["integration_id"], dedup_key)
    assert (alert["title"], alert["severity"], alert["dedup_key"]) == (
        "disk full on db-8",
        "critical",
        dedup_key,
    )
    listed = api.get(f"/api/alerting?since={since}&severity=critical&limit=100").body["items"]
    assert first["alert_id"] in [a["alert_id"] for a in listed]
    assert _incident_alerts(api, first["incident_id"])[first["alert_id"]]["title"] == "disk full on db-8"

    [repeat] = _send(api, integration, _generic("disk full on db-8 (98%)", dedup_key, severity="critical"))
    assert (repeat["action"], repeat["incident_id"]) == ("duplicate", first["incident_id"])
    alert = _alert(api, integration["integration_id"], dedup_key)
    assert (alert["title"], alert["occurrences"]) == ("disk full on db-8 (98%)", 2)
    stored = dynamo.get(pk, "ALERT", consistent=True)
    assert stored is not None and stored["title"] == "disk full on db-8"  # the old field stays, unread


# ----------------------------------------------------------------- limits and bad input


def test_body_over_512_kb_is_413(api: ApiClient) -> None:
    integration = api.integration("generic")
    body = json.dumps({"title": "huge", "description": "x" * (512 * 1024)}).encode()
    assert len(body) > 512 * 1024
    reply = _hook(api, integration, raw=body)
    assert reply.status == 413 and reply.body["error"]["code"] == "payload_too_large"
    pd = api.integration("pagerduty")
    enqueue = api.post(
        "/v2/enqueue", raw=json.dumps({"routing_key": pd["token"], "x": "y" * 524288}).encode()
    )
    assert enqueue.status == 413


def test_body_under_512_kb_is_never_a_500(api: ApiClient) -> None:
    """Under the body limit but over DynamoDB's 400 KB item: stored (cut) or a 400, not a 500."""
    integration = api.integration("generic")
    alert = {"title": "huge description", "dedup_key": "huge-1", "description": "x" * (480 * 1024)}
    reply = _hook(api, integration, alert)
    assert reply.status in (200, 400), reply.body
    if reply.status == 400:
        assert _field(reply).endswith("description")
    else:
        assert _alert(api, integration["integration_id"], "huge-1")["title"] == "huge description"


def test_invalid_json_is_400_naming_the_body(api: ApiClient) -> None:
    integration = api.integration("alertmanager")
    for raw in (b"{not json", b"", b'{"alerts": [}'):
        reply = _hook(api, integration, raw=raw)
        assert reply.status == 400, (raw, reply.body)
        assert _field(reply) == "body"
    enqueue = api.post("/v2/enqueue", raw=b"[1, 2", key=None)
    assert enqueue.status == 400 and _field(enqueue) == "body"


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("generic", {}, "title"),
        ("generic", {"title": 5}, "title"),
        ("generic", {"title": "x", "severity": "catastrophic"}, "severity"),
        ("generic", {"title": "x", "labels": {"team": 1}}, "labels.team"),
        ("generic", {"title": "x", "status": "exploded"}, "status"),
        ("generic", [{"title": "ok"}, {"title": ["no"]}], "[1].title"),
        ("generic", "just a string", "body"),
        ("alertmanager", {"status": "firing"}, "alerts"),
        ("alertmanager", {"alerts": "many"}, "alerts"),
        ("alertmanager", {"alerts": [{"status": "firing", "labels": {}}]}, "alerts[0].labels"),
        (
            "alertmanager",
            {"alerts": [{"status": "burning", "labels": {"alertname": "a"}}]},
            "alerts[0].status",
        ),
        ("grafana", {"ruleId": 7, "state": "melting"}, "state"),
        ("datadog", {"alert_transition": "Triggered"}, "monitor_id"),
        ("datadog", {"monitor_id": 1, "alert_transition": 3}, "alert_transition"),
        ("cloudwatch", {"AlarmName": "a", "NewStateValue": "ON_FIRE"}, "NewStateValue"),
    ],
)
def test_wrong_types_and_missing_fields_are_400_naming_the_field(
    api: ApiClient, kind: str, body: Any, field: str
) -> None:
    integration = api.integration(kind)
    started = _now_iso()
    reply = _hook(api, integration, body)
    assert reply.status == 400, reply.body
    assert reply.body["error"]["code"] == "invalid_input"
    assert _field(reply) == field, reply.body
    assert _alerts_of(api, integration["integration_id"], started) == []  # one bad alert sinks the body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"event_action": "explode"}, "event_action"),
        ({"payload": {"source": "a", "severity": "critical"}}, "payload.summary"),
        ({"payload": {"summary": "s", "source": "a", "severity": "apocalyptic"}}, "payload.severity"),
        ({"dedup_key": "k" * 256}, "dedup_key"),
        ({"routing_key": 42}, "routing_key"),
    ],
)
def test_invalid_pagerduty_events_are_400_naming_the_field(
    api: ApiClient, change: dict[str, Any], field: str
) -> None:
    integration = api.integration("pagerduty")
    # A copy of the OpenAPI example with one field broken.
    event = {
        **payload("pagerduty_events_v2_trigger_openapi_example.json"),
        "routing_key": integration["token"],
    }
    reply = api.post("/v2/enqueue", {**event, **change}, key=None)
    assert reply.status == 400, reply.body
    assert _field(reply) == field


def test_unknown_and_revoked_tokens_are_401(api: ApiClient) -> None:
    alert = _generic("token check", "token-check")
    for token in ("vgi_unknown", "x" * 300):
        reply = api.post(f"/api/hooks/{token}", alert, key=None)
        assert reply.status == 401 and reply.body["error"]["code"] == "unauthorized"
    enqueue = payload("pagerduty_events_v2_trigger_openapi_example.json")  # its placeholder routing_key
    assert api.post("/v2/enqueue", enqueue, key=None).status == 401

    generic = api.integration("generic")
    assert _hook(api, generic, alert).status == 200
    # An API key is not an integration token, and a non-pagerduty token is not a routing key.
    assert api.post(f"/api/hooks/{api.key}", alert, key=None).status == 401
    assert _enqueue(api, generic, enqueue).status == 400
    assert api.call("DELETE", f"/api/integrations/{generic['integration_id']}").status == 200
    revoked = _hook(api, generic, alert)
    assert revoked.status == 401 and revoked.body["error"]["code"] == "unauthorized"


def test_rotated_token_old_one_works_for_the_grace_period_only(api: ApiClient) -> None:
    integration = api.integration("generic")
    with_grace = api.post(f"/api/integrations/{integration['integration_id']}/rotate", {})
    assert with_grace.status == 200 and with_grace.body["token"] != integration["token"]
    assert with_grace.body["url"].endswith(f"/api/hooks/{with_grace.body['token']}")
    assert _hook(api, integration, _generic("old token", "rot-1")).status == 200  # 24 h grace
    assert _hook(api, with_grace.body, _generic("new token", "rot-2")).status == 200

    no_grace = api.post(f"/api/integrations/{integration['integration_id']}/rotate", {"grace_seconds": 0})
    assert no_grace.status == 200
    time.sleep(0.01)  # the grace ends at the rotation's millisecond
    assert _hook(api, with_grace.body, _generic("stale", "rot-3")).status == 401
    assert _hook(api, no_grace.body, _generic("current", "rot-4")).status == 200


def test_rate_limit_is_429_with_retry_after_and_2xx_means_stored(api: ApiClient) -> None:
    integration = api.integration("generic", {"rate_limit_per_minute": 3})
    replies = [_hook(api, integration, _generic(f"rate {i}", f"rate-{i}")) for i in range(4)]
    assert [r.status for r in replies] == [200, 200, 200, 429], [r.body for r in replies]
    limited = replies[3]
    assert limited.body["error"]["code"] == "rate_limited"
    retry_after = _header(limited, "Retry-After")
    assert retry_after is not None and 1 <= int(retry_after) <= 60, limited.headers
    for i, reply in enumerate(replies[:3]):
        [outcome] = reply.body["alerts"]
        stored = _alert(api, integration["integration_id"], f"rate-{i}")
        assert stored["incident_id"] == outcome["incident_id"]
        assert outcome["alert_id"] in _incident_alerts(api, outcome["incident_id"])
    assert _alert_absent(api, integration["integration_id"], "rate-3")  # refused: not stored

    pagerduty = api.integration("pagerduty", {"rate_limit_per_minute": 1})
    event = payload("pagerduty_events_v2_trigger_openapi_example.json")
    assert _enqueue(api, pagerduty, event).status == 202
    second = _enqueue(api, pagerduty, event)
    assert second.status == 429 and _header(second, "Retry-After")


# ------------------------------------------------------------- silences and maintenance


def test_maintenance_window_covering_now_silences_and_one_that_does_not_pages(api: ApiClient) -> None:
    now = datetime.now(UTC)
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    today, tomorrow = days[now.weekday()], days[(now.weekday() + 1) % 7]
    window = {
        "days": [today, tomorrow],  # tomorrow too, in case the test runs across midnight
        "start": (now - timedelta(minutes=10)).strftime("%H:%M:%S"),
        "end": (now + timedelta(minutes=10)).strftime("%H:%M:%S"),
        "comment": "database upgrade",
    }
    quiet = api.integration("generic", {"maintenance_windows": [window]})
    [outcome] = _send(api, quiet, _generic("db upgrade noise", "maint-1"))
    assert (outcome["action"], outcome["status"], outcome["incident_id"]) == ("silenced", "firing", None)
    assert outcome["reason"] == "maintenance"
    stored = _alert(api, quiet["integration_id"], "maint-1")
    assert stored["silenced_by"] == "maintenance" and stored["incident_id"] is None
    assert api.get(f"{INCIDENTS}?text={quote('db upgrade noise')}&limit=100").body["items"] == []

    other_days = [d for d in days if d not in (today, tomorrow)]
    elsewhere = api.integration("generic", {"maintenance_windows": [{**window, "days": other_days}]})
    [paged] = _send(api, elsewhere, _generic("db upgrade noise", "maint-1"))
    assert paged["action"] == "opened" and paged["incident_id"]


def test_maintenance_window_across_midnight_covers_the_next_morning(api: ApiClient) -> None:
    """{"days": [D], "start": S, "end": E} with E before S runs from S on day D to E on the
    day after D. Here: a window that started yesterday a little after this time of day and
    ends today a minute from now, so now is inside it."""
    now = datetime.now(UTC)
    while (now.hour, now.minute, now.second) >= (23, 59, 50):
        time.sleep(0.5)  # too close to midnight to build the window: wait for the new day
        now = datetime.now(UTC)
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    yesterday = days[(now.weekday() - 1) % 7]
    end = min(now + timedelta(minutes=1), now.replace(hour=23, minute=59, second=58, microsecond=0))
    start = min(now + timedelta(minutes=2), now.replace(hour=23, minute=59, second=59, microsecond=0))
    window = {"days": [yesterday], "start": start.strftime("%H:%M:%S"), "end": end.strftime("%H:%M:%S")}
    assert window["end"] < window["start"]  # across midnight
    integration = api.integration("generic", {"maintenance_windows": [window]})
    [outcome] = _send(api, integration, _generic("overnight maintenance", "overnight-1"))
    assert (outcome["action"], outcome["incident_id"]) == ("silenced", None), (window, outcome)


def test_silence_matching_an_alert_keeps_it_quiet_until_it_ends(api: ApiClient) -> None:
    integration = api.integration("generic")
    key = f"silence-{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    silence = api.post(
        "/api/silences",
        {
            "matchers": [{"name": "dedup_key", "value": key}],
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "comment": "known issue, fix deploying",
        },
    )
    assert silence.status == 201, silence.body
    silence_id = silence.body["silence_id"]
    [quiet] = _send(api, integration, _generic("silenced alert", key))
    assert (quiet["action"], quiet["incident_id"], quiet["reason"]) == ("silenced", None, silence_id)
    assert _alert(api, integration["integration_id"], key)["silenced_by"] == silence_id

    assert api.call("DELETE", f"/api/silences/{silence_id}").status == 200
    [paged] = _send(api, integration, _generic("silenced alert", key))
    assert paged["action"] == "opened" and paged["incident_id"]
    assert _alert(api, integration["integration_id"], key)["silenced_by"] is None


# ------------------------------------------------------------------------------ flapping


def test_flapping_alert_rejoins_its_incident_instead_of_opening_another(api: ApiClient) -> None:
    integration = api.integration("generic")
    title = f"flappy {uuid.uuid4().hex[:8]}"
    key = f"flap-{uuid.uuid4().hex}"

    def send(status: str) -> dict[str, Any]:
        [outcome] = _send(api, integration, _generic(title, key, status=status))
        return outcome

    def incidents_of_title() -> set[str]:
        items = api.get(f"{INCIDENTS}?text={quote(title)}&limit=100").body["items"]
        return {i["incident_id"] for i in items}

    first = send("firing")
    assert first["action"] == "opened"
    assert send("resolved")["action"] == "resolved"
    second = send("firing")
    assert second["action"] in ("opened", "joined") and second["incident_id"]
    assert send("resolved")["incident_id"] == second["incident_id"]
    # By now the alert changed state 4 times within the flapping window: flapping, and the
    # resolve still resolves (a resolved problem must never page).
    assert api.incident(second["incident_id"])["status"] == "resolved"
    before = incidents_of_title()

    third = send("firing")
    assert (third["action"], third["reason"]) == ("joined", "flapping")
    assert third["incident_id"] == second["incident_id"]
    assert api.incident(second["incident_id"])["status"] == "open"
    assert incidents_of_title() == before  # no new incident
    timeline = _timeline_text(api, second["incident_id"])
    assert any("flapping" in m and "rejoins this incident" in m for m in timeline), timeline
    assert any("fired again while flapping" in m for m in timeline), timeline


def test_flapping_alert_reopens_an_incident_a_person_resolved(api: ApiClient) -> None:
    integration = api.integration("generic")
    title, key = f"flappy-reopen {uuid.uuid4().hex[:8]}", f"flap-reopen-{uuid.uuid4().hex}"

    def send(status: str) -> dict[str, Any]:
        [outcome] = _send(api, integration, _generic(title, key, status=status))
        return outcome

    send("firing")
    send("resolved")
    incident_id = send("firing")["incident_id"]
    resolved = api.post(f"{INCIDENTS}/{incident_id}/resolve", {"reason": "looks fine"})
    assert resolved.status == 200 and resolved.body["status"] == "resolved"
    send("resolved")  # the alert resolves after the person did: flapping now

    again = send("firing")
    assert (again["action"], again["incident_id"]) == ("joined", incident_id)
    assert api.incident(incident_id)["status"] == "open"  # reopened: its ladder pages again
    assert any("a flapping alert fired again" in m for m in _timeline_text(api, incident_id))


def test_a_repeated_resolve_is_not_a_state_change(api: ApiClient) -> None:
    """Senders repeat notifications (retries, two delivery paths): fire, resolve, the same
    resolve again, fire is three state changes, not four; the last fire is a new problem."""
    integration = api.integration("generic")
    key = f"again-{uuid.uuid4().hex}"
    sent = [
        _send(api, integration, _generic("orders queue stuck", key, status=s))[0]
        for s in ("firing", "resolved")
    ]
    assert [o["action"] for o in sent] == ["opened", "resolved"]
    assert api.incident(sent[0]["incident_id"])["status"] == "resolved"
    _send(api, integration, _generic("orders queue stuck", key, status="resolved"))  # delivered twice

    [again] = _send(api, integration, _generic("orders queue stuck", key))
    assert again["reason"] != "flapping", again
    assert again["incident_id"] and api.incident(again["incident_id"])["status"] == "open", again


def test_alarm_delivered_by_alarm_topic_and_eventbridge_pages_on_its_next_alarm(api: ApiClient) -> None:
    """The documented setup: alarm actions on AlarmTopic, plus the built-in EventBridge rule
    that sees every alarm state change, so each change arrives twice. ALARM, OK, ALARM must
    page twice."""
    name = f"VigilTestAlarm-{uuid.uuid4().hex[:8]}"
    arn = f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"
    # Copies of an EventBridge event and of an AlarmTopic message, renamed to a fresh alarm
    # (with the ARN real SNS messages carry) and set to each state in turn.
    event = payload("eventbridge_cloudwatch_alarm_state_change_single_metric_awsdocs.json")
    event.update(resources=[arn], account="123456789012")
    event["detail"]["alarmName"] = name
    message = json.loads(
        _sns_message("cloudwatch_alarm_sns_lambda_event_ALARM_single_metric_aws_lambda_go.json")["Message"]
    )
    message.update(AlarmName=name, AlarmArn=arn, AWSAccountId="123456789012")

    def change(state: str) -> dict[str, Any]:
        assert (
            api.post(
                "/_local/publish/AlarmTopic", {"Message": json.dumps({**message, "NewStateValue": state})}
            ).status
            == 200
        )
        event["detail"]["state"]["value"] = state
        assert api.post("/_local/put-events", {"Entries": [event]}).body["Entries"][0]["Targets"]
        return _alert(api, BUILTIN_CLOUDWATCH, f"123456789012:{name}")

    first = change("ALARM")
    assert first["status"] == "firing" and api.incident(first["incident_id"])["status"] == "open"
    assert first["occurrences"] == 2  # both deliveries, one alert
    assert change("OK")["status"] == "resolved"
    assert api.incident(first["incident_id"])["status"] == "resolved"

    second = change("ALARM")
    assert second["status"] == "firing" and second["incident_id"]
    assert api.incident(second["incident_id"])["status"] == "open", "the second ALARM paged no one"


# --------------------------------------------------------------------------- correlation


def test_alerts_sharing_a_group_key_join_one_incident_within_the_window(api: ApiClient) -> None:
    integration = api.integration("alertmanager")
    body = payload("alertmanager_v4_firing_grafana_oncall.json")
    assert len(body["alerts"]) == 2
    # Two notifications of one group (same groupKey), each a copy holding one of the alerts.
    first_body = {**body, "alerts": [body["alerts"][0]]}
    second_body = {**body, "alerts": [body["alerts"][1]]}

    [first] = _send(api, integration, first_body)
    [second] = _send(api, integration, second_body)
    assert first["action"] == "opened"
    assert (second["action"], second["incident_id"]) == ("joined", first["incident_id"])
    assert second["reason"] == f"correlated by {body['groupKey']}"
    assert second["alert_id"] != first["alert_id"]
    alerts = _incident_alerts(api, first["incident_id"])
    assert set(alerts) == {first["alert_id"], second["alert_id"]}
    assert any("alert joined" in m for m in _timeline_text(api, first["incident_id"]))

    # Once the incident is resolved, the group's next alert opens a new one.
    resolved = copy.deepcopy(body)
    resolved["status"] = "resolved"
    for element in resolved["alerts"]:
        element["status"] = "resolved"
    _send(api, integration, resolved)
    assert api.incident(first["incident_id"])["status"] == "resolved"
    third_alert = {**body["alerts"][0], "fingerprint": "0123456789abcdef"}
    [third] = _send(api, integration, {**body, "alerts": [third_alert]})
    assert third["action"] == "opened" and third["incident_id"] != first["incident_id"]


def test_correlation_is_per_integration(api: ApiClient) -> None:
    body = payload("alertmanager_v4_firing_alerta.json")
    a, b = api.integration("alertmanager"), api.integration("alertmanager")
    [in_a] = _send(api, a, body)
    [in_b] = _send(api, b, body)
    assert in_a["action"] == in_b["action"] == "opened"
    assert in_a["incident_id"] != in_b["incident_id"] and in_a["alert_id"] != in_b["alert_id"]


# ------------------------------------------------------------------------------ mappings

UPTIME_MAPPING = {
    "title": "{{ payload.monitor.name }} is {{ payload.state }}",
    "severity": "{{ 'critical' if payload.monitor.tier == 1 else 'medium' }}",
    "dedup_key": "uptime-{{ payload.monitor.id }}",
    "resolve_condition": "{{ payload.state == 'up' }}",
    "description": "{{ payload.message }}",
}
PINGDOM_MAPPING = {  # the worked example in docs/integrations.md
    "title": "{{ payload.check_name }}: {{ payload.description }}",
    "severity": "{{ payload.importance_level | lower }}",
    "dedup_key": "pingdom-{{ payload.check_id }}",
    "resolve_condition": "{{ payload.current_state == 'UP' }}",
    "description": "{{ payload.long_description }}",
}


def test_the_mapping_examples_in_the_docs_are_the_ones_tested() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "integrations.md").read_text()
    pingdom = json.loads(docs.split("<<'EOF'\n", 1)[1].split("\nEOF", 1)[0])
    assert pingdom["settings"]["mapping"] == PINGDOM_MAPPING
    blocks = [b.split("```", 1)[0] for b in docs.split("```json\n")[1:]]
    assert {"mapping": UPTIME_MAPPING} in [
        json.loads(b) for b in blocks if b.lstrip().startswith('{"mapping"')
    ]


def test_mapping_turns_a_custom_shape_into_alerts_that_open_and_resolve(api: ApiClient) -> None:
    integration = api.integration("generic", {"mapping": UPTIME_MAPPING})
    assert integration["settings"]["mapping"]["dedup_key"] == UPTIME_MAPPING["dedup_key"]
    down = {"monitor": {"id": 42, "name": "checkout", "tier": 1}, "state": "down", "message": "HTTP 503"}
    [opened] = _send(api, integration, down)
    assert (opened["action"], opened["dedup_key"]) == ("opened", "uptime-42")
    incident = api.incident(opened["incident_id"])
    assert (incident["title"], incident["severity"]) == ("checkout is down", "critical")
    assert _alert(api, integration["integration_id"], "uptime-42")["description"] == "HTTP 503"

    [resolved] = _send(api, integration, {**down, "state": "up", "message": "HTTP 200"})
    assert (resolved["action"], resolved["alert_id"]) == ("resolved", opened["alert_id"])
    assert api.incident(opened["incident_id"])["status"] == "resolved"


def test_documented_pingdom_mapping_handles_the_pingdom_pair(api: ApiClient) -> None:
    integration = api.integration("generic", {"mapping": PINGDOM_MAPPING})
    down, up = payload("pingdom_check_down_alerta.json"), payload("pingdom_check_up_alerta.json")
    [opened] = _send(api, integration, down)
    assert (opened["action"], opened["dedup_key"]) == ("opened", f"pingdom-{down['check_id']}")
    assert api.incident(opened["incident_id"])["title"] == f"{down['check_name']}: {down['description']}"
    [resolved] = _send(api, integration, up)
    assert (resolved["action"], resolved["incident_id"]) == ("resolved", opened["incident_id"])
    assert api.incident(opened["incident_id"])["status"] == "resolved"


def test_invalid_mapping_template_is_refused_when_saved(api: ApiClient) -> None:
    broken = {**UPTIME_MAPPING, "title": "{{ payload.monitor.name "}
    reply = api.post(
        "/api/integrations", {"name": "broken", "kind": "generic", "settings": {"mapping": broken}}
    )
    assert reply.status == 400, reply.body
    assert _field(reply) == "body.settings.mapping.title"

    integration = api.integration("generic", {"mapping": UPTIME_MAPPING})
    patched = api.call(
        "PATCH",
        f"/api/integrations/{integration['integration_id']}",
        {"settings": {"mapping": {**UPTIME_MAPPING, "resolve_condition": "{% if %}"}}},
    )
    assert patched.status == 400 and _field(patched) == "body.settings.mapping.resolve_condition"
    unknown = api.post(
        "/api/integrations", {"name": "typo", "kind": "generic", "settings": {"rate_limit": 5}}
    )
    assert unknown.status == 400 and _field(unknown) == "body.settings.rate_limit"


def test_mapping_that_fails_on_a_payload_is_400_naming_the_template(api: ApiClient) -> None:
    blank = api.integration("generic", {"mapping": {"title": "{{ payload.missing }}"}})
    refused = _hook(api, blank, {"anything": 1})  # renders empty: no title
    assert refused.status == 400 and _field(refused) == "settings.mapping.title"
    failing = api.integration("generic", {"mapping": {"title": "x", "dedup_key": "{{ payload.a.b.c }}"}})
    raised = _hook(api, failing, {"anything": 1})  # an attribute of an undefined value
    assert raised.status == 400 and _field(raised) == "settings.mapping.dedup_key"
