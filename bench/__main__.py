"""`make bench`: run every benchmark, write bench/results.json and docs/benchmarks.md."""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path
from typing import Any

import local  # noqa: F401  (puts the core layer on the path)
from bench import report, transitions
from local.stack import LocalStack

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    results: dict[str, Any] = {"python": platform.python_version(), "machine": platform.machine()}
    with LocalStack() as stack:
        results["step_functions"] = transitions.measure(stack)
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    report.write(results, ROOT / "docs" / "benchmarks.md")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
