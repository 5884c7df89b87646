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


def _built_layer(target: Path, *, bytecode: bool) -> Path:
    """The layer as `sam build` makes it (layers/core/Makefile), for this machine: the pinned
    dependencies as installed here and the vigil package, compiled or not."""
    import compileall
    import py_compile
    import shutil
    from importlib.metadata import distribution

    shutil.rmtree(target, ignore_errors=True)
    python = target / "python"
    requirements = (ROOT / "layers" / "core" / "requirements.txt").read_text().split()
    for name in (line.split("==")[0] for line in requirements if "==" in line):
        dist = distribution(name)
        for file in dist.files or []:
            source = Path(str(dist.locate_file(file)))
            if source.suffix != ".pyc" and source.is_file() and ".." not in file.parts:
                (python / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, python / file)
    shutil.copytree(
        ROOT / "layers" / "core" / "vigil", python / "vigil", ignore=shutil.ignore_patterns("*.pyc")
    )
    if bytecode:
        mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
        compileall.compile_dir(python, quiet=1, invalidation_mode=mode)
    return python


def _layer_seconds(layer: Path, module: str) -> float:
    """A cold import from the built layer alone, on a read-only code directory as in Lambda
    (no bytecode is written, so a layer without it compiles again every time)."""
    environment = {**_environment(), "PYTHONPATH": f"{layer}:{ROOT}", "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run(
        [sys.executable, "-S", "-c", PROBE.format(module=module)],
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
        layers = {
            "without bytecode": _built_layer(Path(scratch) / "plain", bytecode=False),
            "with bytecode": _built_layer(Path(scratch) / "compiled", bytecode=True),
        }
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
