"""Side by side with Prometheus Alertmanager (Debian's prometheus-alertmanager, started here on
loopback): the same alert stream to both, notifications to the same kind of loopback sink."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.latency import percentiles, post, webhook_integration
from bench.sink import Sink
from local.runtime import Runtime

BINARY = "prometheus-alertmanager"
CONFIG = """route:
  receiver: sink
  group_by: ['alertname']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 24h
receivers:
  - name: sink
    webhook_configs:
      - url: {url}
        send_resolved: true
"""


def available() -> bool:
    return shutil.which(BINARY) is not None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Alertmanager:
    def __init__(self, sink_url: str) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="vigil-bench-am-"))
        (self.folder / "am.yml").write_text(CONFIG.format(url=sink_url))
        self.port = _free_port()

    def __enter__(self) -> Alertmanager:
        self.process = subprocess.Popen(
            [
                BINARY,
                f"--config.file={self.folder / 'am.yml'}",
                f"--storage.path={self.folder}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("alertmanager did not start")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)

    def send(self, name: str, resolved: bool = False) -> None:
        now = datetime.now(UTC).isoformat()
        alert: dict[str, Any] = {"labels": {"alertname": name, "severity": "critical"}, "startsAt": now}
        if resolved:
            alert["endsAt"] = now
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v2/alerts",
            method="POST",
            data=json.dumps([alert]).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).close()


def _stream(count: int) -> list[tuple[str, str]]:
    """New alerts, then each repeated twice (duplicates), then a tenth resolved."""
    names = [f"bench-side-{n}" for n in range(count)]
    return (
        [("fire", n) for n in names]
        + [("fire", n) for n in names] * 2
        + [("resolve", n) for n in names[: count // 10]]
    )


def _run(send: Any, sink: Sink, count: int) -> dict[str, Any]:
    stream = _stream(count)
    sent_at: dict[str, float] = {}
    started = time.perf_counter()
    for kind, name in stream:
        if kind == "fire":
            sent_at.setdefault(name, time.perf_counter())
        send(name, kind == "resolve")
    elapsed = time.perf_counter() - started
    sink.wait_for(count, timeout=60)
    time.sleep(2.5)  # resolved notifications and any late duplicates
    latency = [arrival - t for n, t in sent_at.items() if (arrival := sink.first_arrival(n)) is not None]
    fired = sum(1 for k, _ in stream if k == "fire")
    resolved = sum(1 for body in sink.bodies if body.get("status") == "resolved")
    return {
        "events_sent": len(stream),
        "notifications": len(sink.bodies),
        "resolved_notifications": resolved,
        "duplicates_suppressed": fired - (len(sink.bodies) - resolved),
        "alert_to_notification": percentiles(latency),
        "events_per_second": round(len(stream) / elapsed, 1),
    }


def measure(runtime: Runtime, count: int = 300) -> dict[str, Any]:
    if not available():
        return {"skipped": f"{BINARY} is not installed (make bench installs it with apt-get)"}
    with Sink() as am_sink, Alertmanager(am_sink.url) as am:
        alertmanager = _run(am.send, am_sink, count)
    with Sink() as vigil_sink:
        hook = webhook_integration(runtime, vigil_sink)

        def send(name: str, resolved: bool) -> None:
            post(
                hook,
                {
                    "title": name,
                    "dedup_key": name,
                    "severity": "high",
                    "status": "resolved" if resolved else "firing",
                },
            )

        vigil = _run(send, vigil_sink, count)
    return {
        "alerts": count,
        "alertmanager": alertmanager,
        "vigil": vigil,
        "ratio_p50_vigil_to_alertmanager": _ratio(vigil, alertmanager, "p50_ms"),
        "ratio_events_per_second_vigil_to_alertmanager": round(
            vigil["events_per_second"] / alertmanager["events_per_second"], 2
        ),
    }


def _ratio(a: dict[str, Any], b: dict[str, Any], key: str) -> float | None:
    denominator = b["alert_to_notification"][key]
    return round(a["alert_to_notification"][key] / denominator, 2) if denominator else None
