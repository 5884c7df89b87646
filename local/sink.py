"""A stand-in receiver at /_local/sink/{name}: a webhook or Slack target that the examples in
the docs can point at without running a server of their own. `PUT` sets the status it answers
(e.g. 410 to watch a fallback), `POST` is a delivery, `GET` shows what it received."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

MAX_KEPT = 100


@dataclass
class Sink:
    statuses: dict[str, int] = field(default_factory=dict)
    received: dict[str, list[Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, method: str, name: str, body: bytes) -> tuple[int, Any]:
        with self.lock:
            if method == "POST":
                return self._deliver(name, body)
            if method == "PUT":
                return self._configure(name, body)
            if method == "GET":
                return 200, self._state(name)
        return 405, {"message": f"{method} is not supported by the sink"}

    def _deliver(self, name: str, body: bytes) -> tuple[int, Any]:
        kept = self.received.setdefault(name, [])
        kept.append(_decoded(body))
        del kept[:-MAX_KEPT]
        status = self.statuses.get(name, 200)
        return status, {"received": len(kept), "status": status}

    def _configure(self, name: str, body: bytes) -> tuple[int, Any]:
        request = _decoded(body)
        status = request.get("status") if isinstance(request, dict) else None
        if not isinstance(status, int) or not 200 <= status <= 599:
            return 400, {"message": 'body must be {"status": <an HTTP status from 200 to 599>}'}
        self.statuses[name] = status
        return 200, self._state(name)

    def _state(self, name: str) -> dict[str, Any]:
        return {"name": name, "status": self.statuses.get(name, 200), "requests": self.received.get(name, [])}


def _decoded(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")
