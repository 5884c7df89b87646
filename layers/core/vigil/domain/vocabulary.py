"""The words Vigil's data uses, defined once: severities, integration kinds, channels,
categories, alert outcomes and delivery states. Models and parsers import them from here."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args


class Severity(StrEnum):
    EMERGENCY = "emergency"
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)

IntegrationKind = Literal["alertmanager", "grafana", "cloudwatch", "datadog", "pagerduty", "generic"]
KINDS: tuple[str, ...] = get_args(IntegrationKind)

# In the order a page tries them, and the order policies list them.
Channel = Literal["email", "slack", "webhook", "sms"]
CHANNELS: tuple[str, ...] = get_args(Channel)

# The categories parsers recognize and assignment rules, playbooks and alerts may name.
Category = Literal["security", "performance", "database", "network", "system"]
CATEGORIES: frozenset[str] = frozenset(get_args(Category))

# What ingesting one alert did.
AlertAction = Literal[
    "opened", "joined", "duplicate", "resolved", "acknowledged", "recorded", "suppressed", "silenced"
]
ALERT_ACTIONS: tuple[str, ...] = get_args(AlertAction)

DeliveryStatus = Literal["sending", "sent", "failed"]
