"""The local runtime's latency, throughput, duplicates and storm sections alone, to measure a
change to the runtime before and after without the whole of `make bench`; prints JSON, and
writes it to the file named first. Sections named after it run alone, each on a fresh runtime:
`python -m bench.local_sections out.json duplicates` measures duplicates alone (1, 4 and 16
senders, each beside its floor); `latency`, `throughput` and `storm` likewise."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import local  # noqa: F401  (puts the core layer on the path)
from bench import latency

ALERTS = int(os.environ.get("VIGIL_BENCH_ALERTS", "100"))
STORM_WAIT = float(os.environ.get("VIGIL_BENCH_STORM_WAIT", "600"))


SECTIONS: dict[str, Callable[[], Any]] = {  # each on a fresh runtime of its own
    "latency": lambda: latency.answer_beside_floors(ALERTS),
    "throughput": lambda: latency.throughput_by_senders(max(100, ALERTS)),
    "duplicates": lambda: latency.on_a_fresh_runtime(
        lambda runtime: latency.duplicates_by_senders(runtime, max(200, ALERTS))
    ),
    "storm": lambda: latency.on_a_fresh_runtime(lambda runtime: latency.storm(runtime, wait=STORM_WAIT)),
}


def main() -> int:
    chosen = sys.argv[2:]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        print(f"unknown sections {unknown}; choose from {sorted(SECTIONS)}", file=sys.stderr)
        return 2
    if chosen:
        results: dict[str, Any] = {name: SECTIONS[name]() for name in chosen}
    else:
        results = latency.measure(ALERTS, storm_wait=STORM_WAIT)
    results["load_average"] = round(os.getloadavg()[0], 1)
    text = json.dumps(results, indent=2)
    if len(sys.argv) > 1:  # the handlers log to stdout
        Path(sys.argv[1]).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
