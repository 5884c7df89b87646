"""A loopback HTTP receiver for webhook and Slack deliveries; it can be told to misbehave."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    fail_times: int = 0  # answer 500 this many times first
    reply_body: bytes = b"ok"
    reply_headers: dict[str, str] = field(default_factory=dict)

    def __enter__(self) -> Receiver:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.requests.append(Received(self.path, dict(self.headers), body))
                if owner.delay:
                    time.sleep(owner.delay)
                status = owner.status
                if owner.fail_times > 0:
                    owner.fail_times -= 1
                    status = 500
                self.send_response(status)
                for name, value in owner.reply_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(owner.reply_body)))
                self.end_headers()
                self.wfile.write(owner.reply_body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
