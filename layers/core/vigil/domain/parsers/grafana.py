"""Grafana alert webhooks -> NormalizedAlert.

Two shapes are told apart by their keys:

- unified alerting (Grafana >= 8, ``version: "1"``) and the Alertmanager-format body Grafana
  OnCall forwards: they carry ``alerts[]`` and are parsed exactly like Alertmanager
  (dedup on ``fingerprint``, status per element);
- legacy alerting (Grafana < 8): one rule per body (``ruleId``, ``ruleName``, ``state``,
  ``evalMatches``). dedup_key is ``grafana-rule-<ruleId>``, suffixed ``-org-<orgId>`` when the
  body names the organisation, so the alerting and ok notifications of a rule share one key.
"""

from __future__ import annotations

from typing import Any

from vigil.domain.alerts import AlertStatus, NormalizedAlert
from vigil.domain.errors import InvalidInput
from vigil.domain.parsers._common import (
    as_dict,
    build_alert,
    category_from,
    child,
    enum_value,
    first_str,
    fit_key,
    fit_title,
    opt_id,
    opt_list,
    opt_str,
    req_id,
    severity_from,
    str_map,
)
from vigil.domain.parsers.alertmanager import parse_am_body

SOURCE = "grafana"

_LEGACY_STATES = {
    "alerting": AlertStatus.FIRING,
    "ok": AlertStatus.RESOLVED,
    "no_data": AlertStatus.UNKNOWN,
    "paused": AlertStatus.UNKNOWN,
    "pending": AlertStatus.UNKNOWN,
}
_LEGACY_MARKERS = ("ruleId", "ruleName", "evalMatches")


def parse_grafana(payload: object) -> list[NormalizedAlert]:
    body = as_dict(payload, "")
    if "alerts" in body:
        return parse_am_body(body, SOURCE)
    if any(marker in body for marker in _LEGACY_MARKERS):
        return [_parse_legacy(body)]
    raise InvalidInput("alerts", "is required")


def _parse_legacy(body: dict[str, Any]) -> NormalizedAlert:
    rule_id = req_id(body, "ruleId", "")
    tags = str_map(body.get("tags"), "tags")
    title = first_str(body, ("ruleName", "title"), "") or f"Grafana rule {rule_id}"
    return build_alert(
        source=SOURCE,
        dedup_key=_legacy_dedup_key(body, rule_id),
        status=enum_value(body, "state", "", _LEGACY_STATES),
        title=fit_title(title),
        description=opt_str(body, "message", "") or "",
        severity=severity_from(tags.get("severity")),
        category=category_from(tags.get("category")),
        labels=tags,
        details=_legacy_details(body, rule_id),
        source_url=opt_str(body, "ruleUrl", "") or None,
    )


def _legacy_dedup_key(body: dict[str, Any], rule_id: str) -> str:
    org_id = opt_id(body, "orgId", "")
    suffix = f"-org-{org_id}" if org_id else ""
    return fit_key(f"grafana-rule-{rule_id}{suffix}")


def _legacy_details(body: dict[str, Any], rule_id: str) -> dict[str, Any]:
    details: dict[str, Any] = {"format": "grafana_legacy", "rule_id": rule_id}
    for key, name in (("title", "notification_title"), ("imageUrl", "image_url")):
        value = opt_str(body, key, "")
        if value:
            details[name] = value
    matches = enumerate(opt_list(body, "evalMatches", ""))
    details["eval_matches"] = [_eval_match(m, child("evalMatches", i)) for i, m in matches]
    return details


def _eval_match(raw: object, path: str) -> dict[str, Any]:
    match = as_dict(raw, path)
    return {
        "metric": opt_str(match, "metric", path),
        "value": match.get("value"),
        "tags": str_map(match.get("tags"), child(path, "tags")),
    }
