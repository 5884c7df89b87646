"""AWS calls per operation, counted on the local runtime (deterministic), with the budgets of
docs/design.md (performance budgets) and the AWS bill they imply at list prices."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from bench.sink import Sink
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
# Held by bench (exit 1 when exceeded) and by tests/e2e/test_call_floors_e2e.py (whole requests).
BUDGETS = {
    "duplicate alert": {"dynamodb_writes": 1, "dynamodb_reads": 0},
    "new alert opening an incident": {
        "dynamodb_writes": 3,
        "dynamodb_reads": 0,
        "stepfunctions:StartExecution": 1,
    },
    "new alert opening an incident, fresh instance": {"dynamodb_reads": 1},
    "duplicate alert, fresh instance": {"dynamodb_reads": 1},
    "alert joining an open incident": {"dynamodb_writes": 5, "dynamodb_reads": 0},
    "acknowledge": {"dynamodb_writes": 2, "dynamodb_reads": 1, "stepfunctions:SendTaskSuccess": 1},
    "resolve (a person)": {"dynamodb_writes": 2, "dynamodb_reads": 1, "stepfunctions:SendTaskSuccess": 1},
    "resolve at source (last alert; resolve notice off)": {
        "dynamodb_writes": 3,
        "dynamodb_reads": 0,
        "stepfunctions:SendTaskSuccess": 1,
    },
}
_WHY_STATUS = (
    "the incident must be read for its status (the lifecycle table) and version; then ONE conditional "
    "UpdateItem sets the status, bumps the version, ends the ladder's wait and returns the incident "
    "as it was (ALL_OLD), so SendTaskSuccess uses the token that write removed (and the ack timeout "
    "the waiting rung recorded) without a read; the timeline entry is its own item (an incident's "
    "timeline is unbounded, an item is not)"
)
# Each operation's floor (reads + writes in the request) and why nothing less will do.
FLOORS = {
    "new alert opening an incident": (
        "0 R + 3 W + StartExecution",
        "the alert must be counted (one upsert that also tells new from known), the incident stored "
        "once (a conditional put carrying its playbook and first timeline entry), and the alert linked "
        "to it; the ladder is one execution",
    ),
    "duplicate alert": ("0 R + 1 W", "the occurrence must be counted durably; the upsert returns the rest"),
    "new alert opening an incident, fresh instance": (
        "1 R + 3 W + StartExecution",
        "a fresh instance reads the live configuration (alerting and assignment rules, silences, "
        "stored playbooks) with one Query of one partition; the token and its integration are two "
        "more reads in a whole request",
    ),
    "duplicate alert, fresh instance": ("1 R + 1 W", "the live configuration's one Query, then the upsert"),
    "alert joining an open incident": (
        "0 R + 5 W",
        "the upsert; the correlation window's claim, a conditional write whose answer names the "
        "incident (reading it first would race); the link; the incident's counts, whose write returns "
        "the incident so that the severity is compared without a read; the timeline entry. The "
        "issue's 0 R + 3 W left out the claim and the entry",
    ),
    "acknowledge": ("1 R + 2 W + SendTaskSuccess + PutEvents", _WHY_STATUS),
    "resolve (a person)": ("1 R + 2 W + SendTaskSuccess + PutEvents", _WHY_STATUS),
    "resolve at source (last alert; resolve notice off)": (
        "0 R + 3 W + SendTaskSuccess + PutEvents",
        "the alert's resolve returns its incident; ONE conditional UpdateItem counts the alert and, "
        "if it was the last one firing, resolves the incident and ends the ladder's wait, returning "
        "the token; one timeline item holds both entries (the alert's and the status change). An "
        "alert without a correlation key tries that write first; if others still fire, the failed "
        "conditional write is billed and the alert is counted alone (one write more than before); an "
        "alert with a correlation key, likely one of several, is counted first. The resolve notice "
        "(on by default) adds its own reads and Publish",
    ),
}


def summarize(calls: Counter[str]) -> dict[str, Any]:
    dynamo = {k.split(":")[1]: v for k, v in calls.items() if k.startswith("dynamodb:")}
    return {
        "calls": dict(sorted(calls.items())),
        "dynamodb_writes": sum(v for k, v in dynamo.items() if k in WRITES),
        "dynamodb_reads": sum(v for k, v in dynamo.items() if k in READS),
    }


# Background work (ladders, deliveries) is done once the runtime made no AWS call for this long.
QUIET_SECONDS, SETTLE_TIMEOUT = 0.5, 20


def _measure(
    stack: LocalStack, operation: Any, *, settle: bool = False, fresh: bool = False
) -> dict[str, Any]:
    from vigil.services import warm

    stack.quiet_for(QUIET_SECONDS, SETTLE_TIMEOUT)
    if fresh:
        warm.forget_everything()  # as a new instance: nothing remembered
    stack.calls.clear()
    if settle:  # the rung's own steps and delivery run elsewhere: count everything
        operation()
        stack.quiet_for(QUIET_SECONDS, SETTLE_TIMEOUT)
        return summarize(Counter(stack.calls))
    own: Counter[str] = Counter()
    counting = _invocation_calls.set(own)  # this call's own, not the ladders still running
    try:
        operation()
    finally:
        _invocation_calls.reset(counting)
    return summarize(own)


def _waiting(stack: LocalStack, opened: Any) -> str:
    """The opened incident's id, once its rung 0 has paged and waits (a task token to answer)."""
    stack.quiet_for(QUIET_SECONDS, SETTLE_TIMEOUT)
    return str(opened.incident_id)


def measure(stack: LocalStack) -> dict[str, Any]:
    from vigil.domain.teams import TeamIn
    from vigil.services import teams

    with Sink() as sink:  # every delivery succeeds at once: no retry makes the counts vary
        teams.put_team("on_call_engineer", TeamIn(webhook_url=sink.url))
        return _measure_each_operation(stack)


def _measure_each_operation(stack: LocalStack) -> dict[str, Any]:
    from vigil.domain.alerts import AlertOutcome, AlertStatus, NormalizedAlert, Severity
    from vigil.domain.incidents import IncidentIn, Status
    from vigil.domain.teams import AlertingRules
    from vigil.services import escalation, incidents, integrations
    from vigil.services.ingest import dedup
    from vigil.services.paging import routing

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
    incident_id = _waiting(stack, send(alert("ack-me")))
    results["acknowledge"] = _measure(
        stack, lambda: incidents.change_status(incident_id, Status.ACKNOWLEDGED, actor="bench")
    )
    other = _waiting(stack, send(alert("resolve-me")))
    results["resolve (a person)"] = _measure(
        stack, lambda: incidents.change_status(other, Status.RESOLVED, actor="bench")
    )
    routing.save_alerting_rules(AlertingRules(notify_resolved_for=[]), "bench")  # forgets, then:
    _waiting(stack, send(alert("resolve-at-source")))  # reads the live configuration again
    results["resolve at source (last alert; resolve notice off)"] = _measure(
        stack, lambda: send(alert("resolve-at-source", AlertStatus.RESOLVED))
    )
    routing.save_alerting_rules(AlertingRules(), "bench")
    _waiting(stack, send(alert("resolve-and-tell")))
    results["resolve at source (last alert; resolve notice on, the default)"] = _measure(
        stack, lambda: send(alert("resolve-and-tell", AlertStatus.RESOLVED))
    )
    record = incidents.create_by_hand(
        IncidentIn(title="bench rung", assigned_team="on_call_engineer"), "bench"
    )
    results["one escalation rung (Advance + Page, webhook delivery included)"] = _measure(
        stack, lambda: escalation.start_ladder(record.incident_id), settle=True
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


def measure_alone(root: Path) -> dict[str, Any]:
    """`python -m bench.calls`: this section alone, into bench/results.json and docs/benchmarks.md
    (the other sections stay as the last full run measured them)."""
    from bench import report
    from local.settings import apply_local_settings

    apply_local_settings()
    with LocalStack() as stack:
        measured = measure(stack)
    path = root / "bench" / "results.json"
    results = json.loads(path.read_text())
    results["aws_calls"] = measured
    path.write_text(json.dumps(results, indent=2) + "\n")
    report.write(results, root / "docs" / "benchmarks.md")
    return measured


if __name__ == "__main__":
    import local  # noqa: F401  (puts the core layer on the path)

    print(json.dumps(measure_alone(Path(__file__).resolve().parent.parent)["operations"], indent=2))
