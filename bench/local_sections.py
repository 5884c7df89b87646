"""The local runtime's latency, throughput and storm sections alone, to measure a change to the
runtime before and after without the whole of `make bench`; prints JSON, and writes it to the
file named first. `python -m bench.local_sections out.json storm` measures the storm alone."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import local  # noqa: F401  (puts the core layer on the path)
from bench import latency
from local.runtime import start_runtime

ALERTS = int(os.environ.get("VIGIL_BENCH_ALERTS", "100"))
STORM_WAIT = float(os.environ.get("VIGIL_BENCH_STORM_WAIT", "600"))


def main() -> int:
    runtime = start_runtime("127.0.0.1", 0)
    try:
        if "storm" in sys.argv[2:]:  # the storm alone, on a fresh runtime
            results = latency.storm(runtime, wait=STORM_WAIT)
        else:
            results = latency.measure(runtime, ALERTS, storm_wait=STORM_WAIT)
    finally:
        runtime.close()
    results["load_average"] = round(os.getloadavg()[0], 1)
    text = json.dumps(results, indent=2)
    if len(sys.argv) > 1:  # the handlers log to stdout
        Path(sys.argv[1]).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
