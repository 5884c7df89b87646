"""Cold start: each function module imported in a fresh interpreter, as Lambda does on a cold
start, against `import boto3` alone, measured side by side (alternating) in the same run."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = (
    "ingest",
    "alarm",
    "api",
    "page",
    "deliver_email",
    "deliver_slack",
    "deliver_webhook",
    "deliver_sms",
)
PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
INGEST_BUDGET = 1.5


def _environment() -> dict[str, str]:
    # As in Lambda: the layer and the function on the path, tracing on, nothing cached.
    return {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'layers' / 'core'}:{ROOT}",
        "PYTHONDONTWRITEBYTECODE": "0",
        "AWS_LAMBDA_FUNCTION_NAME": "vigil-bench",
        "POWERTOOLS_TRACE_DISABLED": "false",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def _seconds(module: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        capture_output=True,
        text=True,
        env=_environment(),
        cwd=ROOT,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def _top_costs(module: str, count: int = 8) -> list[dict[str, Any]]:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        env=_environment(),
        cwd=ROOT,
        check=True,
    )
    rows: list[dict[str, Any]] = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, cumulative, name = line.split(":", 1)[1].split("|")
        if len(name) - len(name.lstrip()) <= 3:  # top-level imports of the module and their children
            rows.append({"module": name.strip(), "ms": round(int(cumulative) / 1000, 1)})
    return sorted(rows, key=lambda r: -r["ms"])[1 : count + 1]


def measure(rounds: int = 7) -> dict[str, Any]:
    _seconds("boto3")  # warm the file system cache once, for every probe alike
    samples: dict[str, list[float]] = {"boto3": [], **{f: [] for f in FUNCTIONS}}
    for _ in range(rounds):
        for name in samples:
            samples[name].append(_seconds("boto3" if name == "boto3" else f"functions.{name}.app"))
    baseline = statistics.median(samples["boto3"])
    functions = {
        name: {
            "median_ms": round(statistics.median(times) * 1000, 1),
            "ratio_to_boto3": round(statistics.median(times) / baseline, 2),
        }
        for name, times in samples.items()
        if name != "boto3"
    }
    return {
        "rounds": rounds,
        "boto3_median_ms": round(baseline * 1000, 1),
        "functions": functions,
        "ingest_budget_ratio": INGEST_BUDGET,
        "ingest_within_budget": functions["ingest"]["ratio_to_boto3"] <= INGEST_BUDGET,
        "ingest_top_imports": _top_costs("functions.ingest.app"),
    }
