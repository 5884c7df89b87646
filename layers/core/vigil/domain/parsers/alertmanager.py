"""Prometheus Alertmanager webhook (version 4) -> NormalizedAlert.

One alert per element of ``alerts``. The status of an element comes from the element's own
``status`` (falling back to the payload's) and never from ``endsAt``: Alertmanager sends the Go
zero time there for firing alerts and some senders leave it unset on resolved ones.

dedup_key is the element's ``fingerprint`` when present (Alertmanager >= 0.19, Grafana), else a
hash of its sorted labels (what the fingerprint is derived from). correlation_key is the
payload's ``groupKey``: every alert of one notification group lands in one incident.

Grafana unified alerting sends the same shape; ``grafana.py`` reuses `parse_am_body`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from vigil.domain.alerts import AlertStatus, NormalizedAlert
from vigil.domain.errors import InvalidInput
from vigil.domain.parsers._common import (
    as_dict,
    as_list,
    build_alert,
    category_from,
    child,
    fit_key,
    fit_title,
    opt_str,
    parse_timestamp,
    severity_from,
    stable_hash,
    str_map,
)

SOURCE = "alertmanager"

_STATUSES = {"firing": AlertStatus.FIRING, "resolved": AlertStatus.RESOLVED}
# Element fields Grafana adds to the Alertmanager shape, copied into details when non-empty.
_EXTRA_FIELDS = (
    "values",
    "valueString",
    "silenceURL",
    "dashboardURL",
    "panelURL",
    "imageURL",
    "orgId",
)


@dataclass(frozen=True)
class _Group:
    """What the elements of one notification share."""

    source: str
    status: str | None
    group_key: str | None
    external_url: str | None
    receiver: str | None


def parse_alertmanager(payload: object) -> list[NormalizedAlert]:
    return parse_am_body(as_dict(payload, ""), SOURCE)


def parse_am_body(body: dict[str, Any], source: str) -> list[NormalizedAlert]:
    """Parse an Alertmanager-format body (also Grafana's) as coming from `source`."""
    if body.get("alerts") is None:
        raise InvalidInput("alerts", "is required")
    group = _group(body, source)
    elements = as_list(body["alerts"], "alerts")
    return [_parse_element(raw, child("alerts", i), group) for i, raw in enumerate(elements)]


def _group(body: dict[str, Any], source: str) -> _Group:
    return _Group(
        source=source,
        status=opt_str(body, "status", ""),
        group_key=opt_str(body, "groupKey", "") or None,
        external_url=opt_str(body, "externalURL", "") or None,
        receiver=opt_str(body, "receiver", "") or None,
    )


def _parse_element(raw: object, path: str, group: _Group) -> NormalizedAlert:
    alert = as_dict(raw, path)
    labels = str_map(alert.get("labels"), child(path, "labels"))
    annotations = str_map(alert.get("annotations"), child(path, "annotations"))
    return build_alert(
        source=group.source,
        dedup_key=_dedup_key(alert, labels, path),
        status=_status(alert, path, group),
        title=_title(annotations, labels, path),
        description=annotations.get("description") or annotations.get("message") or "",
        severity=severity_from(labels.get("severity")),
        category=category_from(labels.get("category")),
        labels=labels,
        details=_details(alert, annotations, group),
        correlation_key=fit_key(group.group_key) if group.group_key else None,
        starts_at=parse_timestamp(alert.get("startsAt")),
        source_url=_source_url(alert, path, group),
    )


def _dedup_key(alert: dict[str, Any], labels: dict[str, str], path: str) -> str:
    fingerprint = opt_str(alert, "fingerprint", path)
    if fingerprint and fingerprint.strip():
        return fit_key(fingerprint)
    if not labels:
        raise InvalidInput(child(path, "labels"), "must not be empty when there is no fingerprint")
    return stable_hash(labels)


def _status(alert: dict[str, Any], path: str, group: _Group) -> AlertStatus:
    own = opt_str(alert, "status", path)
    value, field = (own, child(path, "status")) if own is not None else (group.status, "status")
    if value is None:
        raise InvalidInput(child(path, "status"), "is required")
    try:
        return _STATUSES[value.strip().lower()]
    except KeyError:
        raise InvalidInput(field, "must be firing or resolved") from None


def _title(annotations: dict[str, str], labels: dict[str, str], path: str) -> str:
    candidates = (annotations.get("summary"), annotations.get("title"), labels.get("alertname"))
    for candidate in candidates:
        if candidate and candidate.strip():
            return fit_title(candidate)
    raise InvalidInput(child(path, "labels.alertname"), "is required (or annotations.summary)")


def _details(alert: dict[str, Any], annotations: dict[str, str], group: _Group) -> dict[str, Any]:
    details: dict[str, Any] = {"annotations": annotations}
    if group.receiver:
        details["receiver"] = group.receiver
    if group.external_url:
        details["external_url"] = group.external_url
    ends_at = parse_timestamp(alert.get("endsAt"))
    if ends_at is not None:
        details["ends_at"] = ends_at.isoformat()
    for name in _EXTRA_FIELDS:
        if alert.get(name) not in (None, "", {}, []):
            details[name] = alert[name]
    return details


def _source_url(alert: dict[str, Any], path: str, group: _Group) -> str | None:
    url = opt_str(alert, "generatorURL", path)
    if not url or not url.strip():
        return None
    return _absolute(url.strip(), group.external_url)


def _absolute(url: str, base: str | None) -> str:
    """Resolve a relative generatorURL (Grafana 12 sends "?orgId=1") against externalURL."""
    try:
        if base and not urlsplit(url).scheme:
            return urljoin(base, url)
    except ValueError:  # e.g. a malformed IPv6 host
        pass
    return url
