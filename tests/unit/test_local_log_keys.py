"""The local runtime runs many invocations at once in one process; Powertools keeps a logger's
keys on its one formatter, so each thread must keep its own (as each Lambda environment does)."""

from __future__ import annotations

import io
import json
import logging
import threading

from aws_lambda_powertools import Logger

from local.log_keys import keep_log_keys_per_thread


def test_each_thread_logs_its_own_keys_and_the_keys_set_before_it() -> None:
    keep_log_keys_per_thread()
    stream = io.StringIO()
    logger = Logger(service="log-keys-test", logger_handler=logging.StreamHandler(stream))
    logger.append_keys(stage="local")  # outside any invocation: every thread starts with it
    both_appended = threading.Barrier(2)

    def invocation(request: str) -> None:
        logger.append_keys(request_id=request)
        both_appended.wait()  # the other thread's key is set too before either logs
        logger.info(f"from {request}")

    threads = [threading.Thread(target=invocation, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert sorted((line["message"], line["request_id"], line["stage"]) for line in lines) == [
        ("from first", "first", "local"),
        ("from second", "second", "local"),
    ]
    assert all(line["service"] == "log-keys-test" for line in lines)
