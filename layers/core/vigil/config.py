"""The settings: read from the environment once per cold start, validated, and the only place
that reads the environment. Adapters and entry points read them; services are given values.

| variable | setting | default |
|---|---|---|
| VIGIL_TABLE | table_name | vigil-dev |
| VIGIL_STATE_MACHINE_ARN | state_machine_arn | "" |
| VIGIL_NOTIFICATIONS_TOPIC_ARN | notifications_topic_arn | "" |
| VIGIL_SENDER_EMAIL | sender_email | vigil@example.com |
| VIGIL_STAGE | stage | dev |
| AWS_REGION, AWS_DEFAULT_REGION | region | us-east-1 |
| VIGIL_PUBLIC_URL | public_base_url (acknowledge links) | "" (no links) |
| VIGIL_SIGNING_SECRET_ARN | signing_secret_arn | "" |
| VIGIL_EVENT_BUS | event_bus | default |
| VIGIL_RETRY_BASE_SECONDS | retry_base_seconds (delivery backoff) | 5 |
| VIGIL_WEBHOOK_SCHEMES | webhook_schemes, comma-separated | https |
| VIGIL_WEBHOOK_ALLOW_LOOPBACK | webhook_allow_loopback ("1"/"true") | off |
| VIGIL_SSM_AUTOMATION | ssm_automation: playbook steps may start SSM Automation | on |

A deployed stack keeps the defaults; the local runtime allows http and loopback webhook
targets and turns SSM Automation off (local/settings.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

TRUE = frozenset({"1", "true", "yes", "on"})


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    table_name: str = "vigil-dev"
    state_machine_arn: str = ""
    notifications_topic_arn: str = ""
    sender_email: str = "vigil@example.com"
    stage: str = "dev"
    region: str = "us-east-1"
    public_base_url: str = ""
    signing_secret_arn: str = ""
    event_bus: str = "default"
    retry_base_seconds: float = Field(default=5.0, ge=0)
    webhook_schemes: frozenset[str] = frozenset({"https"})
    webhook_allow_loopback: bool = False
    ssm_automation: bool = True
    storm_queue_url: str = ""  # where the ingest function hands a storm's alerts (StormQueue)

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("webhook_schemes")
    @classmethod
    def _known_schemes(cls, value: frozenset[str]) -> frozenset[str]:
        if not value or not value <= {"https", "http"}:
            raise ValueError("webhook schemes are https, or https and http")
        return value

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Settings:
        given = {
            "table_name": env.get("VIGIL_TABLE"),
            "state_machine_arn": env.get("VIGIL_STATE_MACHINE_ARN"),
            "notifications_topic_arn": env.get("VIGIL_NOTIFICATIONS_TOPIC_ARN"),
            "sender_email": env.get("VIGIL_SENDER_EMAIL"),
            "stage": env.get("VIGIL_STAGE"),
            "region": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
            "public_base_url": env.get("VIGIL_PUBLIC_URL"),
            "signing_secret_arn": env.get("VIGIL_SIGNING_SECRET_ARN"),
            "event_bus": env.get("VIGIL_EVENT_BUS"),
            "retry_base_seconds": env.get("VIGIL_RETRY_BASE_SECONDS"),
            "webhook_schemes": _words(env.get("VIGIL_WEBHOOK_SCHEMES")),
            "webhook_allow_loopback": _flag(env.get("VIGIL_WEBHOOK_ALLOW_LOOPBACK")),
            "ssm_automation": _flag(env.get("VIGIL_SSM_AUTOMATION")),
            "storm_queue_url": env.get("VIGIL_STORM_QUEUE_URL"),
        }
        return cls.model_validate({k: v for k, v in given.items() if v is not None})


def _words(value: str | None) -> frozenset[str] | None:
    return None if value is None else frozenset(w.strip() for w in value.split(",") if w.strip())


def _flag(value: str | None) -> bool | None:
    return None if value is None else value.strip().lower() in TRUE


@cache
def settings() -> Settings:
    return Settings.from_environment(os.environ)
