"""What a warm function remembers between invocations so that the hot paths read nothing:
configuration, verified credentials. Each value is kept for a bounded time; a save in this
function forgets it at once, other warm functions load it again within their bound."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_forgetters: list[Callable[[], None]] = []


def also_forget(forget: Callable[[], None]) -> None:
    """A cache kept its own way, forgotten with the others as a fresh instance starts."""
    _forgetters.append(forget)


class Remembered(Generic[K, V]):
    """Values by key, each loaded on first use and kept for `seconds`; `load` may answer None
    for "nothing to remember" (an unknown key is asked again next time)."""

    def __init__(self, load: Callable[[K], V | None], seconds: float) -> None:
        self._load = load
        self.seconds = seconds
        self._kept: dict[K, tuple[float, V]] = {}
        also_forget(self.forget)

    def get(self, key: K) -> V | None:
        kept = self._kept.get(key)
        if kept is not None and time.monotonic() - kept[0] < self.seconds:
            return kept[1]
        value = self._load(key)
        if value is not None:
            self._kept[key] = (time.monotonic(), value)
        return value

    def forget(self) -> None:
        self._kept.clear()


def forget_everything() -> None:
    """As a fresh instance starts (the call-count tests measure both)."""
    for forget in _forgetters:
        forget()
