"""Powertools keeps a logger's keys (the invocation's request id and correlation id, and the keys
a handler appends) on the logger's one formatter. A Lambda environment runs one event at a
time; the local runtime runs many at once, in threads of one process, so one invocation's keys
showed in another's log lines. Here each thread keeps its own copy of each formatter's keys,
starting from the keys the formatter had outside any invocation."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

Keys = dict[str, Any]

# This thread's keys of each formatter (by id): threads start with an empty context.
_this_thread: ContextVar[dict[int, Keys] | None] = ContextVar("vigil_local_log_keys", default=None)
_installed = False


def keep_log_keys_per_thread() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    first_keys: dict[int, Keys] = {}  # each formatter's keys as the thread that made it set them

    def keys_of(formatter: Any) -> Keys:
        own, name = _this_thread_s_keys(), id(formatter)
        if name not in own:  # a formatter made before this patch keeps its keys in its __dict__
            own[name] = dict(first_keys.setdefault(name, formatter.__dict__.get("log_format", {})))
        return own[name]

    def set_keys(formatter: Any, keys: Keys) -> None:
        first_keys.setdefault(id(formatter), keys)
        _this_thread_s_keys()[id(formatter)] = keys

    formatter: Any = LambdaPowertoolsFormatter
    formatter.log_format = property(keys_of, set_keys)


def _this_thread_s_keys() -> dict[int, Keys]:
    own = _this_thread.get()
    if own is None:
        own = {}
        _this_thread.set(own)
    return own
