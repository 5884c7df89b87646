"""A loopback webhook sink that records when each notification arrived."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Sink:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.bodies: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def __enter__(self) -> Sink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived = time.perf_counter()
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                sink.record(body, arrived)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/sink"

    def record(self, body: dict[str, Any], arrived: float) -> None:
        with self._lock:
            self.bodies.append(body)
            for title in _titles(body):
                self.arrivals.setdefault(title, arrived)

    def first_arrival(self, title: str) -> float | None:
        return self.arrivals.get(title)

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.arrivals) < count and time.monotonic() < deadline:
            time.sleep(0.05)


def _titles(body: dict[str, Any]) -> list[str]:
    """A Vigil webhook names one incident; an Alertmanager one lists its alerts."""
    if "incident" in body:
        return [str(body["incident"].get("title"))]
    return [str(a.get("labels", {}).get("alertname")) for a in body.get("alerts", [])]
