"""One SQS batch of the webhook queue through the real deliver function: a receiver that
trickles its answer does not hold back the page of another record in the same batch."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.helpers.client import ApiClient

EVENTS = Path(__file__).resolve().parents[2] / "events"
TRICKLED_BYTES = 40  # one every 0.1 s: 4 s, inside the 8 s deadline, if nothing else arrives


@contextmanager
def _server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def _record(template: dict[str, Any], incident: dict[str, Any], url: str) -> dict[str, Any]:
    message = json.loads(template["body"]) | {
        "delivery_id": f"dlv_batch_{uuid.uuid4().hex[:8]}",
        "destinations": [url],
        "incident": incident,
    }
    return template | {"messageId": str(uuid.uuid4()), "body": json.dumps(message)}


def test_a_slow_receiver_does_not_delay_the_next_record_of_its_batch(stack: Any, api: ApiClient) -> None:
    fast_arrived = threading.Event()
    seen_while_trickling: list[bool] = []

    class Trickling(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", str(TRICKLED_BYTES))
            self.end_headers()
            for _ in range(TRICKLED_BYTES - 1):
                self.wfile.write(b".")
                self.wfile.flush()
                fast_arrived.wait(0.1)  # trickles until the other page has come, then hurries
            # Asked before the last byte, without which this delivery cannot have ended.
            seen_while_trickling.append(fast_arrived.is_set())
            self.wfile.write(b".")

        def log_message(self, *args: Any) -> None:
            pass

    class Fast(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fast_arrived.set()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    created = api.post("/api/incident_response", {"title": "two teams paged", "severity": "low"})
    assert created.status == 201, created.body
    template = json.loads((EVENTS / "deliver_webhook.json").read_text())["Records"][0]
    with _server(Trickling) as slow_url, _server(Fast) as fast_url:
        slow, fast = (_record(template, created.body, url) for url in (slow_url, fast_url))
        result = stack.invoke("DeliverWebhookFunction", {"Records": [slow, fast]})

    assert result == {"batchItemFailures": []}
    assert seen_while_trickling == [True]  # the second record's page came while the first was held
