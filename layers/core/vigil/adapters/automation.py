"""SSM Automation: start a runbook by document name, where the `ssm_automation` setting allows
it. The local runtime turns it off (it has no Systems Manager) and says so rather than pretend."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from vigil.adapters.aws import client
from vigil.config import settings

NOT_LOCAL = "SSM Automation is not available in the local runtime; run the document by hand and mark the step"
_TOKENS = uuid.UUID("5f0b7c3e-9a51-4d8e-b1f6-2c6a0e9d4b17")


@dataclass(frozen=True)
class AutomationStart:
    execution_id: str | None
    error: str | None = None


def start_automation(document_name: str, parameters: dict[str, list[str]], *, run_id: str) -> AutomationStart:
    """Never raises for AWS trouble: the result says what happened. The run id is the
    idempotency token, so a retried request starts one execution."""
    if not settings().ssm_automation:
        return AutomationStart(None, NOT_LOCAL)
    from botocore.exceptions import BotoCoreError, ClientError  # botocore loads at first AWS call

    try:
        response = client("ssm").start_automation_execution(
            DocumentName=document_name,
            Parameters=parameters,
            ClientToken=str(uuid.uuid5(_TOKENS, run_id)),
        )
    except (ClientError, BotoCoreError) as error:
        return AutomationStart(None, f"{type(error).__name__}: {error}")
    return AutomationStart(str(response["AutomationExecutionId"]))
