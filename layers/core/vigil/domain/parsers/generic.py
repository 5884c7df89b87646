"""The ``generic`` integration: Vigil's own JSON and a few other tools' webhooks.

The payload is one object or an array of objects. Each object's shape is told apart by its keys:

==================  ==========================================  ===============================
shape               recognised by                               dedup_key
==================  ==========================================  ===============================
formatted webhook   ``alert_uid`` (Grafana OnCall / Zabbix)     ``alert_uid``
Pingdom             ``check_id`` and ``current_state``          ``pingdom-check-<check_id>``
Sentry (legacy)     ``culprit``, or ``project`` and ``event``   ``sentry-issue-<id>``
GCP Monitoring      ``incident`` (and no ``title``)             ``gcp-incident-<incident_id>``
Opsgenie            ``message`` (and no ``title``)              ``alias`` (else a hash)
Vigil               anything else; ``title`` is required        ``dedup_key`` (else a hash)
==================  ==========================================  ===============================

Vigil's own shape is validated strictly (it is our API); the others leniently, like the other
parsers. ``details["format"]`` records the shape that was recognised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vigil.domain.alerts import AlertStatus, NormalizedAlert, Severity
from vigil.domain.errors import InvalidInput
from vigil.domain.parsers._common import (
    CATEGORIES,
    MAX_KEY_LENGTH,
    MAX_TITLE_LENGTH,
    SEVERITY_WORDS,
    as_dict,
    as_list,
    build_alert,
    category_from,
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
    req_id,
    req_str,
    severity_from,
    stable_hash,
    str_map,
    tag_labels,
)

SOURCE = "generic"

_NATIVE_STATUSES = {"firing": AlertStatus.FIRING, "resolved": AlertStatus.RESOLVED}
_FORMATTED_STATES = {"alerting": AlertStatus.FIRING, "ok": AlertStatus.RESOLVED}
_PINGDOM_STATES = {"down": AlertStatus.FIRING, "up": AlertStatus.RESOLVED}
_GCP_STATES = {"open": AlertStatus.FIRING, "closed": AlertStatus.RESOLVED}
_OPSGENIE_PRIORITIES = {
    "p1": Severity.CRITICAL,
    "p2": Severity.HIGH,
    "p3": Severity.MEDIUM,
    "p4": Severity.LOW,
    "p5": Severity.INFO,
}
_CATEGORY_WORDS = {category: category for category in CATEGORIES}

_Parser = Callable[[dict[str, Any], str], NormalizedAlert]


def parse_generic(payload: object) -> list[NormalizedAlert]:
    if isinstance(payload, list):
        return [_parse_one(raw, child("", i)) for i, raw in enumerate(payload)]
    return [_parse_one(payload, "")]


def _parse_one(raw: object, path: str) -> NormalizedAlert:
    body = as_dict(raw, path)
    return _shape_of(body)(body, path)


def _shape_of(body: dict[str, Any]) -> _Parser:
    titled = "title" in body
    if "alert_uid" in body:
        return _formatted_webhook
    if "check_id" in body and "current_state" in body:
        return _pingdom
    if "culprit" in body or ("project" in body and "event" in body and not titled):
        return _sentry
    if "incident" in body and not titled:
        return _gcp_monitoring
    if "message" in body and not titled:
        return _opsgenie
    return _native


# --- Vigil's own shape -------------------------------------------------------------------------


def _native(body: dict[str, Any], path: str) -> NormalizedAlert:
    title = _bounded(req_str(body, "title", path).strip(), child(path, "title"), MAX_TITLE_LENGTH)
    labels = _native_labels(body.get("labels"), child(path, "labels"))
    return build_alert(
        source=SOURCE,
        dedup_key=_native_dedup_key(body, path, title, labels),
        status=_optional_enum(body, "status", path, _NATIVE_STATUSES, AlertStatus.FIRING),
        title=title,
        description=opt_str(body, "description", path) or "",
        severity=_optional_enum(body, "severity", path, SEVERITY_WORDS, Severity.HIGH),
        category=_optional_enum(body, "category", path, _CATEGORY_WORDS, None),
        labels=labels,
        details={"format": "vigil", **opt_dict(body, "details", path)},
        correlation_key=_optional_key(body, "correlation_id", path),
        starts_at=parse_timestamp(body.get("starts_at")),
        source_url=opt_str(body, "source_url", path) or None,
    )


def _native_dedup_key(body: dict[str, Any], path: str, title: str, labels: dict[str, str]) -> str:
    """The given dedup_key, else a hash of title and labels (never of a time)."""
    given = _optional_key(body, "dedup_key", path)
    return given or stable_hash({"title": title, "labels": labels})


def _native_labels(value: object, path: str) -> dict[str, str]:
    labels = as_dict(value, path) if value is not None else {}
    for key, item in labels.items():
        if not isinstance(item, str):
            raise InvalidInput(child(path, key), "expected a string")
    return dict(labels)


def _optional_key(body: dict[str, Any], key: str, path: str) -> str | None:
    value = opt_str(body, key, path)
    if value is None or not value.strip():
        return None
    return _bounded(value.strip(), child(path, key), MAX_KEY_LENGTH)


def _optional_enum(
    body: dict[str, Any],
    key: str,
    path: str,
    mapping: dict[str, Any],
    default: Any,
) -> Any:
    return default if body.get(key) is None else enum_value(body, key, path, mapping)


def _bounded(text: str, field: str, limit: int) -> str:
    if len(text) > limit:
        raise InvalidInput(field, f"must be at most {limit} characters")
    return text


# --- Grafana OnCall "formatted webhook" (Zabbix and others) --------------------------------


def _formatted_webhook(body: dict[str, Any], path: str) -> NormalizedAlert:
    uid = req_id(body, "alert_uid", path)
    image_url = opt_str(body, "image_url", path)
    return build_alert(
        source=SOURCE,
        dedup_key=fit_key(uid),
        status=_optional_enum(body, "state", path, _FORMATTED_STATES, AlertStatus.FIRING),
        title=fit_title(first_str(body, ("title",), path) or uid),
        description=opt_str(body, "message", path) or "",
        details={"format": "formatted_webhook", **({"image_url": image_url} if image_url else {})},
        source_url=opt_str(body, "link_to_upstream_details", path) or None,
    )


# --- Pingdom -----------------------------------------------------------------------------------


def _pingdom(body: dict[str, Any], path: str) -> NormalizedAlert:
    check_id = req_id(body, "check_id", path)
    state = req_str(body, "current_state", path).strip().lower()
    params_path = child(path, "check_params")
    params = opt_dict(body, "check_params", path)
    labels = {
        key: value
        for key, value in (
            ("check_type", opt_str(body, "check_type", path)),
            ("hostname", opt_str(params, "hostname", params_path)),
        )
        if value
    }
    return build_alert(
        source=SOURCE,
        dedup_key=fit_key(f"pingdom-check-{check_id}"),
        status=_PINGDOM_STATES.get(state, AlertStatus.UNKNOWN),
        title=fit_title(first_str(body, ("check_name",), path) or f"Pingdom check {check_id}"),
        description=first_str(body, ("long_description", "description"), path) or "",
        severity=severity_from(opt_str(body, "importance_level", path)),
        labels=labels,
        details=_pingdom_details(body, path, check_id, params, params_path),
        starts_at=parse_timestamp(body.get("state_changed_timestamp"))
        or parse_timestamp(body.get("state_changed_utc_time")),
    )


def _pingdom_details(
    body: dict[str, Any], path: str, check_id: str, params: dict[str, Any], params_path: str
) -> dict[str, Any]:
    details: dict[str, Any] = {"format": "pingdom", "check_id": check_id}
    for key in ("previous_state", "description", "importance_level"):
        value = opt_str(body, key, path)
        if value:
            details[key] = value
    full_url = opt_str(params, "full_url", params_path)
    if full_url:
        details["full_url"] = full_url
    tags = opt_list(body, "tags", path)
    if tags:
        details["tags"] = tags
    return details


# --- Sentry legacy webhook -----------------------------------------------------------------


def _sentry(body: dict[str, Any], path: str) -> NormalizedAlert:
    issue_id = req_id(body, "id", path)
    event_path = child(path, "event")
    event = opt_dict(body, "event", path)
    level = first_str(body, ("level",), path) or first_str(event, ("level",), event_path)
    title = (
        first_str(event, ("title",), event_path)
        or first_str(body, ("message", "culprit"), path)
        or f"Sentry issue {issue_id}"
    )
    return build_alert(
        source=SOURCE,
        dedup_key=fit_key(f"sentry-issue-{issue_id}"),
        status=AlertStatus.FIRING,
        title=fit_title(title),
        description=first_str(body, ("message", "culprit"), path) or "",
        severity=severity_from(level),
        labels=_sentry_labels(body, path, event, event_path, level),
        details=_sentry_details(body, path, event, event_path),
        starts_at=parse_timestamp(event.get("timestamp")),
        source_url=opt_str(body, "url", path) or None,
    )


def _sentry_labels(
    body: dict[str, Any], path: str, event: dict[str, Any], event_path: str, level: str | None
) -> dict[str, str]:
    labels = _sentry_tags(event.get("tags"), child(event_path, "tags"))
    project = opt_id(body, "project", path)
    environment = opt_str(event, "environment", event_path)
    for key, value in (("project", project), ("level", level), ("environment", environment)):
        if value:
            labels[key] = value
    return labels


def _sentry_tags(value: object, path: str) -> dict[str, str]:
    """Sentry tags: [["key", "value"], ...] or [{"key": ..., "value": ...}, ...]."""
    labels: dict[str, str] = {}
    for i, raw in enumerate(as_list(value, path) if value is not None else []):
        item_path = child(path, i)
        if isinstance(raw, dict):
            key, item = opt_str(raw, "key", item_path), opt_str(raw, "value", item_path)
        elif isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, str) for x in raw):
            key, item = raw[0], raw[1]
        else:
            raise InvalidInput(item_path, "expected a [key, value] pair of strings")
        if key:
            labels[key] = item or ""
    return labels


def _sentry_details(
    body: dict[str, Any], path: str, event: dict[str, Any], event_path: str
) -> dict[str, Any]:
    details: dict[str, Any] = {"format": "sentry"}
    for key in ("culprit", "logger", "project_name", "project_slug"):
        value = opt_str(body, key, path)
        if value:
            details[key] = value
    for key in ("event_id", "platform"):
        value = opt_str(event, key, event_path)
        if value:
            details[key] = value
    return details


# --- Google Cloud Monitoring (Stackdriver) -------------------------------------------------


def _gcp_monitoring(body: dict[str, Any], path: str) -> NormalizedAlert:
    incident_path = child(path, "incident")
    incident = req_dict(body, "incident", path)
    incident_id = req_id(incident, "incident_id", incident_path)
    documentation = opt_dict(incident, "documentation", incident_path)
    title = first_str(incident, ("summary", "policy_name", "condition_name"), incident_path)
    return build_alert(
        source=SOURCE,
        dedup_key=fit_key(f"gcp-incident-{incident_id}"),
        status=enum_value(incident, "state", incident_path, _GCP_STATES),
        title=fit_title(title or f"GCP incident {incident_id}"),
        description=opt_str(documentation, "content", child(incident_path, "documentation")) or "",
        severity=severity_from(opt_str(incident, "severity", incident_path)),
        labels=_gcp_labels(incident, incident_path),
        details=_gcp_details(body, path, incident, incident_id),
        starts_at=parse_timestamp(incident.get("started_at")),
        source_url=opt_str(incident, "url", incident_path) or None,
    )


def _gcp_labels(incident: dict[str, Any], path: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for key in ("policy_name", "condition_name", "resource_name", "resource_id"):
        value = opt_id(incident, key, path)
        if value:
            labels[key] = value
    return labels


def _gcp_details(
    body: dict[str, Any], path: str, incident: dict[str, Any], incident_id: str
) -> dict[str, Any]:
    details: dict[str, Any] = {"format": "gcp_monitoring", "incident_id": incident_id}
    ended_at = parse_timestamp(incident.get("ended_at"))
    if ended_at is not None:
        details["ended_at"] = ended_at.isoformat()
    version = opt_str(body, "version", path)
    if version:
        details["version"] = version
    return details


# --- Opsgenie create-alert body ------------------------------------------------------------


def _opsgenie(body: dict[str, Any], path: str) -> NormalizedAlert:
    message = req_str(body, "message", path)
    entity = opt_str(body, "entity", path)
    alias = opt_str(body, "alias", path)
    labels = tag_labels(body.get("tags"), child(path, "tags"))
    if entity:
        labels["entity"] = entity
    return build_alert(
        source=SOURCE,
        dedup_key=fit_key(alias) if alias and alias.strip() else _opsgenie_key(message, entity),
        status=AlertStatus.FIRING,
        title=fit_title(message),
        description=opt_str(body, "description", path) or "",
        severity=_optional_enum(body, "priority", path, _OPSGENIE_PRIORITIES, Severity.MEDIUM),
        category=category_from(labels.get("category")),
        labels=labels,
        details=_opsgenie_details(body, path),
    )


def _opsgenie_key(message: str, entity: str | None) -> str:
    """Without an alias Opsgenie would open a new alert each time; we hash what identifies it."""
    return stable_hash({"message": message, "entity": entity})


def _opsgenie_details(body: dict[str, Any], path: str) -> dict[str, Any]:
    details: dict[str, Any] = {"format": "opsgenie"}
    extra = str_map(body.get("details"), child(path, "details"))
    if extra:
        details["details"] = extra
    for key in ("source", "note", "user", "priority"):
        value = opt_str(body, key, path)
        if value:
            details[key] = value
    for key in ("responders", "actions"):
        items = opt_list(body, key, path)
        if items:
            details[key] = items
    return details
