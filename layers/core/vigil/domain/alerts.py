"""The normalized alert every integration parser produces."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field

from vigil.domain.model import Model
from vigil.domain.vocabulary import ALERT_ACTIONS, Severity

# A label is a named string. DynamoDB refuses a map key that is empty, and an item over 400 KB.
LABEL_NAME_LIMIT = 256
LABEL_VALUE_LIMIT = 1024

__all__ = [
    "PUBLIC_FIELDS",
    "Alert",
    "AlertOutcome",
    "AlertStatus",
    "NormalizedAlert",
    "Severity",
    "StoredAlert",
]


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"
    # The source could not tell (CloudWatch INSUFFICIENT_DATA): recorded, pages only if configured.
    UNKNOWN = "unknown"
    # The source says a person acknowledged it (PagerDuty Events v2 `acknowledge`).
    ACKNOWLEDGED = "acknowledged"


class NormalizedAlert(Model):
    """One alert as Vigil understands it, whatever sent it.

    `dedup_key` identifies the alert at its source and never contains a timestamp: the same
    alert sent again yields the same key. `correlation_key` groups related alerts into one
    incident (an Alertmanager group, a Datadog monitor); it defaults to the dedup key.
    """

    model_config = ConfigDict(frozen=True)

    source: str
    dedup_key: str = Field(min_length=1, max_length=512)
    status: AlertStatus
    title: str = Field(min_length=1, max_length=512)
    description: str = ""
    severity: Severity = Severity.HIGH
    category: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)
    correlation_key: str | None = None
    starts_at: datetime | None = None
    source_url: str | None = None
    # True when the source says this alert must not notify anyone (suppressed CloudWatch actions).
    suppressed: bool = False


# What ingesting one alert did, and why.
class AlertOutcome(Model):
    alert_id: str
    dedup_key: str
    status: str
    action: str = Field(description=", ".join(ALERT_ACTIONS))
    incident_id: str | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump()


# A stored alert as callers see it (StoredAlert below is what the store keeps).
class Alert(Model):
    alert_id: str
    dedup_key: str
    integration_id: str
    source: str
    title: str
    description: str = ""
    severity: str
    category: str | None = None
    labels: dict[str, str] = {}
    status: str
    occurrences: int
    first_seen: str
    last_seen: str
    resolved_at: str | None = None
    incident_id: str | None = None
    silenced_by: str | None = None
    suppressed: bool = False
    source_url: str | None = None
    correlation_key: str | None = None


PUBLIC_FIELDS = tuple(Alert.model_fields)


class StoredAlert(Alert):
    """An alert as the alerts store keeps it: what callers see, its current episode and its
    link to an incident, the changes that tell flapping, each arrival, the raw payload and the
    details (see adapters/stores/alerts.py)."""

    prev_seen: str | None = None  # the arrival before the latest
    episode_started: str | None = None  # when its current firing episode began; None once resolved
    incident_episode: str | None = None  # the episode that `incident_id` was opened or joined by
    changes: list[str] = []  # its state changes (firing after a resolve, resolve), for flapping
    arrivals: list[str] = []  # each arrival as "<time>|<status>", for replays
    raw_payload: str | None = None
    details: dict[str, Any] = {}

    @property
    def episode_incident(self) -> str | None:
        """The incident of its current episode, once the episode is linked to one."""
        linked = self.episode_started is not None and self.incident_episode == self.episode_started
        return self.incident_id if linked else None

    def stored(self) -> dict[str, Any]:
        """The fields as stored: those it was read with (defaults are not written)."""
        return self.model_dump(exclude_unset=True)


def bounded_labels(labels: dict[str, str], limit: int) -> dict[str, str]:
    """What a monitoring tool sent, made storable: unnamed labels dropped, the rest cut to size."""
    named = [(k, v) for k, v in labels.items() if k][:limit]
    return {k[:LABEL_NAME_LIMIT]: v[:LABEL_VALUE_LIMIT] for k, v in named}
