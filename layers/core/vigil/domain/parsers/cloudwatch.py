"""Amazon CloudWatch alarm notifications -> NormalizedAlert.

Accepted shapes (told apart by their keys):

- SNS HTTPS subscription body: ``Type: Notification`` with the alarm JSON as a string in
  ``Message``; ``SubscriptionConfirmation`` / ``UnsubscribeConfirmation`` bodies are not alerts
  and parse to ``[]`` (use `sns_envelope_type` to handle them). Signatures are not checked here.
- SNS -> Lambda event: ``Records[].Sns`` with the same envelope.
- The alarm JSON itself (SNS raw message delivery), or an EventBridge event inside ``Message``.
- EventBridge "CloudWatch Alarm State Change" event (``detail``).
- CloudWatch alarm Lambda action event (``source: aws.cloudwatch`` with ``alarmData``).

Single-metric (``Trigger.MetricName``), metric math (``Trigger.Metrics`` / ``metrics``) and
composite (``alarmRule``) alarms are all accepted.

dedup_key is ``<account>:<alarm name>`` (``<region>:<alarm name>`` when no account is given),
read from the alarm ARN when a well-formed one is present. It holds no state and no time, so the
ALARM and the OK notifications of one alarm share it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from vigil.domain.alerts import AlertStatus, NormalizedAlert, Severity
from vigil.domain.errors import InvalidInput
from vigil.domain.parsers._common import (
    as_dict,
    as_list,
    build_alert,
    child,
    enum_value,
    first_str,
    fit_key,
    fit_title,
    opt_dict,
    opt_id,
    opt_list,
    opt_str,
    parse_timestamp,
    req_dict,
    req_str,
    str_map,
)

SOURCE = "cloudwatch"
SNS_TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")
EVENTBRIDGE_DETAIL_TYPE = "CloudWatch Alarm State Change"

_STATES = {
    "alarm": AlertStatus.FIRING,
    "ok": AlertStatus.RESOLVED,
    "insufficient_data": AlertStatus.UNKNOWN,
}
_ALARM_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$", re.DOTALL)
_REGION_CODE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")

# Key names of a metric-math entry: SNS messages use PascalCase, EventBridge camelCase.
_PASCAL = {
    "id": "Id",
    "expression": "Expression",
    "label": "Label",
    "return_data": "ReturnData",
    "metric_stat": "MetricStat",
    "metric": "Metric",
    "namespace": "Namespace",
    "name": "MetricName",
    "dimensions": "Dimensions",
    "stat": "Stat",
    "period": "Period",
}
_CAMEL = {
    "id": "id",
    "expression": "expression",
    "label": "label",
    "return_data": "returnData",
    "metric_stat": "metricStat",
    "metric": "metric",
    "namespace": "namespace",
    "name": "name",
    "dimensions": "dimensions",
    "stat": "stat",
    "period": "period",
}


@dataclass(frozen=True)
class _Identity:
    """Where an alarm lives: the ARN's parts win over the loose account/region fields."""

    name: str
    account: str | None
    region: str | None
    arn: str | None

    @classmethod
    def of(cls, name: str, arn: str | None, account: str | None, region: str | None) -> _Identity:
        arn = arn.strip() if arn else None
        match = _ALARM_ARN.match(arn) if arn else None
        if match is None:
            return cls(name=name.strip(), account=account, region=region, arn=arn)
        arn_region, arn_account, arn_name = match.groups()
        return cls(name=arn_name, account=arn_account, region=arn_region, arn=arn)

    def dedup_key(self) -> str:
        scope = self.account or self.region
        return fit_key(f"{scope}:{self.name}" if scope else self.name)

    def console_url(self) -> str | None:
        region = self.region or ""
        if not _REGION_CODE.match(region) or region.startswith(("cn-", "us-gov-")):
            return None
        return (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#alarmsV2:alarm/{quote(self.name, safe='')}"
        )


@dataclass
class _Alarm:
    """One alarm state change, whatever shape it arrived in."""

    fmt: str
    name: str
    identity: _Identity
    status: AlertStatus
    reason: str
    changed_at: object
    suppressed_by: str | None
    details: dict[str, Any] = field(default_factory=dict)
    metric_labels: dict[str, str] = field(default_factory=dict)


def sns_envelope_type(payload: object) -> str | None:
    """The SNS message type of an HTTPS-subscription body, or None if it is not one.

    "SubscriptionConfirmation" and "UnsubscribeConfirmation" must be handled (confirm / ignore)
    by the caller; only "Notification" carries an alarm.
    """
    if not isinstance(payload, dict):
        return None
    kind = payload.get("Type")
    return kind if isinstance(kind, str) and kind in SNS_TYPES else None


def parse_cloudwatch(payload: object) -> list[NormalizedAlert]:
    body = as_dict(payload, "")
    if "Records" in body:
        return _from_records(body)
    if "Type" in body:
        return _from_envelope(body, "")
    return [_to_alert(_from_alarm_object(body, ""))]


def _from_records(body: dict[str, Any]) -> list[NormalizedAlert]:
    alerts: list[NormalizedAlert] = []
    for i, raw in enumerate(as_list(body["Records"], "Records")):
        path = child("Records", i)
        record = as_dict(raw, path)
        alerts.extend(_from_envelope(req_dict(record, "Sns", path), child(path, "Sns")))
    return alerts


def _from_envelope(envelope: dict[str, Any], path: str) -> list[NormalizedAlert]:
    kind = req_str(envelope, "Type", path)
    if kind in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
        return []
    if kind != "Notification":
        raise InvalidInput(child(path, "Type"), f"must be one of: {', '.join(SNS_TYPES)}")
    message_path = child(path, "Message")
    message = _decode(req_str(envelope, "Message", path), message_path)
    alarm = _from_alarm_object(message, message_path)
    topic_arn = opt_str(envelope, "TopicArn", path)
    if topic_arn:
        alarm.details["topic_arn"] = topic_arn
    return [_to_alert(alarm)]


def _decode(message: str, path: str) -> dict[str, Any]:
    try:
        decoded = json.loads(message)
    except (ValueError, RecursionError):
        raise InvalidInput(path, "is not a JSON CloudWatch alarm") from None
    return as_dict(decoded, path)


def _from_alarm_object(body: dict[str, Any], path: str) -> _Alarm:
    """An alarm given without an SNS envelope: Lambda action, EventBridge or the SNS message."""
    if "alarmData" in body:
        return _from_lambda_action(body, path)
    if "detail" in body or "detail-type" in body:
        return _from_eventbridge(body, path)
    if "AlarmName" in body:
        return _from_sns_message(body, path)
    raise InvalidInput(
        child(path, "AlarmName") if path else "body",
        "not a CloudWatch alarm (SNS, EventBridge or Lambda action shape)",
    )


# --- the classic alarm message (SNS "Message") -------------------------------------------------


def _from_sns_message(message: dict[str, Any], path: str) -> _Alarm:
    name = req_str(message, "AlarmName", path)
    identity = _Identity.of(
        name,
        arn=opt_str(message, "AlarmArn", path),
        account=opt_id(message, "AWSAccountId", path),
        region=opt_str(message, "Region", path),
    )
    trigger_path = child(path, "Trigger")
    trigger = opt_dict(message, "Trigger", path)
    metrics = [
        _metric_summary(raw, child(child(trigger_path, "Metrics"), i), _PASCAL)
        for i, raw in enumerate(opt_list(trigger, "Metrics", trigger_path))
    ]
    single = _single_metric(trigger, trigger_path)
    details = _compact(
        alarm_description=opt_str(message, "AlarmDescription", path),
        previous_state=opt_str(message, "OldStateValue", path),
        alarm_rule=opt_str(message, "AlarmRule", path),
        metric=single or None,
        metrics=metrics or None,
    )
    return _Alarm(
        fmt="sns",
        name=name,
        identity=identity,
        status=enum_value(message, "NewStateValue", path, _STATES),
        reason=opt_str(message, "NewStateReason", path) or "",
        changed_at=message.get("StateChangeTime"),
        suppressed_by=None,
        details=details,
        metric_labels=_metric_labels([single] if single else metrics),
    )


def _single_metric(trigger: dict[str, Any], path: str) -> dict[str, Any]:
    if trigger.get("MetricName") is None and trigger.get("Namespace") is None:
        return {}
    return _compact(
        namespace=opt_str(trigger, "Namespace", path),
        metric_name=opt_str(trigger, "MetricName", path),
        dimensions=_dimensions(trigger.get("Dimensions"), child(path, "Dimensions")),
        stat=first_str(trigger, ("Statistic", "ExtendedStatistic"), path),
        period=trigger.get("Period"),
        threshold=trigger.get("Threshold"),
        comparison_operator=opt_str(trigger, "ComparisonOperator", path),
    )


# --- EventBridge and Lambda action: the same alarm data under another envelope --------------


def _from_eventbridge(body: dict[str, Any], path: str) -> _Alarm:
    detail_type = opt_str(body, "detail-type", path)
    if detail_type is not None and detail_type != EVENTBRIDGE_DETAIL_TYPE:
        raise InvalidInput(child(path, "detail-type"), f"must be {EVENTBRIDGE_DETAIL_TYPE!r}")
    resources = opt_list(body, "resources", path)
    if any(not isinstance(resource, str) for resource in resources):
        raise InvalidInput(child(path, "resources"), "expected an array of strings")
    arn = next((resource for resource in resources if _ALARM_ARN.match(resource)), None)
    return _from_alarm_data(
        req_dict(body, "detail", path),
        child(path, "detail"),
        envelope=("eventbridge", arn),
        account=opt_id(body, "account", path),
        region=opt_str(body, "region", path),
    )


def _from_lambda_action(body: dict[str, Any], path: str) -> _Alarm:
    return _from_alarm_data(
        req_dict(body, "alarmData", path),
        child(path, "alarmData"),
        envelope=("lambda_action", opt_str(body, "alarmArn", path)),
        account=opt_id(body, "accountId", path),
        region=opt_str(body, "region", path),
    )


def _from_alarm_data(
    data: dict[str, Any],
    path: str,
    *,
    envelope: tuple[str, str | None],
    account: str | None,
    region: str | None,
) -> _Alarm:
    fmt, arn = envelope
    name = req_str(data, "alarmName", path)
    state_path = child(path, "state")
    state = req_dict(data, "state", path)
    previous = opt_dict(data, "previousState", path)
    config = opt_dict(data, "configuration", path)
    metrics = _config_metrics(config, child(path, "configuration"))
    suppressed_by = opt_str(state, "actionsSuppressedBy", state_path) or opt_str(
        data, "actionsSuppressedBy", path
    )
    details = _compact(
        alarm_description=opt_str(config, "description", child(path, "configuration")),
        previous_state=opt_str(previous, "value", child(path, "previousState")),
        alarm_rule=opt_str(config, "alarmRule", child(path, "configuration")),
        actions_suppressor=opt_str(config, "actionsSuppressor", child(path, "configuration")),
        actions_suppressed_by=suppressed_by,
        actions_suppressed_reason=opt_str(state, "actionsSuppressedReason", state_path),
        metrics=metrics or None,
    )
    return _Alarm(
        fmt=fmt,
        name=name,
        identity=_Identity.of(name, arn=arn, account=account, region=region),
        status=enum_value(state, "value", state_path, _STATES),
        reason=opt_str(state, "reason", state_path) or "",
        changed_at=state.get("timestamp"),
        suppressed_by=suppressed_by,
        details=details,
        metric_labels=_metric_labels(metrics),
    )


def _config_metrics(config: dict[str, Any], path: str) -> list[dict[str, Any]]:
    metrics_path = child(path, "metrics")
    return [
        _metric_summary(raw, child(metrics_path, i), _CAMEL)
        for i, raw in enumerate(opt_list(config, "metrics", path))
    ]


# --- metrics -----------------------------------------------------------------------------------


def _metric_summary(raw: object, path: str, keys: dict[str, str]) -> dict[str, Any]:
    """One metric-math entry, in either key style, as a flat summary."""
    entry = as_dict(raw, path)
    stat_path = child(path, keys["metric_stat"])
    stat = opt_dict(entry, keys["metric_stat"], path)
    metric_path = child(stat_path, keys["metric"])
    metric = opt_dict(stat, keys["metric"], stat_path)
    dimensions = _dimensions(metric.get(keys["dimensions"]), child(metric_path, keys["dimensions"]))
    return _compact(
        id=opt_str(entry, keys["id"], path),
        expression=opt_str(entry, keys["expression"], path),
        label=opt_str(entry, keys["label"], path),
        namespace=opt_str(metric, keys["namespace"], metric_path),
        metric_name=opt_str(metric, keys["name"], metric_path),
        dimensions=dimensions or None,
        stat=opt_str(stat, keys["stat"], stat_path),
        period=stat.get(keys["period"]),
        return_data=entry.get(keys["return_data"]),
    )


def _dimensions(value: object, path: str) -> dict[str, str]:
    """Dimensions as name -> value: SNS sends [{"name", "value"}], EventBridge an object."""
    if value is None or isinstance(value, dict):
        return str_map(value, path)
    result: dict[str, str] = {}
    for i, raw in enumerate(as_list(value, path)):
        item_path = child(path, i)
        item = as_dict(raw, item_path)
        name = first_str(item, ("name", "Name"), item_path)
        if name is None:
            raise InvalidInput(child(item_path, "name"), "is required")
        result[name] = first_str(item, ("value", "Value"), item_path) or ""
    return result


def _metric_labels(metrics: list[dict[str, Any]]) -> dict[str, str]:
    """namespace / metric_name labels when the alarm watches exactly one metric."""
    watched = [m for m in metrics if m.get("metric_name") or m.get("namespace")]
    if len(watched) != 1:
        return {}
    return {k: watched[0][k] for k in ("namespace", "metric_name") if watched[0].get(k)}


# --- building ----------------------------------------------------------------------------------


def _to_alert(alarm: _Alarm) -> NormalizedAlert:
    identity = alarm.identity
    place = _compact(account=identity.account, region=identity.region)
    labels = {"alarm_name": identity.name, **place, **alarm.metric_labels}
    return build_alert(
        source=SOURCE,
        dedup_key=identity.dedup_key(),
        status=alarm.status,
        title=fit_title(alarm.name),
        description=alarm.reason,
        severity=Severity.HIGH,
        labels=labels,
        details={
            "format": alarm.fmt,
            "alarm_name": alarm.name,
            **_compact(alarm_arn=identity.arn),
            **place,
            **alarm.details,
        },
        starts_at=parse_timestamp(alarm.changed_at),
        source_url=identity.console_url(),
        suppressed=bool(alarm.suppressed_by),
    )


def _compact(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None and value != ""}
