"""Per-integration mapping from any JSON to Vigil's alert fields, with jinja2 expressions in
the sandbox (as Grafana OnCall's templates do). `payload` is the body, or one element of it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import Field, field_validator

from vigil.domain.alerts import AlertStatus, NormalizedAlert, Severity
from vigil.domain.conditions import sandbox
from vigil.domain.errors import InvalidInput
from vigil.domain.model import Model
from vigil.domain.sandbox import TooCostly, check_loops

TRUE_WORDS = {"true", "1", "yes", "resolved", "ok"}


class Mapping(Model):
    title: str = Field(
        max_length=2000, description="e.g. {{ payload.check_name }} is {{ payload.current_state }}"
    )
    severity: str = Field(default="high", max_length=2000, description="renders to a Vigil severity")
    dedup_key: str = Field(default="", max_length=2000, description="empty: a hash of the rendered title")
    resolve_condition: str = Field(default="", max_length=2000, description="renders true/false")
    description: str = Field(default="", max_length=2000)
    alerts: str = Field(default="", max_length=200, description="a top-level key holding a list of alerts")

    @field_validator("title", "severity", "dedup_key", "resolve_condition", "description")
    @classmethod
    def _compiles(cls, text: str) -> str:
        _try_on_sample(_compiled(text, "template"), {"payload": {}})
        return text


def _render(text: str, payload: Any, field: str) -> str:
    from jinja2 import TemplateError

    try:
        return sandbox().from_string(text).render(payload=payload).strip()
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as error:
        raise InvalidInput(f"settings.mapping.{field}", f"failed on this payload: {error}") from None


def map_payload(mapping: Mapping, body: Any, source: str = "generic") -> list[NormalizedAlert]:
    items = body.get(mapping.alerts) if mapping.alerts and isinstance(body, dict) else body
    items = items if isinstance(items, list) else [items]
    return [_one(mapping, item, source) for item in items]


def _one(mapping: Mapping, payload: Any, source: str) -> NormalizedAlert:
    title = _render(mapping.title, payload, "title")
    if not title:
        raise InvalidInput("settings.mapping.title", "rendered empty for this payload")
    severity = _render(mapping.severity, payload, "severity").lower()
    key = _render(mapping.dedup_key, payload, "dedup_key") if mapping.dedup_key else ""
    resolved = mapping.resolve_condition and _render(mapping.resolve_condition, payload, "resolve_condition")
    return NormalizedAlert(
        source=source,
        dedup_key=(key or hashlib.sha256(title.encode()).hexdigest()[:32])[:512],
        status=AlertStatus.RESOLVED if str(resolved).lower() in TRUE_WORDS else AlertStatus.FIRING,
        title=title[:512],
        description=_render(mapping.description, payload, "description") if mapping.description else "",
        severity=Severity(severity) if severity in Severity._value2member_map_ else Severity.HIGH,
        details={"payload": json.loads(json.dumps(payload, default=str))}
        if isinstance(payload, dict)
        else {},
    )


GROUPING_SAMPLE: dict[str, Any] = {
    "title": "Disk full",
    "severity": "high",
    "category": "system",
    "source": "alertmanager",
    "labels": {"alertname": "DiskFull", "service": "api"},
    "dedup_key": "disk-full",
}


def compile_grouping(text: str) -> Any:
    """A grouping key template; ValueError if it does not compile or costs too much."""
    compiled = _compiled(text, "grouping_key")
    _try_on_sample(compiled, GROUPING_SAMPLE)
    return compiled


def _compiled(text: str, field: str) -> Any:
    from jinja2 import TemplateError

    try:
        check_loops(sandbox(), text, field)
        return sandbox().from_string(text)
    except (InvalidInput, TemplateError) as error:
        raise ValueError(f"not a valid template: {error}") from None


def _try_on_sample(compiled: Any, sample: dict[str, Any]) -> None:
    """Render once on a sample: refuse what the sandbox refuses or what costs too much; any
    other failure depends on the data and is judged on real alerts."""
    from jinja2.sandbox import SecurityError

    try:
        compiled.render(**sample)
    except (SecurityError, TooCostly) as error:
        raise ValueError(str(error)) from None
    except Exception:  # noqa: S110 (a template may legitimately fail on made-up data)
        pass


def grouped(alerts: list[NormalizedAlert], template: str) -> list[NormalizedAlert]:
    """Each alert with the correlation key its integration's grouping template renders."""

    compiled = compile_grouping(template)
    result = []
    for alert in alerts:
        fields = {
            "title": alert.title,
            "severity": alert.severity.value,
            "category": alert.category,
            "source": alert.source,
            "labels": alert.labels,
            "dedup_key": alert.dedup_key,
        }
        try:
            key = compiled.render(**fields).strip()
        except Exception:  # whatever a user's template does, the alert is kept, with its own key
            result.append(alert)
            continue
        result.append(alert.model_copy(update={"correlation_key": key[:512] or None}))
    return result
