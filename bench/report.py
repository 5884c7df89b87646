"""Renders bench/results.json into docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write(results: dict[str, Any], path: Path) -> None:
    sfn = results["step_functions"]
    lines = [
        "# Benchmarks",
        "",
        "Produced by `make bench` (bench/), which also writes `bench/results.json`. Counts are",
        "deterministic; times are ratios against a baseline measured in the same run.",
        "",
        "## Step Functions state transitions",
        "",
        "Counted from the execution history of the real `statemachine/escalation.asl.json` run on",
        "the local runtime. Standard workflows are billed per state transition.",
        "",
        "| ladder | transitions |",
        "|---|---|",
        "| each rung that pages and times out (Advance, Route, Page, TimedOut) "
        f"| {sfn['transitions_per_rung']} |",
        f"| end of an unanswered ladder (Advance, Route, Exhausted) | {sfn['transitions_end_of_ladder']} |",
        f"| unanswered ladder of {sfn['rungs']} rungs, whole | {sfn['transitions_unanswered_ladder']} |",
        f"| acknowledged during rung 0, whole | {sfn['transitions_acknowledged_at_rung_0']} |",
        "",
        f"States entered, unanswered: `{' → '.join(sfn['states_unanswered'])}`",
        "",
        f"States entered, acknowledged: `{' → '.join(sfn['states_acknowledged'])}`",
        "",
        f"Measured on Python {results['python']} ({results['machine']}).",
        "",
    ]
    path.write_text("\n".join(lines))
