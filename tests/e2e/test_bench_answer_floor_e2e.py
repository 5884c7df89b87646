"""The bench's floor of an answer (`bench.latency`): the AWS calls the answering function made,
recorded at its clients, and replayed straight against moto without a refusal. In a process of
its own: the bench starts runtimes of its own."""

from __future__ import annotations

from tests.helpers.alone import last_line_of

ANSWERS_AND_THEIR_REPLAY = """
import json
from bench import latency

measured = latency.answer_beside_floors(4)
shown = {name: measured[name] for name in ("last_answer_calls", "replay_refused", "pages_received")}
replayed = {"replayed": measured["own_calls_replayed"]["n"], "ratio": measured["overhead_ratio_p50"]}
print(json.dumps(shown | replayed))
"""


def test_each_answer_s_own_calls_are_recorded_and_replayed() -> None:
    measured = last_line_of(ANSWERS_AND_THEIR_REPLAY, timeout=300)
    assert measured["last_answer_calls"] == [  # a warm instance: the floor of a new alert
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "stepfunctions:StartExecution",
        "dynamodb:UpdateItem",
    ]
    assert (measured["replayed"], measured["replay_refused"], measured["pages_received"]) == (4, 0, 4)
    assert measured["ratio"] > 0
