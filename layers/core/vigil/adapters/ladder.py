"""The escalation ladder's Step Functions calls: one execution per incident (per run), named
after it, and the task token its waiting rung is answered through."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from vigil.adapters.aws import call, error_code
from vigil.config import settings

# The rung already timed out, or the execution ended: the next step sees the new status.
GONE = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})


def execution_name(incident_id: str, run: int) -> str:
    return incident_id if run == 0 else f"{incident_id}-run{run}"


def run_of(execution_arn: str) -> str:
    """The execution name: it identifies one run of an incident's ladder."""
    return execution_arn.rsplit(":", 1)[-1]


def run_number(run: str) -> int:
    """The number of the run an execution name stands for (`execution_name` backwards)."""
    _, marker, number = run.rpartition("-run")
    return int(number) if marker and number.isdigit() else 0


def start(incident_id: str, ladder_input: dict[str, Any], *, run: int = 0) -> str:
    """Start the execution, once whatever the retries; returns its ARN."""
    _call_unless(
        {"ExecutionAlreadyExists"},
        "start_execution",
        stateMachineArn=settings().state_machine_arn,
        name=execution_name(incident_id, run),
        input=json.dumps(ladder_input),
    )
    return execution_arn(incident_id, run)


def execution_arn(incident_id: str, run: int) -> str:
    state_machine = settings().state_machine_arn
    return f"{state_machine.replace(':stateMachine:', ':execution:')}:{execution_name(incident_id, run)}"


def answer(task_token: str, output: dict[str, Any]) -> bool:
    """End a rung's wait; False when the rung is gone already."""
    return _call_unless(GONE, "send_task_success", taskToken=task_token, output=json.dumps(output))


def escalate(task_token: str, reason: str, *, error: str = "ManualEscalation") -> None:
    """Fail the waiting rung with a named error (ManualEscalation, RungUnreachable): the
    state machine's Catch moves the ladder on at once."""
    _call_unless(
        {"TaskTimedOut", "TaskDoesNotExist"},
        "send_task_failure",
        taskToken=task_token,
        error=error,
        cause=reason[:256],
    )


def abandon(execution_arn: str, why: str) -> None:
    """Stop the execution outright: it ends ABORTED."""
    _call_unless(
        {"ExecutionDoesNotExist"},
        "stop_execution",
        executionArn=execution_arn,
        error="IncidentDeleted",
        cause=why[:256],
    )


def _call_unless(harmless: Collection[str], operation: str, **params: Any) -> bool:
    """Make the call; False when it failed with one of the `harmless` error codes."""
    try:
        call("stepfunctions", operation, **params)
    except Exception as error:
        if error_code(error) not in harmless:
            raise
        return False
    return True


def error_name(error: BaseException) -> str:
    """The AWS error code behind a failed call, else the exception's class name."""
    cause = error.__cause__ or error
    return error_code(cause) if isinstance(cause, Exception) and error_code(cause) else type(cause).__name__
