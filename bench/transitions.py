"""Step Functions state transitions per rung, counted from real execution histories on the
local runtime (the real ASL on moto's interpreter). Standard workflows bill per transition."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from local.stack import LocalStack


def _history(stack: LocalStack, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = stack.clients["stepfunctions"].get_execution_history(
        executionArn=execution_arn, maxResults=1000
    )["events"]
    return events


def _wait_done(stack: LocalStack, arn: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = str(stack.clients["stepfunctions"].describe_execution(executionArn=arn)["status"])
        if status != "RUNNING":
            return status
        time.sleep(0.1)
    raise TimeoutError(arn)


def _entered(events: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]


def measure(stack: LocalStack) -> dict[str, Any]:
    from vigil.domain.escalation import EscalationPolicy, EscalationRule
    from vigil.domain.incidents import IncidentIn, Status
    from vigil.domain.teams import TeamIn
    from vigil.services import escalation, incidents, teams

    rungs = 3
    escalation.save_policy(
        EscalationPolicy(
            rules=[
                EscalationRule(
                    escalation_level=level,
                    escalate_to="bench_team",
                    escalate_after_seconds=1,
                    notification_channels=["email"],
                )
                for level in range(1, rungs)
            ],
            repeat_after_seconds=1,
            fallback_target=None,
        ),
        "bench",
    )
    unanswered = incidents.create_by_hand(
        IncidentIn(title="bench unanswered", assigned_team="bench_team"), "bench"
    )
    arn = escalation.start_ladder(unanswered.incident_id)
    _wait_done(stack, arn)
    exhausted = _entered(_history(stack, arn))

    # Rung 0 of this one reaches somebody, so that it waits for the acknowledgement (a rung that
    # reaches nobody moves on at once, and the acknowledgement would race the next rung).
    teams.put_team("bench_reachable", TeamIn(email_list=["oncall@example.com"]))
    answered = incidents.create_by_hand(
        IncidentIn(title="bench answered", assigned_team="bench_reachable"), "bench"
    )
    arn2 = escalation.start_ladder(answered.incident_id)
    while not incidents.get_record(answered.incident_id).waiting_token:
        time.sleep(0.05)
    incidents.change_status(answered.incident_id, Status.ACKNOWLEDGED, actor="bench")
    _wait_done(stack, arn2)
    acknowledged = _entered(_history(stack, arn2))
    per_rung = Counter(exhausted)["Page"]
    fixed = len(exhausted) - 4 * per_rung
    return {
        "rungs": rungs,
        "transitions_unanswered_ladder": len(exhausted),
        "transitions_per_rung": 4,
        "transitions_end_of_ladder": fixed,
        "transitions_acknowledged_at_rung_0": len(acknowledged),
        "states_unanswered": exhausted,
        "states_acknowledged": acknowledged,
    }
