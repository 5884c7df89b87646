"""Cold start: each function module imported in a fresh interpreter, as Lambda does on a cold
start, against `import boto3` alone, measured side by side (alternating) in the same run.
Each is also measured with its first DynamoDB client made after the import (against boto3's),
which every first invocation makes: what a function defers to its first AWS call shows there.
`python -m bench.cold_start` measures this section alone and prints it."""

from __future__ import annotations

import glob
import json
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
    "storm",
    "heartbeats",
    "handoffs",
)
PROBE = "import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
FIRST_CLIENT = {
    "boto3": "import boto3; boto3.client('dynamodb')",
    "function": "import {module}; from vigil.adapters.aws import client; client('dynamodb')",
}
INGEST_BUDGET = 1.5
OTHERS_BUDGET = 2.0


def _environment() -> dict[str, str]:
    # As in Lambda: the layer and the function on the path, tracing on, nothing cached.
    return {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'layers' / 'core'}:{ROOT}",
        "PYTHONDONTWRITEBYTECODE": "0",
        "AWS_LAMBDA_FUNCTION_NAME": "vigil-bench",
        "LAMBDA_TASK_ROOT": str(ROOT),
        "POWERTOOLS_TRACE_DISABLED": "false",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def _seconds(statement: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(statement=statement)],
        capture_output=True,
        text=True,
        env=_environment(),
        cwd=ROOT,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def _importtime(statement: str) -> list[tuple[str, int]]:
    """(module, self microseconds) of every module `statement` imports, from -X importtime."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        env=_environment(),
        cwd=ROOT,
        check=True,
    )
    rows = []
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            own, _, name = line.split(":", 1)[1].split("|")
            rows.append((name.strip(), int(own)))
    return rows


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "vigil" else parts[0]


def _top_costs(module: str, count: int = 6) -> list[dict[str, Any]]:
    """Where a function's import goes: its modules' own (self) time summed per package (per
    subpackage of vigil), leaving out what the interpreter imports before any statement."""
    startup = {name for name, _ in _importtime("pass")}
    totals: dict[str, int] = {}
    for name, own in _importtime(f"import {module}"):
        if name not in startup:
            totals[_package(name)] = totals.get(_package(name), 0) + own
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:count]
    return [{"module": package, "ms": round(micros / 1000, 1)} for package, micros in ranked]


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
        [python313(), "-S", "-c", PROBE.format(statement=f"import {module}")],
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


def _statements(name: str) -> tuple[str, str]:
    """The import alone, and the import followed by a first DynamoDB client."""
    if name == "boto3":
        return "import boto3", FIRST_CLIENT["boto3"]
    module = f"functions.{name}.app"
    return f"import {module}", FIRST_CLIENT["function"].format(module=module)


def _ratios(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    baseline = statistics.median(samples["boto3"])
    return {
        name: {
            "median_ms": round(statistics.median(times) * 1000, 1),
            "ratio_to_boto3": round(statistics.median(times) / baseline, 2),
        }
        for name, times in samples.items()
        if name != "boto3"
    }


def measure(rounds: int = 7) -> dict[str, Any]:
    _seconds("import boto3")  # warm the file system cache once, for every probe alike
    names = ("boto3", *FUNCTIONS)
    imports: dict[str, list[float]] = {name: [] for name in names}
    first_client: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds):
        for name in names:
            alone, with_client = _statements(name)
            imports[name].append(_seconds(alone))
            first_client[name].append(_seconds(with_client))
    functions = _ratios(imports)
    for name, measured in _ratios(first_client).items():
        functions[name]["first_client_ms"] = measured["median_ms"]
        functions[name]["first_client_ratio"] = measured["ratio_to_boto3"]
    return {
        "rounds": rounds,
        "boto3_median_ms": round(statistics.median(imports["boto3"]) * 1000, 1),
        "boto3_first_client_ms": round(statistics.median(first_client["boto3"]) * 1000, 1),
        "functions": functions,
        "ingest_budget_ratio": INGEST_BUDGET,
        "others_budget_ratio": OTHERS_BUDGET,
        "ingest_within_budget": functions["ingest"]["ratio_to_boto3"] <= INGEST_BUDGET,
        "others_within_budget": all(
            f["ratio_to_boto3"] <= OTHERS_BUDGET for name, f in functions.items() if name != "ingest"
        ),
        "load_average": round(os.getloadavg()[0], 1),
        "top_imports": {name: _top_costs(f"functions.{name}.app") for name in FUNCTIONS},
        "bytecode_ms": bytecode(),
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
