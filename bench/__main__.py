"""`make bench`: every benchmark, bench/results.json and the tables of docs/benchmarks.md.
Exits 1 when a budget of docs/design.md (performance budgets) is exceeded."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import local  # noqa: F401  (puts the core layer on the path)
from bench import alertmanager, calls, cold_start, latency, noise, replay, report, transitions
from local.runtime import start_runtime
from local.settings import apply_local_settings
from local.stack import LocalStack

ROOT = Path(__file__).resolve().parent.parent
ALERTS = int(os.environ.get("VIGIL_BENCH_ALERTS", "1000"))


def main() -> int:
    started = time.monotonic()
    results: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "alerts": ALERTS,
    }
    load_at_start = _load()
    results["cold_start"] = cold_start.measure()
    results["replay"] = replay.measure()
    apply_local_settings()
    with LocalStack() as stack:
        results["aws_calls"] = calls.measure(stack)
        results["step_functions"] = transitions.measure(stack)
    results["latency"] = latency.measure(ALERTS)  # throughput on half as many
    runtime = start_runtime("127.0.0.1", 0)
    try:
        results["side_by_side"] = alertmanager.measure(runtime, max(100, ALERTS // 3))
        results["noise"] = noise.measure(runtime)
    finally:
        runtime.close()
    results["seconds"] = round(time.monotonic() - started, 1)
    results["load"] = f"{load_at_start} at the start, {_load()} at the end"
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    report.write(results, ROOT / "docs" / "benchmarks.md")
    ok = (
        results["aws_calls"]["within_budgets"]
        and results["cold_start"]["ingest_within_budget"]
        and results["cold_start"]["others_within_budget"]
        and results["replay"]["within_budget"]
    )
    print(f"bench done in {results['seconds']} s; budgets {'held' if ok else 'EXCEEDED'}", file=sys.stderr)
    return 0 if ok else 1


def _load() -> str:
    """The 1-minute load average (other agents share this machine)."""
    return f"{os.getloadavg()[0]:.1f}"


if __name__ == "__main__":
    sys.exit(main())
