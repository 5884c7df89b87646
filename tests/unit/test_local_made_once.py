"""The local runtime's once-only cache: a burst of executions starting together parses the
state machine's definition once, not once per execution that found it not parsed yet."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from local.moto_speed import _made_once


def test_concurrent_first_calls_make_it_once_and_all_get_it() -> None:
    made: list[str] = []
    lock = threading.Lock()

    def parse(definition: str) -> tuple[str]:
        time.sleep(0.05)  # long enough for every caller to arrive while it is being made
        with lock:
            made.append(definition)
        return (definition,)

    parsed = _made_once(parse)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(parsed, ["ladder"] * 8 + ["other"] * 8))
    assert sorted(made) == ["ladder", "other"]
    assert {id(answer) for answer in answers[:8]} == {id(answers[0])}
    assert answers[8] == ("other",)
