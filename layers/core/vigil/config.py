"""Settings read from the environment once, by the adapters and entry points only."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Settings:
    table_name: str
    state_machine_arn: str
    notifications_topic_arn: str
    sender_email: str
    stage: str
    region: str
    # The local runtime allows loopback webhook targets and plain http; a deployed stack never does.
    local: bool
    public_base_url: str


@cache
def settings() -> Settings:
    env = os.environ
    return Settings(
        table_name=env.get("VIGIL_TABLE", "vigil-dev"),
        state_machine_arn=env.get("VIGIL_STATE_MACHINE_ARN", ""),
        notifications_topic_arn=env.get("VIGIL_NOTIFICATIONS_TOPIC_ARN", ""),
        sender_email=env.get("VIGIL_SENDER_EMAIL", "vigil@example.com"),
        stage=env.get("VIGIL_STAGE", "dev"),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        local=env.get("VIGIL_LOCAL") == "1",
        public_base_url=env.get("VIGIL_PUBLIC_URL", "").rstrip("/"),
    )
