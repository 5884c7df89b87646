"""AWS calls per operation, counted on the local runtime (deterministic), with the budgets of
docs/design.md (performance budgets) and the AWS bill they imply at list prices."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from local.stack import LocalStack, _invocation_calls

# us-east-1 list prices, November 2026 (on demand; arm64 Lambda).
PRICES = {
    "dynamodb_write_request": 0.625 / 1e6,
    "dynamodb_read_request": 0.125 / 1e6,
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second_arm64": 0.0000133334,
    "api_gateway_rest_request": 3.50 / 1e6,
    "step_functions_transition": 0.025 / 1e3,
    "sns_publish": 0.50 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "ses_email": 0.10 / 1e3,
    "eventbridge_event": 1.00 / 1e6,
}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
BUDGETS = {
    "duplicate alert": {"dynamodb_writes": 1, "dynamodb_reads": 0},
    "new alert opening an incident": {
        "dynamodb_writes": 3,
        "dynamodb_reads": 0,
        "stepfunctions:StartExecution": 1,
    },
}
# Each operation's floor (reads + writes in the request) and why nothing less will do.
FLOORS = {
    "new alert opening an incident": (
        "0 R + 3 W + StartExecution",
        "the alert must be counted (one upsert that also tells new from known), the incident stored "
        "once (a conditional put carrying its playbook and first timeline entry), and the alert linked "
        "to it; the ladder is one execution",
    ),
    "duplicate alert": ("0 R + 1 W", "the occurrence must be counted durably; the upsert returns the rest"),
    "alert joining an open incident": (
        "0 R + 3 W",
        "the upsert, the link, and the incident's alert count; the correlation window is claimed with "
        "a conditional write, not read",
    ),
    "acknowledge": (
        "1 R + 2 W + SendTaskSuccess + PutEvents",
        "the incident must be read for its version and task token, the status written with its "
        "timeline entry, the ladder answered",
    ),
    "resolve (alert resolved at its source)": (
        "0 R + 3 W + SendTaskSuccess + PutEvents",
        "the alert upsert returns its incident; the incident's count and status, and its entry",
    ),
}


def summarize(calls: Counter[str]) -> dict[str, Any]:
    dynamo = {k.split(":")[1]: v for k, v in calls.items() if k.startswith("dynamodb:")}
    return {
        "calls": dict(sorted(calls.items())),
        "dynamodb_writes": sum(v for k, v in dynamo.items() if k in WRITES),
        "dynamodb_reads": sum(v for k, v in dynamo.items() if k in READS),
    }


def _settle(stack: LocalStack, quiet: float = 0.5, timeout: float = 20) -> None:
    """Wait until background work (ladders, deliveries) has made no AWS call for `quiet` s."""
    deadline = time.monotonic() + timeout
    last, since = sum(stack.calls.values()), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = sum(stack.calls.values())
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def _measure(
    stack: LocalStack, operation: Any, *, settle: bool = False, fresh: bool = False
) -> dict[str, Any]:
    from vigil.services import warm

    _settle(stack)
    if fresh:
        warm.forget_everything()  # as a new instance: nothing remembered
    stack.calls.clear()
    if settle:  # the rung's own steps and delivery run elsewhere: count everything
        operation()
        _settle(stack)
        return summarize(Counter(stack.calls))
    own: Counter[str] = Counter()
    counting = _invocation_calls.set(own)  # this call's own, not the ladders still running
    try:
        operation()
    finally:
        _invocation_calls.reset(counting)
    return summarize(own)


def measure(stack: LocalStack) -> dict[str, Any]:
    from vigil.domain.alerts import AlertOutcome, AlertStatus, NormalizedAlert, Severity
    from vigil.domain.incidents import IncidentIn, Status
    from vigil.domain.teams import TeamIn
    from vigil.services import escalation, incidents, integrations, teams
    from vigil.services.ingest import dedup

    teams.put_team("on_call_engineer", TeamIn(webhook_url="http://127.0.0.1:9/bench"))
    integration = integrations.authenticate(integrations.create("bench", "generic", {})[1])

    def alert(
        key: str, status: AlertStatus = AlertStatus.FIRING, correlation: str | None = None
    ) -> NormalizedAlert:
        return NormalizedAlert(
            source="generic",
            dedup_key=key,
            status=status,
            title=f"bench {key}",
            severity=Severity.HIGH,
            correlation_key=correlation,
        )

    def send(a: NormalizedAlert) -> AlertOutcome:
        return dedup.ingest(integration, [a])[0]

    results: dict[str, Any] = {}
    send(alert("warm-up"))  # first use creates caches (routing rules, silences) as a warm function has them
    results["new alert opening an incident"] = _measure(stack, lambda: send(alert("one")))
    results["duplicate alert"] = _measure(stack, lambda: send(alert("one")))
    results["new alert opening an incident, fresh instance"] = _measure(
        stack, lambda: send(alert("fresh")), fresh=True
    )
    results["duplicate alert, fresh instance"] = _measure(stack, lambda: send(alert("fresh")), fresh=True)
    send(alert("group-a", correlation="group"))
    results["alert joining an open incident"] = _measure(
        stack, lambda: send(alert("group-b", correlation="group"))
    )
    opened = send(alert("ack-me"))
    _settle(stack)
    incident_id = str(opened.incident_id)
    results["acknowledge"] = _measure(
        stack, lambda: incidents.change_status(incident_id, Status.ACKNOWLEDGED, actor="bench")
    )
    results["resolve (alert resolved at its source)"] = _measure(
        stack, lambda: send(alert("ack-me", AlertStatus.RESOLVED))
    )
    record = incidents.create_by_hand(
        IncidentIn(title="bench rung", assigned_team="on_call_engineer"), "bench"
    )
    results["one escalation rung (Advance + Page, webhook delivery included)"] = _measure(
        stack, lambda: escalation.start_ladder(record["incident_id"]), settle=True
    )
    for name, (floor, why) in FLOORS.items():
        results[name] |= {"floor": floor, "why": why}
    for name, budget in BUDGETS.items():
        for metric, limit in budget.items():
            value = results[name].get(metric, results[name]["calls"].get(metric, 0))
            results[name].setdefault("budget", {})[metric] = {
                "limit": limit,
                "measured": value,
                "ok": value <= limit,
            }
    return {
        "operations": results,
        "within_budgets": all(b["ok"] for r in results.values() for b in r.get("budget", {}).values()),
        "prices": PRICES,
    }
