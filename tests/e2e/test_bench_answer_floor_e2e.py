"""The bench's floor of an answer (`bench.latency`): the AWS calls the answering function made,
recorded at its clients, and replayed straight against moto without a refusal. In a process of
its own: the bench starts runtimes of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ANSWERS_AND_THEIR_REPLAY = """
import json
from bench import latency

measured = latency.answer_beside_floors(4)
shown = {name: measured[name] for name in ("last_answer_calls", "replay_refused", "pages_received")}
replayed = {"replayed": measured["own_calls_replayed"]["n"], "ratio": measured["overhead_ratio_p50"]}
print(json.dumps(shown | replayed))
"""


def test_each_answer_s_own_calls_are_recorded_and_replayed() -> None:
    root = Path(__file__).resolve().parents[2]
    own = {name: value for name, value in os.environ.items() if not name.startswith("VIGIL_")}
    command = [sys.executable, "-c", ANSWERS_AND_THEIR_REPLAY]
    run = subprocess.run(command, cwd=root, env=own, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    assert measured["last_answer_calls"] == [  # a warm instance: the floor of a new alert
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "stepfunctions:StartExecution",
        "dynamodb:UpdateItem",
    ]
    assert (measured["replayed"], measured["replay_refused"], measured["pages_received"]) == (4, 0, 4)
    assert measured["ratio"] > 0
