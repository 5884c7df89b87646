"""The webhook parsers against the real payloads in tests/fixtures/payloads (verbatim copies)."""

from __future__ import annotations

import copy
import hashlib
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from vigil.domain.alerts import AlertStatus, NormalizedAlert, Severity
from vigil.domain.errors import InvalidInput
from vigil.domain.parsers import KINDS, parse, sns_envelope_type, validate_pagerduty_event

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"


def load(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def parse_file(kind: str, name: str) -> list[NormalizedAlert]:
    return parse(kind, load(name))


def only(alerts: list[NormalizedAlert]) -> NormalizedAlert:
    assert len(alerts) == 1
    return alerts[0]


def sha32(value: object) -> str:
    """The documented hash, computed independently of the code under test."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def field_of(kind: str, payload: object) -> str:
    with pytest.raises(InvalidInput) as caught:
        parse(kind, payload)
    return caught.value.field


# --- dispatch ----------------------------------------------------------------------------------


def test_kinds_lists_every_integration() -> None:
    assert KINDS == ("alertmanager", "grafana", "cloudwatch", "datadog", "pagerduty", "generic")


@pytest.mark.parametrize("kind", ["nagios", "", "ALERTMANAGER", 7])
def test_unknown_kind_is_rejected_on_the_kind_field(kind: Any) -> None:
    assert field_of(kind, {"title": "x"}) == "kind"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("payload", [None, "text", 3, 2.5, True])
def test_non_object_body_is_rejected_on_body(kind: str, payload: object) -> None:
    assert field_of(kind, payload) == "body"


@pytest.mark.parametrize(
    ("kind", "good"),
    [("datadog", load("datadog_webhook_triggered_keep.json")), ("generic", {"title": "ok"})],
)
def test_array_bodies_name_the_bad_element(kind: str, good: dict[str, Any]) -> None:
    assert len(parse(kind, [good, good])) == 2
    assert field_of(kind, [good, "oops"]) == "[1]"
    assert parse(kind, []) == []


# --- Alertmanager ------------------------------------------------------------------------------


def test_alertmanager_raw_capture_uses_the_fingerprint() -> None:
    alert = only(parse_file("alertmanager", "alertmanager_v4_firing_am0.21_raw_issue2447.json"))
    assert alert.source == "alertmanager"
    assert alert.dedup_key == "8a07086b74f3ba78"
    assert alert.status is AlertStatus.FIRING
    assert alert.severity is Severity.CRITICAL
    assert alert.title == "This is a demo"
    assert alert.correlation_key == '{}:{alertname="DemoAlert"}'
    assert alert.labels == {"alertname": "DemoAlert", "server": "ni3", "severity": "critical"}
    assert alert.starts_at == datetime(2021, 1, 7, 8, 38, 0, 32813, tzinfo=UTC)
    expr = "sum%28prometheus_build_info%29+%3C+3"
    assert alert.source_url == f"http://n3:9090/graph?g0.expr={expr}&g0.tab=1"
    assert "ends_at" not in alert.details  # Go zero time is "no time"
    assert alert.details["receiver"] == "web\\.hook"


def test_alertmanager_without_fingerprint_hashes_the_sorted_labels() -> None:
    alert = only(parse_file("alertmanager", "alertmanager_v4_firing_alerta.json"))
    assert alert.dedup_key == sha32({"alertname": "thing_dead", "severity": "critical"})
    assert alert.title == "No things for over 10 minutes"
    assert alert.description.startswith("No things have been recorded for over 10 minutes.")
    assert alert.severity is Severity.CRITICAL
    assert alert.correlation_key == "{}:{alertname=thing_dead}"
    # 15:17:37.804-04:00 is 19:17:37.804 UTC
    assert alert.starts_at == datetime(2017, 8, 3, 19, 17, 37, 804000, tzinfo=UTC)
    assert alert.starts_at.tzinfo is UTC


def test_alertmanager_icmp_pair_resolves_by_status_not_by_ends_at() -> None:
    firing = parse_file("alertmanager", "alertmanager_v4_firing_icmp_alertmonitor.json")
    resolved = parse_file("alertmanager", "alertmanager_v4_resolved_icmp_alertmonitor.json")
    assert [a.status for a in firing] == [AlertStatus.FIRING] * 3
    assert [a.status for a in resolved] == [AlertStatus.RESOLVED] * 3
    assert [a.dedup_key for a in firing] == [a.dedup_key for a in resolved]
    assert len({a.dedup_key for a in firing}) == 3
    first = firing[0]
    assert first.dedup_key == sha32(
        {
            "alertname": "ICMP ping failed",
            "instance": "172.29.254.30",
            "job": "blackbox-icmp",
            "monitor": "monis",
            "severity": "major",
            "tags": "icmp, ping failed",
            "summary": "No physical connection to 172.29.254.30",
        }
    )
    assert first.title == "ICMP ping failed"  # summary is a label here, not an annotation
    assert first.description == "172.29.254.30 does not reply to ICMP pings"
    assert first.severity is Severity.HIGH  # "major"
    route = '{}/{severity=~"^(?:^(critical|major|minor|warning|informational)$)$"}'
    group_key = route + ':{alertname="ICMP ping failed"}'
    assert {a.correlation_key for a in firing + resolved} == {group_key}


def test_alertmanager_oncall_example_uses_title_annotation_and_drops_empty_url() -> None:
    alerts = parse_file("alertmanager", "alertmanager_v4_firing_grafana_oncall.json")
    assert [a.dedup_key for a in alerts] == ["f404ecabc8dd5cd7", "f8f08d4e32c61a9d"]
    assert [a.title for a in alerts] == [
        "Instance localhost:8081 down",
        "Instance localhost:8082 down",
    ]
    assert all(a.source_url is None for a in alerts)
    assert alerts[0].starts_at == datetime(2023, 6, 12, 8, 24, 38, 326000, tzinfo=UTC)


def test_alertmanager_element_status_wins_over_group_status() -> None:
    body = load("alertmanager_v4_firing_icmp_alertmonitor.json")
    body["alerts"][1]["status"] = "resolved"
    del body["alerts"][2]["status"]
    statuses = [a.status for a in parse("alertmanager", body)]
    assert statuses == [AlertStatus.FIRING, AlertStatus.RESOLVED, AlertStatus.FIRING]


@pytest.mark.parametrize(
    ("label", "expected", "category"),
    [
        ({"severity": "warning"}, Severity.MEDIUM, None),
        ({"severity": "page"}, Severity.CRITICAL, None),
        ({"severity": "error"}, Severity.HIGH, None),
        ({"severity": "emergency"}, Severity.EMERGENCY, None),
        ({"severity": "disaster"}, Severity.EMERGENCY, None),
        ({"severity": "info"}, Severity.INFO, None),
        ({"severity": "bananas"}, Severity.HIGH, None),
        ({"category": "Database"}, Severity.HIGH, "database"),
        ({"category": "finance"}, Severity.HIGH, None),
    ],
)
def test_alertmanager_severity_and_category_from_labels(
    label: dict[str, str], expected: Severity, category: str | None
) -> None:
    body = load("alertmanager_v4_firing_am0.21_raw_issue2447.json")
    body["alerts"][0]["labels"].pop("severity")
    body["alerts"][0]["labels"].update(label)
    alert = only(parse("alertmanager", body))
    assert alert.severity is expected
    assert alert.category == category


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("alerts"), "alerts"),
        (lambda b: b.update(alerts={}), "alerts"),
        (lambda b: b["alerts"].append("x"), "alerts[1]"),
        (lambda b: b["alerts"][0].update(labels=["a"]), "alerts[0].labels"),
        (lambda b: b["alerts"][0]["labels"].update(server={"x": 1}), "alerts[0].labels.server"),
        (lambda b: b["alerts"][0].update(status="exploded"), "alerts[0].status"),
        (lambda b: b["alerts"][0].update(status=1), "alerts[0].status"),
        (lambda b: b["alerts"][0].update(fingerprint=7), "alerts[0].fingerprint"),
        (
            lambda b: b["alerts"][0].update(annotations=None, labels={}),
            "alerts[0].labels.alertname",
        ),
        (lambda b: b["alerts"][0].update(fingerprint="", labels={}), "alerts[0].labels"),
        (lambda b: b["alerts"][0].update(generatorURL=[]), "alerts[0].generatorURL"),
        (lambda b: b.update(groupKey=5), "groupKey"),
    ],
)
def test_alertmanager_malformed_fields_are_named(mutate: Any, field: str) -> None:
    body = load("alertmanager_v4_firing_am0.21_raw_issue2447.json")
    mutate(body)
    assert field_of("alertmanager", body) == field


def test_alertmanager_missing_status_everywhere_is_an_error() -> None:
    body = load("alertmanager_v4_firing_alerta.json")
    del body["status"], body["alerts"][0]["status"]
    assert field_of("alertmanager", body) == "alerts[0].status"


def test_unparseable_start_is_ignored_not_an_error() -> None:
    body = load("alertmanager_v4_firing_alerta.json")
    body["alerts"][0]["startsAt"] = "yesterday-ish"
    assert only(parse("alertmanager", body)).starts_at is None


# --- Grafana -----------------------------------------------------------------------------------


def test_grafana_unified_alerting_docs_example() -> None:
    alerts = parse_file("grafana", "grafana_unified_alerting_webhook_firing_grafana_docs.json")
    assert [a.dedup_key for a in alerts] == ["c6eadffa33fcdf37", "bc97ff14869b13e3"]
    assert [a.title for a in alerts] == [
        "This alert was triggered for zone us-1",
        "This alert was triggered for zone eu-1",
    ]
    assert all(a.status is AlertStatus.FIRING and a.source == "grafana" for a in alerts)
    assert all(a.severity is Severity.HIGH for a in alerts)  # no severity label
    assert alerts[0].description == "The system has high memory usage"
    assert alerts[0].details["values"] == {"B": 44.23943737541908, "C": 1}
    assert alerts[0].details["silenceURL"].startswith("https://play.grafana.org/alerting/silence")
    assert alerts[0].starts_at == datetime(2021, 10, 12, 7, 51, 3, 157076, tzinfo=UTC)
    assert alerts[0].correlation_key == "{}:{}"


def test_grafana_12_relative_generator_url_is_made_absolute() -> None:
    alert = only(parse_file("grafana", "grafana_unified_alerting_webhook_v12_firing_keep.json"))
    assert alert.dedup_key == "c4edaaf9f9f839b0"
    assert alert.title == "TEST"
    assert alert.description == "Test Description"
    assert alert.source_url == "https://grafana.example.com/?orgId=1"
    assert alert.details["valueString"] == "[ var='B' value=22 ]"
    assert alert.labels["grafana_folder"] == "Test Folder"
    assert alert.starts_at == datetime(2026, 5, 5, 13, 4, 57, 622813, tzinfo=UTC)


def test_grafana_oncall_forwarded_alertmanager_format() -> None:
    alerts = parse_file("grafana", "grafana_alerting_firing_grafana_oncall.json")
    assert [a.dedup_key for a in alerts] == [
        "f404ecabc8dd5cd7",
        "f8f08d4e32c61a9d",
        "39f38c0611ee7abd",
    ]
    assert {a.severity for a in alerts} == {Severity.CRITICAL}
    assert {a.correlation_key for a in alerts} == {'{}:{alertname="InstanceDown"}'}


def test_grafana_legacy_pair_shares_the_rule_key() -> None:
    firing = only(parse_file("grafana", "grafana_legacy_alerting_firing_alerta.json"))
    ok = only(parse_file("grafana", "grafana_legacy_alerting_ok_alerta.json"))
    assert firing.dedup_key == ok.dedup_key == "grafana-rule-7"
    assert (firing.status, ok.status) == (AlertStatus.FIRING, AlertStatus.RESOLVED)
    assert firing.title == ok.title == "Zeta CPU alert"
    assert firing.description == "boom!"
    assert firing.source_url is not None and firing.source_url.startswith("https://grafana.domain")
    assert firing.details["eval_matches"][0]["metric"] == "user"
    assert firing.details["eval_matches"][0]["tags"]["instance"] == "zeta.domain"
    assert ok.details["eval_matches"] == []


@pytest.mark.parametrize("state", ["no_data", "paused", "pending"])
def test_grafana_legacy_indeterminate_states_are_unknown(state: str) -> None:
    body = load("grafana_legacy_alerting_firing_alerta.json")
    body["state"] = state
    assert only(parse("grafana", body)).status is AlertStatus.UNKNOWN


def test_grafana_legacy_org_id_is_part_of_the_key() -> None:
    body = load("grafana_legacy_alerting_ok_alerta.json")
    body["orgId"] = 3
    assert only(parse("grafana", body)).dedup_key == "grafana-rule-7-org-3"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("ruleId"), "ruleId"),
        (lambda b: b.update(ruleId=True), "ruleId"),
        (lambda b: b.update(state="melting"), "state"),
        (lambda b: b.update(evalMatches={}), "evalMatches"),
        (lambda b: b.update(evalMatches=[3]), "evalMatches[0]"),
    ],
)
def test_grafana_legacy_malformed_fields_are_named(mutate: Any, field: str) -> None:
    body = load("grafana_legacy_alerting_firing_alerta.json")
    mutate(body)
    assert field_of("grafana", body) == field


def test_grafana_body_of_unknown_shape_asks_for_alerts() -> None:
    assert field_of("grafana", {"hello": "world"}) == "alerts"


# --- CloudWatch --------------------------------------------------------------------------------


def test_cloudwatch_sns_https_notification() -> None:
    name = "cloudwatch_alarm_sns_http_notification_ALARM_alerta.json"
    alert = only(parse_file("cloudwatch", name))
    assert alert.source == "cloudwatch"
    assert alert.dedup_key == "1234567890:bucketbytesAlarm"
    assert alert.status is AlertStatus.FIRING
    assert alert.severity is Severity.HIGH
    assert alert.title == "bucketbytesAlarm"
    assert alert.description.startswith("Threshold Crossed: 1 datapoint [1062305.0")
    assert alert.starts_at == datetime(2019, 2, 15, 23, 53, 45, 93000, tzinfo=UTC)
    assert alert.details["format"] == "sns"
    assert alert.details["region"] == "EU (Ireland)"
    assert alert.details["account"] == "1234567890"
    assert alert.details["topic_arn"] == "arn:aws:sns:eu-west-1:1234567890:alerta-test"
    assert alert.details["previous_state"] == "INSUFFICIENT_DATA"
    assert alert.details["metric"]["namespace"] == "AWS/S3"
    assert alert.details["metric"]["metric_name"] == "BucketSizeBytes"
    assert alert.details["metric"]["dimensions"] == {
        "StorageType": "StandardStorage",
        "BucketName": "try.alerta.io",
    }
    assert alert.labels["namespace"] == "AWS/S3"
    assert alert.suppressed is False
    assert sns_envelope_type(load(name)) == "Notification"


def test_cloudwatch_insufficient_data_is_unknown_and_keyed_on_alarm_name() -> None:
    name = "cloudwatch_alarm_sns_http_notification_INSUFFICIENT_DATA_alerta.json"
    alert = only(parse_file("cloudwatch", name))
    assert alert.status is AlertStatus.UNKNOWN
    # the SNS Subject says "NotificationCount"; the alarm's name is in Message
    assert alert.dedup_key == "1234567890:notificationCountAlarm"
    assert alert.description == "Insufficient Data: 10 datapoints were unknown."


def test_cloudwatch_sns_lambda_single_metric_ignores_placeholder_arn() -> None:
    name = "cloudwatch_alarm_sns_lambda_event_ALARM_single_metric_aws_lambda_go.json"
    alert = only(parse_file("cloudwatch", name))
    # AlarmArn is "arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE": not a real ARN
    assert alert.dedup_key == "123456789012:EXAMPLE"
    assert alert.status is AlertStatus.FIRING
    assert alert.details["metric"]["dimensions"] == {"InstanceId": "TestInstance"}
    assert alert.labels["metric_name"] == "NetworkOut"
    assert alert.starts_at == datetime(2015, 6, 3, 17, 43, 27, 123000, tzinfo=UTC)


def test_cloudwatch_sns_lambda_metric_math() -> None:
    name = "cloudwatch_alarm_sns_lambda_event_ALARM_multi_metric_aws_lambda_go.json"
    alert = only(parse_file("cloudwatch", name))
    assert alert.dedup_key == "EXAMPLE:EXAMPLE"
    assert "metric" not in alert.details
    assert alert.details["metrics"] == [
        {"id": "e1", "expression": "m1*1", "label": "Expression1", "return_data": True},
        {
            "id": "m1",
            "namespace": "AWS/EC2",
            "metric_name": "NetworkOut",
            "dimensions": {"InstanceId": "TestInstance"},
            "stat": "Average",
            "period": 60,
            "return_data": False,
        },
    ]
    assert alert.labels["metric_name"] == "NetworkOut"


def test_cloudwatch_sns_lambda_ok_resolves() -> None:
    alert = only(parse_file("cloudwatch", "cloudwatch_alarm_sns_lambda_event_OK_notify_slack.json"))
    assert alert.dedup_key == "735598076380:DBMigrationRequired"
    assert alert.status is AlertStatus.RESOLVED
    assert alert.details["previous_state"] == "ALARM"
    assert alert.details["metric"]["dimensions"] == {}


def _with_state(name: str, state: str) -> dict[str, Any]:
    """The SNS notification `name` with NewStateValue replaced inside its Message string."""
    body = load(name)
    message = json.loads(body["Message"])
    message["NewStateValue"] = state
    body["Message"] = json.dumps(message)
    return body


def test_cloudwatch_alarm_and_ok_of_one_alarm_share_the_key() -> None:
    name = "cloudwatch_alarm_sns_http_notification_ALARM_alerta.json"
    alarm = only(parse("cloudwatch", load(name)))
    ok = only(parse("cloudwatch", _with_state(name, "OK")))
    assert ok.status is AlertStatus.RESOLVED
    assert ok.dedup_key == alarm.dedup_key


def test_cloudwatch_eventbridge_single_metric() -> None:
    name = "eventbridge_cloudwatch_alarm_state_change_single_metric_awsdocs.json"
    alert = only(parse_file("cloudwatch", name))
    assert alert.dedup_key == "123456789012:ServerCpuTooHigh"
    assert alert.status is AlertStatus.FIRING
    assert alert.title == "ServerCpuTooHigh"
    assert alert.starts_at == datetime(2019, 10, 2, 17, 4, 40, 989000, tzinfo=UTC)
    assert alert.details["format"] == "eventbridge"
    arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh"
    assert alert.details["alarm_arn"] == arn
    assert alert.details["previous_state"] == "OK"
    assert alert.labels == {
        "alarm_name": "ServerCpuTooHigh",
        "account": "123456789012",
        "region": "us-east-1",
        "namespace": "AWS/EC2",
        "metric_name": "CPUUtilization",
    }
    assert alert.source_url == (
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        "#alarmsV2:alarm/ServerCpuTooHigh"
    )
    assert alert.suppressed is False
    assert sns_envelope_type(load(name)) is None


def test_cloudwatch_eventbridge_ok_keeps_the_key() -> None:
    body = load("eventbridge_cloudwatch_alarm_state_change_single_metric_awsdocs.json")
    body["detail"]["state"], body["detail"]["previousState"] = (
        body["detail"]["previousState"],
        body["detail"]["state"],
    )
    alert = only(parse("cloudwatch", body))
    assert alert.status is AlertStatus.RESOLVED
    assert alert.dedup_key == "123456789012:ServerCpuTooHigh"


def test_cloudwatch_eventbridge_metric_math_and_anomaly() -> None:
    math_file = "eventbridge_cloudwatch_alarm_state_change_metric_math_awsdocs.json"
    math = only(parse_file("cloudwatch", math_file))
    assert math.dedup_key == "123456789012:TotalNetworkTrafficTooHigh"
    assert [m["id"] for m in math.details["metrics"]] == ["e1", "m1", "m2"]
    assert math.details["metrics"][0]["expression"] == "SUM(METRICS())"
    assert "metric_name" not in math.labels  # two metrics: none is "the" metric
    assert math.details["previous_state"] == "INSUFFICIENT_DATA"

    anomaly_file = "eventbridge_cloudwatch_alarm_state_change_anomaly_awsdocs.json"
    anomaly = only(parse_file("cloudwatch", anomaly_file))
    assert anomaly.dedup_key == "123456789012:EC2 CPU Utilization Anomaly"
    assert anomaly.labels["metric_name"] == "CPUUtilization"
    assert anomaly.source_url is not None
    assert anomaly.source_url.endswith("#alarmsV2:alarm/EC2%20CPU%20Utilization%20Anomaly")


def test_cloudwatch_eventbridge_suppressed_composite_must_not_page() -> None:
    name = "eventbridge_cloudwatch_alarm_state_change_composite_suppressor_awsdocs.json"
    alert = only(parse_file("cloudwatch", name))
    assert alert.dedup_key == "123456789012:ServiceAggregatedAlarm"
    assert alert.status is AlertStatus.FIRING
    assert alert.suppressed is True
    assert alert.details["actions_suppressed_by"] == "WaitPeriod"
    rule = "ALARM(ServerCpuTooHigh) OR ALARM(TotalNetworkTrafficTooHigh)"
    assert alert.details["alarm_rule"] == rule


def test_cloudwatch_lambda_action_single_metric_prefers_the_arn() -> None:
    name = "cloudwatch_alarm_lambda_action_single_metric_powertools.json"
    alert = only(parse_file("cloudwatch", name))
    # alarmArn says 912397435824/test_alarm while accountId/alarmName say 123456789012/Test alert
    assert alert.dedup_key == "912397435824:test_alarm"
    assert alert.title == "Test alert"
    assert alert.status is AlertStatus.FIRING
    assert alert.details["format"] == "lambda_action"
    assert alert.details["alarm_description"] == "This is description **here**"
    assert [m["id"] for m in alert.details["metrics"]] == ["e1", "m1", "m2"]
    assert alert.starts_at == datetime(2024, 2, 17, 11, 53, 8, 431000, tzinfo=UTC)


def test_cloudwatch_lambda_action_composite_is_not_suppressed_by_previous_state() -> None:
    name = "cloudwatch_alarm_lambda_action_composite_powertools.json"
    alert = only(parse_file("cloudwatch", name))
    assert alert.dedup_key == "111122223333:SuppressionDemo.Main"
    assert alert.title == "CompositeDemo.Main"
    assert alert.details["alarm_rule"].startswith("ALARM(CompositeDemo.FirstChild)")
    assert alert.suppressed is False  # actionsSuppressedBy is on previousState only
    body = load(name)
    body["alarmData"]["state"]["actionsSuppressedBy"] = "Alarm"
    assert only(parse("cloudwatch", body)).suppressed is True


@pytest.mark.parametrize("kind", ["SubscriptionConfirmation", "UnsubscribeConfirmation"])
def test_cloudwatch_sns_confirmations_are_not_alerts(kind: str) -> None:
    body = load("sns_http_subscription_confirmation_alerta.json")
    body["Type"] = kind
    assert parse("cloudwatch", body) == []
    assert sns_envelope_type(body) == kind


@pytest.mark.parametrize("payload", [None, [], "x", {"Type": "Banana"}, {"Type": 3}, {}])
def test_sns_envelope_type_is_none_for_anything_else(payload: object) -> None:
    assert sns_envelope_type(payload) is None


def test_cloudwatch_same_alarm_in_every_shape_has_one_key() -> None:
    eventbridge = load("eventbridge_cloudwatch_alarm_state_change_single_metric_awsdocs.json")
    message = {
        "AlarmName": "ServerCpuTooHigh",
        "AWSAccountId": "123456789012",
        "NewStateValue": "OK",
        "Region": "US East (N. Virginia)",
        "StateChangeTime": "2019-10-02T18:00:00.000+0000",
    }
    envelope = {"Type": "Notification", "Message": json.dumps(message)}
    wrapped_event = {"Type": "Notification", "Message": json.dumps(eventbridge)}
    shapes = [
        eventbridge,
        message,  # SNS raw message delivery
        envelope,
        {"Records": [{"Sns": envelope}]},
        wrapped_event,  # EventBridge rule -> SNS topic
    ]
    keys = {only(parse("cloudwatch", shape)).dedup_key for shape in shapes}
    assert keys == {"123456789012:ServerCpuTooHigh"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"Type": "Notification", "Message": "not json"}, "Message"),
        ({"Type": "Notification", "Message": "[1, 2]"}, "Message"),
        ({"Type": "Notification", "Message": '{"a": 1}'}, "Message.AlarmName"),
        ({"Type": "Notification"}, "Message"),
        ({"Type": "Weird"}, "Type"),
        ({"Records": {}}, "Records"),
        ({"Records": [{}]}, "Records[0].Sns"),
        (
            {"Records": [{"Sns": {"Type": "Notification", "Message": "{"}}]},
            "Records[0].Sns.Message",
        ),
        ({"AlarmName": "a", "NewStateValue": "BROKEN"}, "NewStateValue"),
        ({"AlarmName": "a"}, "NewStateValue"),
        ({"AlarmName": "a", "NewStateValue": "OK", "Trigger": []}, "Trigger"),
        (
            {
                "AlarmName": "a",
                "NewStateValue": "OK",
                "Trigger": {"MetricName": "m", "Dimensions": [{"value": "x"}]},
            },
            "Trigger.Dimensions[0].name",
        ),
        ({"detail-type": "EC2 Instance State-change Notification", "detail": {}}, "detail-type"),
        ({"detail-type": "CloudWatch Alarm State Change"}, "detail"),
        ({"detail": {"alarmName": "a"}}, "detail.state"),
        ({"detail": {"alarmName": "a", "state": {"value": "MAYBE"}}}, "detail.state.value"),
        ({"detail": {"alarmName": "a", "state": {"value": "OK"}}, "resources": [1]}, "resources"),
        ({"alarmData": []}, "alarmData"),
        ({"alarmData": {"state": {"value": "OK"}}}, "alarmData.alarmName"),
        ({"hello": "world"}, "body"),
    ],
)
def test_cloudwatch_malformed_fields_are_named(payload: object, field: str) -> None:
    assert field_of("cloudwatch", payload) == field


# --- Datadog -----------------------------------------------------------------------------------

TRIO_KEY = "160076582:service:keep-api-matvey-kuk-workflows-fix"


def test_datadog_trio_dedups_on_monitor_and_scope_not_event_id() -> None:
    names = [
        "datadog_webhook_triggered_keep.json",
        "datadog_webhook_retriggered_same_monitor_scope_keep.json",
        "datadog_webhook_recovered_keep.json",
    ]
    alerts = [only(parse_file("datadog", name)) for name in names]
    assert [a.dedup_key for a in alerts] == [TRIO_KEY] * 3
    assert [a.status for a in alerts] == [
        AlertStatus.FIRING,
        AlertStatus.FIRING,
        AlertStatus.RESOLVED,
    ]
    assert [a.details["event_id"] for a in alerts] == [
        "7879709198622396010",
        "7879717254454313398",
        "7879722272469287876",
    ]
    assert {a.correlation_key for a in alerts} == {"monitor:160076582"}
    triggered = alerts[0]
    assert triggered.severity is Severity.HIGH
    scope = "service:keep-api-matvey-kuk-workflows-fix"
    assert triggered.title == f"[Triggered on {{{scope}}}] Error monitor"
    assert triggered.starts_at == utc(2024, 12, 11, 15, 15, 33)
    assert triggered.description.startswith("trace_id:")  # the %%% markers are dropped
    assert not triggered.description.endswith("%%%")
    assert triggered.labels == {"monitor": "", "service": "keep-api-matvey-kuk-workflows-fix"}
    assert triggered.source_url == "https://app.datadoghq.com/event/event?id=7879709198622396010"


def test_datadog_warn_is_medium() -> None:
    alert = only(parse_file("datadog", "datadog_webhook_warn_keep.json"))
    assert alert.dedup_key == "134462228:service:keep-api"
    assert alert.status is AlertStatus.FIRING
    assert alert.severity is Severity.MEDIUM
    assert alert.details["priority"] == "P2"
    assert alert.labels == {"environment": "production", "monitor": "", "service": "keep-api"}


def test_datadog_capture_of_43_events() -> None:
    events = load("datadog_webhook_capture_43_events_keep.json")
    alerts = parse("datadog", events)
    assert len(alerts) == 43
    assert Counter(a.status for a in alerts) == {
        AlertStatus.FIRING: 25,
        AlertStatus.RESOLVED: 18,
    }
    assert Counter(a.severity for a in alerts) == {Severity.HIGH: 42, Severity.MEDIUM: 1}
    assert len({a.dedup_key for a in alerts}) == 21
    assert {a.correlation_key for a in alerts} == {
        "monitor:160076582",
        "monitor:160077064",
        "monitor:160077341",
        "monitor:134462228",
    }
    assert [a.dedup_key for a in alerts].count(TRIO_KEY) == 3
    for event, alert in zip(events, alerts, strict=True):
        assert event["id"] not in alert.dedup_key
        assert alert.dedup_key == f"{event['monitor_id']}:{event['scopes']}"


@pytest.mark.parametrize(
    ("changes", "status", "severity"),
    [
        ({"alert_transition": "Re-Triggered"}, AlertStatus.FIRING, Severity.HIGH),
        ({"severity": "P1"}, AlertStatus.FIRING, Severity.CRITICAL),
        ({"alert_priority": "p1"}, AlertStatus.FIRING, Severity.CRITICAL),
        ({"priority": "P2"}, AlertStatus.FIRING, Severity.HIGH),
        ({"alert_transition": "Warn"}, AlertStatus.FIRING, Severity.MEDIUM),
        ({"alert_transition": "No Data"}, AlertStatus.UNKNOWN, Severity.HIGH),
        ({"alert_transition": "Renotify"}, AlertStatus.UNKNOWN, Severity.HIGH),
        ({"alert_transition": None, "alert_type": "success"}, AlertStatus.RESOLVED, Severity.HIGH),
        ({"alert_transition": None, "alert_type": "warning"}, AlertStatus.FIRING, Severity.MEDIUM),
    ],
)
def test_datadog_transitions_and_priorities(
    changes: dict[str, Any], status: AlertStatus, severity: Severity
) -> None:
    body = load("datadog_webhook_triggered_keep.json")
    body.update(changes)
    alert = only(parse("datadog", body))
    assert (alert.status, alert.severity) == (status, severity)
    assert alert.dedup_key == TRIO_KEY


def test_datadog_alternative_field_spellings_and_scope_order() -> None:
    body = {
        "alert_id": 42,
        "alert_scope": "role:db, availability-zone:us-east-1a",
        "alert_transition": "Triggered",
        "title": "DB down",
    }
    alert = only(parse("datadog", body))
    assert alert.dedup_key == "42:availability-zone:us-east-1a,role:db"
    body["alert_scope"] = "availability-zone:us-east-1a,role:db"
    assert only(parse("datadog", body)).dedup_key == alert.dedup_key


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("monitor_id"), "monitor_id"),
        (lambda b: b.update(monitor_id=[1]), "monitor_id"),
        (lambda b: b.update(alert_transition=None, alert_type=None), "alert_transition"),
        (lambda b: b.update(alert_transition=5), "alert_transition"),
        (lambda b: b.update(scopes={"a": 1}), "scopes"),
        (lambda b: b.update(tags=[1]), "tags[0]"),
        (lambda b: b.update(title=["x"]), "title"),
    ],
)
def test_datadog_malformed_fields_are_named(mutate: Any, field: str) -> None:
    body = load("datadog_webhook_triggered_keep.json")
    mutate(body)
    assert field_of("datadog", body) == field
    assert field_of("datadog", [load("datadog_webhook_warn_keep.json"), body]) == f"[1].{field}"


# --- PagerDuty ---------------------------------------------------------------------------------


def test_pagerduty_trigger_from_the_docs() -> None:
    alert = only(parse_file("pagerduty", "pagerduty_events_v2_trigger_pd_docs.json"))
    assert alert.source == "pagerduty"
    assert alert.dedup_key == "samplekeyhere"
    assert alert.status is AlertStatus.FIRING
    assert alert.severity is Severity.INFO
    assert alert.title == "Example alert on host1.example.com"
    source = "monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003"
    assert alert.labels == {
        "source": source,
        "component": "postgres",
        "group": "prod-datapipe",
        "class": "deploy",
    }
    assert alert.details["custom_details"] == {"ping time": "1500ms", "load avg": 0.75}
    assert alert.source_url == "https://monitoring.example.com"
    assert alert.starts_at == datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)
    assert "routing_key" not in alert.details


def test_pagerduty_openapi_example_never_leaks_the_routing_key() -> None:
    body = load("pagerduty_events_v2_trigger_openapi_example.json")
    alert = only(parse("pagerduty", body))
    assert alert.dedup_key == "srv01/mysql"
    assert alert.severity is Severity.CRITICAL
    assert alert.title == "DISK at 99% on machine prod-datapipe03.example.com"
    assert alert.details["links"][0]["href"] == "http://pagerduty.example.com"
    assert body["routing_key"] not in alert.model_dump_json()


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("pagerduty_events_v2_acknowledge_pd_docs.json", AlertStatus.ACKNOWLEDGED),
        ("pagerduty_events_v2_resolve_pd_docs.json", AlertStatus.RESOLVED),
    ],
)
def test_pagerduty_acknowledge_and_resolve(name: str, status: AlertStatus) -> None:
    alert = only(parse_file("pagerduty", name))
    assert alert.dedup_key == "dedupkeyhere"
    assert alert.status is status
    assert alert.title == "dedupkeyhere"
    validate_pagerduty_event(load(name))  # raises on an invalid body


def test_pagerduty_trigger_without_dedup_key_gets_a_deterministic_one() -> None:
    body = load("pagerduty_events_v2_trigger_openapi_example.json")
    del body["dedup_key"]
    expected = sha32(
        {
            "summary": "DISK at 99% on machine prod-datapipe03.example.com",
            "source": "prod-datapipe03.example.com",
            "severity": "critical",
            "component": "mysql",
            "group": "prod-datapipe",
            "class": "disk",
        }
    )
    assert only(parse("pagerduty", body)).dedup_key == expected
    later = copy.deepcopy(body)
    later["payload"]["timestamp"] = "2020-01-01T00:00:00Z"
    later["payload"]["custom_details"] = {"free space": "0%"}
    assert only(parse("pagerduty", later)).dedup_key == expected
    other = copy.deepcopy(body)
    other["payload"]["summary"] = "DISK at 98%"
    assert only(parse("pagerduty", other)).dedup_key != expected


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("event_action"), "event_action"),
        (lambda b: b.update(event_action="snooze"), "event_action"),
        (lambda b: b.pop("payload"), "payload"),
        (lambda b: b.update(payload="x"), "payload"),
        (lambda b: b["payload"].pop("summary"), "payload.summary"),
        (lambda b: b["payload"].update(summary="x" * 1025), "payload.summary"),
        (lambda b: b["payload"].pop("source"), "payload.source"),
        (lambda b: b["payload"].pop("severity"), "payload.severity"),
        (lambda b: b["payload"].update(severity="fatal"), "payload.severity"),
        (lambda b: b.update(dedup_key="k" * 256), "dedup_key"),
        (lambda b: b.update(dedup_key=12), "dedup_key"),
        (lambda b: b.update(event_action="resolve", dedup_key=None), "dedup_key"),
        (lambda b: b.update(event_action="acknowledge", dedup_key=""), "dedup_key"),
        (lambda b: b.update(links={}), "links"),
        (lambda b: b.update(routing_key=5), "routing_key"),
    ],
)
def test_pagerduty_validation_like_pagerduty(mutate: Any, field: str) -> None:
    body = load("pagerduty_events_v2_trigger_openapi_example.json")
    mutate(body)
    assert field_of("pagerduty", body) == field
    with pytest.raises(InvalidInput):
        validate_pagerduty_event(body)


def test_pagerduty_summary_of_1024_chars_is_accepted() -> None:
    body = load("pagerduty_events_v2_trigger_openapi_example.json")
    body["payload"]["summary"] = "s" * 1024
    alert = only(parse("pagerduty", body))
    assert len(alert.title) == 512  # the model's limit; the full text is PagerDuty's


def test_pagerduty_outbound_v3_webhook_is_not_an_events_api_body() -> None:
    name = "pagerduty_webhook_v3_incident_priority_updated_pd_docs.json"
    assert field_of("pagerduty", load(name)) == "event_action"


# --- generic -----------------------------------------------------------------------------------


def test_generic_vigil_minimal_body() -> None:
    alert = only(parse("generic", {"title": "Disk full on db-1"}))
    assert alert.source == "generic"
    assert alert.dedup_key == sha32({"title": "Disk full on db-1", "labels": {}})
    assert alert.status is AlertStatus.FIRING
    assert alert.severity is Severity.HIGH
    assert alert.category is None
    assert alert.details == {"format": "vigil"}


def test_generic_vigil_full_body_and_list() -> None:
    full = {
        "title": "Disk full",
        "dedup_key": "db-1/disk",
        "status": "resolved",
        "severity": "Critical",
        "category": "database",
        "description": "95% used",
        "labels": {"host": "db-1"},
        "correlation_id": "db-cluster",
        "source_url": "https://example.com/db-1",
        "starts_at": "2024-05-01T10:00:00+02:00",
    }
    alerts = parse("generic", [full, {"title": "Other", "labels": {"b": "2", "a": "1"}}])
    first, second = alerts
    assert first.dedup_key == "db-1/disk"
    assert first.status is AlertStatus.RESOLVED
    assert first.severity is Severity.CRITICAL
    assert first.category == "database"
    assert first.correlation_key == "db-cluster"
    assert first.source_url == "https://example.com/db-1"
    assert first.starts_at == utc(2024, 5, 1, 8, 0, 0)
    assert second.dedup_key == sha32({"title": "Other", "labels": {"a": "1", "b": "2"}})


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "title"),
        ({"title": "  "}, "title"),
        ({"title": "t" * 513}, "title"),
        ({"title": 5}, "title"),
        ({"title": "t", "status": "exploded"}, "status"),
        ({"title": "t", "status": "acknowledged"}, "status"),
        ({"title": "t", "severity": "catastrophic"}, "severity"),
        ({"title": "t", "category": "finance"}, "category"),
        ({"title": "t", "labels": {"a": 1}}, "labels.a"),
        ({"title": "t", "labels": ["a"]}, "labels"),
        ({"title": "t", "dedup_key": "k" * 513}, "dedup_key"),
        ({"title": "t", "details": []}, "details"),
        ([{"title": "ok"}, {"status": "firing"}], "[1].title"),
    ],
)
def test_generic_vigil_validation(payload: object, field: str) -> None:
    assert field_of("generic", payload) == field


def test_generic_zabbix_formatted_webhook() -> None:
    alert = only(parse_file("generic", "zabbix_formatted_webhook_grafana_oncall.json"))
    assert alert.dedup_key == "08d6891a-835c-e661-39fa-96b6a9e26552"
    assert alert.status is AlertStatus.FIRING
    assert alert.title == "TestAlert: The whole system is down"
    assert alert.description.startswith("This alert was sent by user for demonstration purposes")
    assert alert.source_url == "https://en.wikipedia.org/wiki/Downtime"
    assert alert.details["format"] == "formatted_webhook"
    assert alert.details["image_url"].endswith("Grumpy_Cat_by_Gage_Skidmore.jpg")
    body = load("zabbix_formatted_webhook_grafana_oncall.json")
    body["state"] = "ok"
    assert only(parse("generic", body)).status is AlertStatus.RESOLVED
    body["state"] = "exploded"
    assert field_of("generic", body) == "state"


def test_generic_pingdom_pair() -> None:
    down = only(parse_file("generic", "pingdom_check_down_alerta.json"))
    up = only(parse_file("generic", "pingdom_check_up_alerta.json"))
    assert down.dedup_key == up.dedup_key == "pingdom-check-803318"
    assert (down.status, up.status) == (AlertStatus.FIRING, AlertStatus.RESOLVED)
    assert down.title == "Alerta API on OpenShift"
    assert down.description == "HTTP Server Error 503 Service Unavailable"
    assert down.severity is Severity.HIGH  # importance_level HIGH
    assert down.starts_at == utc(2017, 6, 30, 22, 25, 43)
    assert down.labels == {"check_type": "HTTP", "hostname": "api.alerta.io"}
    assert down.details["full_url"] == "http://api.alerta.io/"
    assert down.details["format"] == "pingdom"


def test_generic_sentry_issue() -> None:
    alert = only(parse_file("generic", "sentry_issue_alert_mock_keep.json"))
    assert alert.dedup_key == "sentry-issue-4616132097"
    assert alert.status is AlertStatus.FIRING
    assert alert.severity is Severity.HIGH  # level error
    assert alert.title == "Failed to fetch user profile"
    assert alert.description.startswith("Failed to fetch user profile: NetworkError")
    assert alert.source_url == "https://keep-dr.sentry.io/issues/4616132097/"
    assert alert.labels["project"] == "frontend-app"
    assert alert.labels["environment"] == "production"
    assert alert.labels["http.status_code"] == "504"
    assert alert.starts_at == datetime(2024, 3, 9, 13, 34, 45, 873000, tzinfo=UTC)
    assert alert.details["culprit"] == "fetchUserProfile at app.js:245"


def test_generic_gcp_monitoring_pair() -> None:
    opened = only(parse_file("generic", "gcp_stackdriver_incident_open_alerta.json"))
    closed = only(parse_file("generic", "gcp_stackdriver_incident_closed_alerta.json"))
    key = "gcp-incident-f2e08c333dc64cb09f75eaab355393bz"
    assert opened.dedup_key == closed.dedup_key == key
    assert (opened.status, closed.status) == (AlertStatus.FIRING, AlertStatus.RESOLVED)
    assert opened.title.startswith("CPU (agent) for webserver-85 is above the threshold")
    assert opened.labels["policy_name"] == "Webserver Health"
    assert opened.starts_at == utc(2017, 7, 6, 19, 10, 14)
    assert opened.source_url == f"https://app.stackdriver.com/incidents/{key[13:]}"
    assert "ended_at" not in opened.details
    assert closed.details["ended_at"] == "2017-07-06T19:20:36+00:00"
    assert closed.description == "This is a markdown text example"


def test_generic_opsgenie_create_alert() -> None:
    alert = only(parse_file("generic", "opsgenie_create_alert_from_alertmanager_test.json"))
    assert alert.dedup_key == "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
    assert alert.status is AlertStatus.FIRING
    assert alert.severity is Severity.CRITICAL  # P1
    assert alert.title == "message"
    assert alert.description == "description"
    assert alert.labels == {"tag1": "", "tag2": "", "entity": "test-domain"}
    assert alert.details["details"]["Note"] == "this is a note"
    assert alert.details["format"] == "opsgenie"


@pytest.mark.parametrize(
    ("priority", "severity"),
    [
        ("P2", Severity.HIGH),
        ("P3", Severity.MEDIUM),
        ("P4", Severity.LOW),
        ("P5", Severity.INFO),
        (None, Severity.MEDIUM),
    ],
)
def test_generic_opsgenie_priorities(priority: str | None, severity: Severity) -> None:
    body = load("opsgenie_create_alert_from_alertmanager_test.json")
    body["priority"] = priority
    assert only(parse("generic", body)).severity is severity


def test_generic_opsgenie_without_alias_hashes_message_and_entity() -> None:
    body = load("opsgenie_create_alert_from_alertmanager_test.json")
    del body["alias"]
    alert = only(parse("generic", body))
    assert alert.dedup_key == sha32({"message": "message", "entity": "test-domain"})


@pytest.mark.parametrize(
    "name", ["apigw_http_api_v2_event_powertools.json", "apigw_rest_proxy_v1_event_powertools.json"]
)
def test_generic_rejects_an_api_gateway_envelope(name: str) -> None:
    """The HTTP adapter must unwrap the event body; the parser refuses the envelope."""
    assert field_of("generic", load(name)) == "title"


# --- timestamps --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0001-01-01T00:00:00Z", None),
        ("2019-09-27T16:27:56.612666101Z", datetime(2019, 9, 27, 16, 27, 56, 612666, tzinfo=UTC)),
        ("2019-02-15T23:53:45.093+0000", datetime(2019, 2, 15, 23, 53, 45, 93000, tzinfo=UTC)),
        ("2021-10-12T09:51:03+02:00", utc(2021, 10, 12, 7, 51, 3)),
        ("2017-06-30T22:25:43", utc(2017, 6, 30, 22, 25, 43)),
        ("1733930912000", utc(2024, 12, 11, 15, 28, 32)),
        (1498861543, utc(2017, 6, 30, 22, 25, 43)),
        ("2019-13-45T99:00:00Z", None),
        ("not a date", None),
        (True, None),
        (10**400, None),
        (float("nan"), None),
        ("2020-01-01T00:00:00+99:00", None),
    ],
)
def test_timestamps_are_aware_utc_or_none(value: object, expected: datetime | None) -> None:
    body = {"title": "t", "starts_at": value}
    alert = only(parse("generic", body))
    assert alert.starts_at == expected
    if expected is not None:
        assert alert.starts_at is not None and alert.starts_at.utcoffset() is not None
