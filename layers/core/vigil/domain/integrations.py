"""Integrations: one per monitoring source, and their settings (every name is known, so a typo
is a 400, not a silent no-op)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, field_validator

from vigil.domain.flapping import DEFAULT_HOLD_SECONDS
from vigil.domain.mapping import Mapping, compile_grouping
from vigil.domain.model import Model
from vigil.domain.silences import MaintenanceWindow
from vigil.domain.vocabulary import IntegrationKind


class IntegrationSettings(Model):
    model_config = ConfigDict(extra="forbid")

    verify_sns_signature: bool = Field(
        default=True,
        description="cloudwatch: check SNS signatures (turn off only where AWS cannot be reached)",
    )
    page_on_unknown: bool = Field(default=False, description="page on CloudWatch INSUFFICIENT_DATA")
    correlation_window_seconds: int = Field(default=600, ge=10, le=7 * 24 * 3600)
    flapping_hold_seconds: int = Field(
        default=DEFAULT_HOLD_SECONDS,
        ge=0,
        le=24 * 3600,
        description="a flapping alert that fires again reopens its incident; its ladder pages after this "
        "many seconds unless the alert resolves first",
    )
    rate_limit_per_minute: int = Field(default=120, ge=1, le=100_000)
    maintenance_windows: list[MaintenanceWindow] = Field(default_factory=list, max_length=20)
    mapping: Mapping | None = Field(default=None, description="generic: map any JSON to alert fields")
    grouping_key: str | None = Field(
        default=None,
        max_length=500,
        description="jinja2 over the alert (title, severity, category, source, labels, dedup_key): alerts "
        "rendering the same key join one incident; e.g. {{ labels.alertname }}/{{ labels.service }}. "
        "Default: the source's own grouping (Alertmanager groupKey, Datadog monitor, correlation_id)",
    )

    @field_validator("grouping_key")
    @classmethod
    def _compiles(cls, text: str | None) -> str | None:
        if text is not None:
            compile_grouping(text)
        return text


class Integration(Model):
    """An integration as stored. `settings` stays as saved; `typed_settings` validates it."""

    integration_id: str
    name: str
    kind: IntegrationKind
    settings: dict[str, Any] = Field(default_factory=dict)
    created_at: str
    updated_at: str
    token_prefix: str
    token_hash: str = ""
    service_id: str | None = Field(
        default=None, description="the service its alerts are for (none: the default)"
    )

    def typed_settings(self) -> IntegrationSettings:
        return IntegrationSettings.model_validate(self.settings)

    def public(self) -> dict[str, Any]:
        """What callers may see: everything but the token's hash."""
        return self.model_dump(exclude={"token_hash"})
