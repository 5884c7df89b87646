"""Cold start: each function module imported in a fresh interpreter, as Lambda does on a cold
start, against `import boto3` alone, measured side by side (alternating) in the same run."""

from __future__ import annotations

import glob
import os
import platform
import shutil
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
    "ladder_step",
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


def python313() -> str:
    """The Python the layer's bytecode is compiled by and for (Lambda's runtime), found as
    layers/core/Makefile finds it (a pyenv shim may name a version that is not selected)."""
    candidates = [
        shutil.which("python3.13"),
        *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python"))),
    ]
    for candidate in filter(None, candidates):
        found = subprocess.run(
            [candidate, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True
        )
        if found.returncode == 0:
            return found.stdout.strip()
    raise RuntimeError("the layer's bytecode needs python3.13 (Lambda's runtime)")


def build_layer(target: Path) -> Path:
    """The core layer as `sam build` builds it (layers/core/Makefile: the pinned dependencies,
    vigil, unchecked-hash bytecode), for this machine's platform instead of Lambda's arm64 so
    that it can be imported here; its python/ directory."""
    machine = platform.machine()
    subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(ROOT / "layers" / "core"),
            "build-CoreLayer",
            f"ARTIFACTS_DIR={target}",
            f"PLATFORMS=manylinux2014_{machine} manylinux_2_28_{machine}",
        ],
        check=True,
        capture_output=True,
    )
    return target / "python"


def _layer_seconds(layer: Path, module: str) -> float:
    """A cold import from the built layer alone, on a read-only code directory as in Lambda
    (no bytecode is written, so a layer without it compiles again every time)."""
    environment = {**_environment(), "PYTHONPATH": f"{layer}:{ROOT}", "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run(
        [python313(), "-S", "-c", PROBE.format(module=module)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def bytecode(rounds: int = 3) -> dict[str, Any]:
    """`import boto3` and the ingest function from the built layer, with and without bytecode,
    alternating."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        compiled = build_layer(Path(scratch) / "compiled")
        plain = Path(scratch) / "plain" / "python"
        shutil.copytree(compiled, plain, ignore=shutil.ignore_patterns("__pycache__"))
        layers = {"without bytecode": plain, "with bytecode": compiled}
        samples: dict[str, list[float]] = {}
        for _ in range(rounds):
            for label, layer in layers.items():
                for module in ("boto3", "functions.ingest.app", "functions.api.app"):
                    samples.setdefault(f"{module} {label}", []).append(_layer_seconds(layer, module))
    return {name: round(statistics.median(times) * 1000, 1) for name, times in samples.items()}


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
        "bytecode_ms": bytecode(),
    }
