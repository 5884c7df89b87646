"""Renders bench/results.json into docs/benchmarks.md: each figure with how it was measured."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _calls(results: dict[str, Any]) -> list[str]:
    lines = [
        "## AWS calls per operation",
        "",
        "Counted, not timed: every AWS call the handlers make goes through one botocore hook of the",
        "local runtime (`/_local/aws-calls`). A warm function remembers the API keys and integration",
        "tokens it verified and the live configuration for 30 s (`vigil/services/warm.py`). The live",
        "configuration is everything ingest reads to decide about an alert and open its incident",
        "(alerting and assignment rules, silences, stored playbooks), copied into one partition",
        "(`CONFIG#live`) by the services that save them: a fresh instance reads it with ONE Query.",
        "Here the services are called in-process with the integration already known, so a fresh",
        "instance's token and integration reads are not in the fresh rows, and acknowledge and resolve",
        "are the service alone. `tests/e2e/test_call_floors_e2e.py` counts whole HTTP requests, fresh",
        "and warm, and asserts them: a fresh hook request adds its token and integration (3 reads in",
        "all); a person's acknowledge or resolve reads the incident with its timeline in one Query and",
        "the incident's alerts for the answer's body (2 reads, 3 fresh with the API key). A",
        "TransactWriteItems would count one write per item, as AWS bills each item (at twice a",
        "standard write's units); none of these paths uses one. The rung's row counts everything",
        "until the runtime is quiet; its webhook is a loopback sink that accepts at once, so that no",
        "delivery retry makes the count vary from run to run.",
        "",
        "| operation | DynamoDB writes | DynamoDB reads | all calls | floor (R + W) | budget |",
        "|---|---|---|---|---|---|",
    ]
    operations = results["aws_calls"]["operations"]
    for name, op in operations.items():
        calls = ", ".join(f"{k} {v}" for k, v in op["calls"].items())
        budget = (
            "; ".join(
                f"{m} ≤ {b['limit']}: {'ok' if b['ok'] else 'EXCEEDED'}"
                for m, b in op.get("budget", {}).items()
            )
            or "-"
        )
        lines.append(
            f"| {name} | {op['dynamodb_writes']} | {op['dynamodb_reads']} | {calls} | "
            f"{op.get('floor', '-')} | {budget} |"
        )
    lines += ["", "Why each floor is the floor:", ""]
    lines += [f"- {name}: {op['why']}." for name, op in operations.items() if "why" in op]
    lines += ["", *_bill(results), ""]
    return lines


def _bill(results: dict[str, Any]) -> list[str]:
    prices = results["aws_calls"]["prices"]
    ops = results["aws_calls"]["operations"]
    duplicate, new = ops["duplicate alert"], ops["new alert opening an incident"]
    per_alert_request = (
        prices["api_gateway_rest_request"]
        + prices["lambda_request"]
        + prices["lambda_gb_second_arm64"] * 0.5 * 0.05
    )  # 512 MB for ~50 ms
    duplicate_cost = per_alert_request + duplicate["dynamodb_writes"] * prices["dynamodb_write_request"]
    transitions = results["step_functions"]["transitions_acknowledged_at_rung_0"]
    incident_cost = (
        per_alert_request
        + new["dynamodb_writes"] * prices["dynamodb_write_request"]
        + new["dynamodb_reads"] * prices["dynamodb_read_request"]
        + transitions * prices["step_functions_transition"]
        + 3 * (prices["sns_publish"] + 2 * prices["sqs_request"] + prices["lambda_request"])
        + prices["ses_email"]
        + 2 * prices["eventbridge_event"]
    )
    return [
        "What that costs at us-east-1 list prices (on demand, arm64 Lambda at 512 MB for about 50 ms):",
        f"a million duplicate alerts cost about ${duplicate_cost * 1e6:,.2f} (API Gateway, Lambda and one",
        "DynamoDB write each); an incident that pages three channels and is acknowledged at rung 0",
        f"costs about ${incident_cost:.6f} ({transitions} state transitions, one email). An idle stack costs",
        "the Secrets Manager secret ($0.40 a month) and storage. Prices used: "
        + ", ".join(f"{k} ${v:.8f}".rstrip("0") for k, v in prices.items())
        + ".",
    ]


def _transitions(results: dict[str, Any]) -> list[str]:
    sfn = results["step_functions"]
    return [
        "## Step Functions state transitions",
        "",
        "Counted from the execution history of the real `statemachine/escalation.asl.json` on the",
        "local runtime. Standard workflows are billed per state transition.",
        "",
        "| ladder | transitions |",
        "|---|---|",
        "| each rung that pages and moves on, timed out or reaching nobody (Advance, Route, Page, "
        "TimedOut or Unreachable) "
        f"| {sfn['transitions_per_rung']} |",
        f"| end of an unanswered ladder (Advance, Route, Exhausted) | {sfn['transitions_end_of_ladder']} |",
        f"| unanswered ladder of {sfn['rungs']} rungs, whole | {sfn['transitions_unanswered_ladder']} |",
        f"| acknowledged during rung 0, whole | {sfn['transitions_acknowledged_at_rung_0']} |",
        "",
        f"States entered, unanswered: `{' → '.join(sfn['states_unanswered'])}`",
        "",
        f"States entered, acknowledged: `{' → '.join(sfn['states_acknowledged'])}`",
        "",
    ]


def _cold_start(results: dict[str, Any]) -> list[str]:
    cold = results["cold_start"]
    held = {True: "held", False: "EXCEEDED"}
    lines = [
        "## Cold start",
        "",
        f"Each function module imported in a fresh interpreter ({cold['rounds']} rounds, alternating with",
        f"`import boto3` alone; medians; load average {cold.get('load_average', '?')}). `import boto3`:",
        f"{cold['boto3_median_ms']} ms. Budgets: the ingest function within "
        f"{cold['ingest_budget_ratio']}× of it, **{held[cold['ingest_within_budget']]}**; every other",
        f"function within {cold.get('others_budget_ratio', 2.0)}×, "
        f"**{held[cold.get('others_within_budget', False)]}**.",
        "The last columns add the first DynamoDB client after the import, which every first",
        "invocation makes (boto3's: `boto3.client('dynamodb')`, "
        f"{cold.get('boto3_first_client_ms', '?')} ms): what a function defers to its first AWS",
        "call (botocore above all) shows there.",
        "",
        "No function loads at import what only some requests use: no function creates Powertools'",
        "Tracer (the X-Ray SDK, and the botocore client and modules it patches at creation, were",
        "most of each import; Lambda's active tracing still records every invocation), the stores",
        "of `vigil.adapters.stores` are imported at first use, jinja2 when a template is first",
        "rendered or checked, botocore (`vigil.adapters.aws`, `vigil.adapters.automation`) at the",
        "first AWS call, the API's replay and import services (with their domain models) in",
        "their one route each, and in the ingest path the services of opening an incident (incidents,",
        "responders, notifications: `vigil.lazy`) when an alert first opens or changes one and the",
        "SNS signature check at the first SNS envelope: a duplicate never loads them. The first",
        "request that needs them pays their import instead.",
        "",
        "| function | import, median ms | ratio to boto3 | with a first client, ms | ratio |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {name} | {f['median_ms']} | {f['ratio_to_boto3']}× "
        f"| {f.get('first_client_ms', '?')} | {f.get('first_client_ratio', '?')}× |"
        for name, f in cold["functions"].items()
    ]
    lines += ["", "Where each import goes: its modules' own time summed per package (ms, -X importtime):", ""]
    lines += [
        f"- {name}: " + ", ".join(f"`{i['module']}` {i['ms']}" for i in top)
        for name, top in cold.get("top_imports", {"ingest": cold.get("ingest_top_imports", [])}).items()
    ]
    lines += ["", cold["note"]] if "note" in cold else []  # what a run measured alone adds
    lines += [
        "",
        "The built layer (`layers/core/Makefile`, the target `sam build CoreLayer` runs, here with",
        "`PLATFORMS` set to this machine's so that it can be imported) on a code directory nothing is",
        "written to, as Lambda's read-only one, with the bytecode it ships (unchecked-hash `.pyc`",
        "compiled by Python 3.13) and with its `__pycache__` directories removed; medians of",
        "alternating rounds, ms. `tests/integration/test_built_layer.py` builds it the same way and",
        "imports the ingest function with every compiled source replaced by a stub that raises, so",
        "the import can only succeed from the shipped bytecode:",
        "",
        "| import | without bytecode | with bytecode |",
        "|---|---|---|",
    ]
    shipped = cold.get("bytecode_ms", {})
    for module in ("boto3", "functions.ingest.app", "functions.api.app"):
        if f"{module} with bytecode" in shipped:
            plain, compiled = shipped[f"{module} without bytecode"], shipped[f"{module} with bytecode"]
            lines.append(f"| `{module}` | {plain} | {compiled} |")
    return [*lines, ""]


THROUGHPUT_GOAL = 50  # alerts per second, mixed (issue 20)


def _latency(results: dict[str, Any]) -> list[str]:
    lat = results["latency"]
    own, minimal = lat["own_calls_replayed"], lat["floor"]["new_alert_calls"]
    return [
        "## Latency and throughput on the local runtime",
        "",
        f"{lat['alerts_sent']} distinct alerts sent one after another over HTTP to a generic integration;",
        "each opens an incident (the HTTP answer) and its rung 0 pages a webhook on a loopback sink",
        "(the first page). Right after each answer, the AWS calls its function made while answering",
        "(recorded at its boto clients: the alert upsert, the incident put, StartExecution and the",
        "link; on a fresh instance also the first reads) are replayed straight against the same",
        "moto with the runtime's own boto3 clients: DynamoDB's on a copy of the table made as the",
        "section began (its items too), so that each read finds what it found and each write meets",
        "the state it met; StartExecution on a state machine that does nothing. A call refused in the",
        f"answer would be refused again ({lat.get('replay_refused', 0)} were). That is the floor of the",
        "answer: the same calls with nothing around them. The minimal writes are a second floor, measured",
        "just before on the same runtime: the same four writes at their smallest (one or two",
        "clauses, tiny items). Each section below (this one, the throughput,",
        "the duplicates, the storm) runs on a fresh runtime of its own, so that none measures the",
        "ladders and deliveries the one before left running; `python -m bench.local_sections` runs",
        "any of them alone.",
        "",
        "| path | p50 ms | p99 ms | n |",
        "|---|---|---|---|",
        f"| alert → incident (HTTP answer) | {lat['alert_to_incident']['p50_ms']} | "
        f"{lat['alert_to_incident']['p99_ms']} | {lat['alert_to_incident']['n']} |",
        f"| alert → first page at the sink | {lat['alert_to_first_page']['p50_ms']} | "
        f"{lat['alert_to_first_page']['p99_ms']} | {lat['alert_to_first_page']['n']} |",
        f"| floor: the answer's own AWS calls, replayed | {own['p50_ms']} | {own['p99_ms']} | {own['n']} |",
        f"| the minimal writes of the path | {minimal['p50_ms']} | {minimal['p99_ms']} | {minimal['n']} |",
        "",
        f"Vigil's answer over the floor: p50 **{lat['overhead_ratio_p50']}×**, "
        f"p99 **{lat['overhead_ratio_p99']}×** (goals ≤ 1.5× and ≤ 2×: "
        f"{'met' if _answer_goals_met(lat, 'overhead_ratio') else 'not met'}). Over the minimal "
        f"writes: p50 {lat['minimal_writes_ratio_p50']}×, p99 {lat['minimal_writes_ratio_p99']}× (the same "
        f"goals: {'met' if _answer_goals_met(lat, 'minimal_writes_ratio') else 'not met'}).",
        "",
        "The first ratio is what the local runtime, the HTTP front door and the handler add to the",
        "calls the deployed function makes. It cannot show a call Vigil makes needlessly (the floor",
        "would hold it too): the call counts above do, and a test holds them at their floors. The",
        "second ratio adds what moto spends on Vigil's richer items and expressions (the alert as it",
        "arrived, its arrivals, the incident with its playbook and first entry) over the smallest",
        "ones: see the profile below. The replay between answers makes the sender's burst last about",
        "twice as long, and leaves one more execution per alert (doing nothing) to run after it: the",
        "first pages come later than in rounds measured without it.",
        "",
        "The floors' state machine does nothing once started; each Vigil incident starts the real",
        "ladder, whose steps (and the page they publish, and its delivery) run on the same two cores",
        "and the same moto; on AWS those run in other functions. Locally they give way to the HTTP",
        "answers: moto serves an answer's calls first, and background work (an execution's states, a",
        "function invocation, an AWS call) goes on once the requests have paused for 10 ms, or when its",
        "patience is over (30 s before an execution or invocation starts, 0.25 s before a call or a",
        "state of work under way). A sender that never pauses therefore delays the first pages (the",
        "row above), never the answers. The replay counts as an answer, so the background gives way",
        "to it alike. The ratios are a measure of this runtime, kept honest, not of the deployed",
        "stack.",
        "",
        *_throughput(lat),
        *_storm(lat),
        *_profile(),
    ]


def _throughput(lat: dict[str, Any]) -> list[str]:
    lines = [
        "Sustained ingest, 40% new, 40% duplicate, 20% resolving, by the number of concurrent senders:",
        "",
        "| senders | alerts | seconds | alerts/s |",
        "|---|---|---|---|",
    ]
    mixes = lat.get("throughput_by_senders", {"4": lat["throughput"]})
    for senders, mix in mixes.items():
        lines.append(f"| {senders} | {mix['alerts']} | {mix['seconds']} | {mix['alerts_per_second']} |")
    best = max(mix["alerts_per_second"] for mix in mixes.values())
    verdict = "met" if best >= THROUGHPUT_GOAL else f"not met (best {best} alerts/s)"
    return [
        *lines,
        "",
        f"Goal ≥ {THROUGHPUT_GOAL} alerts/s on 2 cores: {verdict}.",
        "",
        "Each sender count runs on a fresh runtime.",
        "",
        *_duplicates(lat),
    ]


DUPLICATES_GOAL = 150  # duplicate alerts per second (issue 20)


def _duplicates(lat: dict[str, Any]) -> list[str]:
    by_senders = lat.get("duplicates_by_senders")
    if not by_senders:
        return []
    lines = [
        "Duplicates alone: a few open alerts sent again and again by concurrent senders (each copy",
        "is the one UpdateItem of the alert upsert). The alerts are opened, and their first pages",
        "sent, before the timing starts: on AWS their ladders run in other functions. The floor is",
        "one two-clause UpdateItem per copy made straight against the same moto by as many threads,",
        "in the same run:",
        "",
        "| senders | duplicates | seconds | duplicates/s | floor/s | Vigil / floor |",
        "|---|---|---|---|---|---|",
    ]
    for senders, run in by_senders.items():
        vigil, least = run["vigil"], run["floor"]
        share = round(vigil["alerts_per_second"] / least["alerts_per_second"], 2)
        lines.append(
            f"| {senders} | {vigil['alerts']} | {vigil['seconds']} | {vigil['alerts_per_second']} | "
            f"{least['alerts_per_second']} | {share}× |"
        )
    best = max(run["vigil"]["alerts_per_second"] for run in by_senders.values())
    verdict = "met" if best >= DUPLICATES_GOAL else f"not met (best {best}/s)"
    return [*lines, "", f"Goal ≥ {DUPLICATES_GOAL} duplicates/s on 2 cores: {verdict}.", ""]


def _answer_goals_met(lat: dict[str, Any], ratio: str) -> bool:
    p50, p99 = lat[f"{ratio}_p50"], lat[f"{ratio}_p99"]
    return p50 is not None and p99 is not None and p50 <= 1.5 and p99 <= 2


def _storm(lat: dict[str, Any]) -> list[str]:
    storm = lat.get("storm")
    if not storm:
        return []
    return [
        f"A storm: one Alertmanager body of {storm['alerts']} alerts was answered in "
        f"**{storm['answered_seconds']} s** (goal ≤ 1 s; {storm['queued']} queued); "
        + (
            f"every alert was stored, grouped into one incident, {storm['all_stored_seconds']} s after it "
            "was sent (the storm function takes the 20 parts of 50 alerts from SQS one at a time; each "
            "alert joining the incident is about six AWS calls)."
            if storm["all_stored_seconds"]
            else "the bench did not see all of them counted on one incident within its 600 s wait "
            "(`tests/security/test_hostile_input.py` checks that a 1,000-alert body is queued whole)."
        ),
        "",
    ]


def _profile() -> list[str]:
    """Where one new-alert answer's time goes: measured with py-spy (bench/profile.md says how)."""
    profile = Path(__file__).resolve().parent / "profile.md"
    return [profile.read_text().rstrip(), ""] if profile.exists() else []


def _side_by_side(results: dict[str, Any]) -> list[str]:
    side = results["side_by_side"]
    if "skipped" in side:
        return ["## Side by side with Prometheus Alertmanager", "", side["skipped"], ""]
    am, vigil = side["alertmanager"], side["vigil"]

    def row(name: str, key: str) -> str:
        return f"| {name} | {am[key]} | {vigil[key]} |"

    return [
        "## Side by side with Prometheus Alertmanager",
        "",
        f"The same stream to both: {side['alerts']} new alerts, each repeated twice, a tenth resolved.",
        "Alertmanager 0.25 (Debian) on loopback with `group_by: [alertname]`, `group_wait: 0s`,",
        "`group_interval: 1s`, a webhook receiver to a loopback sink; Vigil through a generic",
        "integration, paging a team's webhook on the same kind of sink.",
        "",
        "| | Alertmanager | Vigil (local runtime) |",
        "|---|---|---|",
        row("events sent", "events_sent"),
        row("notifications delivered", "notifications"),
        row("resolved notifications", "resolved_notifications"),
        row("duplicates suppressed", "duplicates_suppressed"),
        f"| alert → notification p50 ms | {am['alert_to_notification']['p50_ms']} | "
        f"{vigil['alert_to_notification']['p50_ms']} |",
        f"| alert → notification p99 ms | {am['alert_to_notification']['p99_ms']} | "
        f"{vigil['alert_to_notification']['p99_ms']} |",
        row("events per second (one sender)", "events_per_second"),
        "",
        f"Ratios, Vigil to Alertmanager: p50 {side['ratio_p50_vigil_to_alertmanager']}×, events/s "
        f"{side['ratio_events_per_second_vigil_to_alertmanager']}×.",
        "",
        "Where Alertmanager wins, and why: it is one Go process holding alerts in memory; every",
        "Vigil event is a Lambda invocation whose state is durable in DynamoDB before it answers, and",
        "every page goes through SNS, SQS and a deliver function. Here all of that runs in Python on",
        "moto behind one lock, so the absolute numbers say little about AWS (where the services run in",
        "parallel); the counts (notifications, duplicates suppressed) are what carries over. Vigil does",
        "not notify resolutions by default (a resolved alert resolves its incident on the timeline), so",
        "its notification count is the pages alone.",
        "",
    ]


def _noise(results: dict[str, Any]) -> list[str]:
    noise = results["noise"]
    return [
        "## Noise reduction",
        "",
        "The 43-event Datadog capture from tests/fixtures/payloads plus a generated storm (12 services that",
        "each fail once, re-send while down, then recover), replayed through the local runtime.",
        "",
        "| alerts received | incidents opened | pages sent | pages per alert | reduction "
        "| incidents missed |",
        "|---|---|---|---|---|---|",
        f"| {noise['alerts_received']} | {noise['incidents_opened']} | {noise['pages_sent']} | "
        f"{noise['pages_per_alert']} | {noise['reduction']:.1%} | {noise['incidents_missed']} |",
        "",
        'The original spec\'s claim, "80%+ reduction in duplicate alerts", is measured as 1 − pages/alerts.',
        "",
    ]


def _replay(results: dict[str, Any]) -> list[str]:
    replay = results.get("replay")
    if not replay:
        return []
    return [
        "## Replay",
        "",
        f"{replay['alerts']:,} stored Alertmanager alerts ({replay['arrivals']:,} arrivals over a week)",
        "replayed by `POST /api/replay`'s own code (bench/replay.py): parsed again from their raw",
        "payloads, then dedup, grouping, silences, routing and every incident's ladder, under the live",
        "and a proposed configuration (which silences one service and moves the integration's service",
        "to a policy paging a schedule, then a person, each counted in their own time zone, one of them",
        "notified by her own rules: SMS at once, email 5 minutes later, until the incident stopped). The",
        "baseline is parsing the same raw payloads alone, in the same process. Reading the items from",
        "DynamoDB is in neither time. Budget (issue 19): under 10×.",
        "",
        "| alerts | parse alone | replay | ratio | incidents | pages (live) | pages (proposed) "
        "| notifications (proposed) |",
        "|---|---|---|---|---|---|---|---|",
        f"| {replay['alerts']:,} | {replay['parse_seconds']} s | {replay['replay_seconds']} s | "
        f"{replay['ratio']}× | {replay['incidents']:,} | {replay['pages_current']:,} | "
        f"{replay['pages_proposed']:,} | {replay['notifications_proposed']:,} |",
        "",
        "A ladder is simulated once per distinct value of what the policy's conditions read (severity,",
        "category, team, ...), not once per incident: without that, jinja2 evaluating the conditions",
        "made a replay about 30× the parse. A schedule's final schedule is computed once for the",
        "period and each page's on-call person found by binary search, not by `on_call_at` per page.",
        "",
    ]


def write(results: dict[str, Any], path: Path) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Produced by `make bench` (bench/), which also writes `bench/results.json`; rerun it to",
        f"reproduce. This run: Python {results['python']} on {results['machine']}, {results['cpus']} CPUs,",
        f"{results.get('seconds', '?')} s in all, {results['alerts']} alerts per latency run; load average "
        f"{results.get('load', '?')} (other work shared the machine). Counts are deterministic; times are",
        "compared with a baseline measured side by side in the same run, never asserted in tests.",
        *([results["partial"]] if "partial" in results else []),
        "",
        *_calls(results),
        *_transitions(results),
        *_cold_start(results),
        *_latency(results),
        *_side_by_side(results),
        *_noise(results),
        *_replay(results),
    ]
    path.write_text("\n".join(lines))
