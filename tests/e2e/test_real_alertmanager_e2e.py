"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager, installed by `make test`)
sends to the local runtime through a webhook receiver that carries the integration token as
`Authorization: Bearer` (issue 16). Alerts are pushed to Alertmanager's own API: fire, repeat,
resolve → one incident, one page, resolved, nothing paged after."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from vigil.config import settings

from tests.helpers.client import ApiClient, wait_for
from tests.helpers.receiver import Receiver

pytestmark = pytest.mark.usefixtures("fresh_policy")

BINARY = "prometheus-alertmanager"
# Short intervals so that a repeat and a resolve both arrive within seconds.
GROUP_WAIT, GROUP_INTERVAL, REPEAT_INTERVAL = "1s", "2s", "3s"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def alertmanager(api: ApiClient, tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Alertmanager's URL, and the integration its receiver sends to."""
    if shutil.which(BINARY) is None:
        reason = f"{BINARY} is not installed and `make test` could not install it (no apt)"
        print(reason)
        pytest.skip(reason)
    integration = api.integration("alertmanager")
    token_file = tmp_path / "vigil-token"
    token_file.write_text(integration["token"])
    config = {
        "route": {
            "receiver": "vigil",
            "group_by": ["alertname"],
            "group_wait": GROUP_WAIT,
            "group_interval": GROUP_INTERVAL,
            "repeat_interval": REPEAT_INTERVAL,
        },
        "receivers": [
            {
                "name": "vigil",
                "webhook_configs": [
                    {
                        "url": f"{api.base}/api/hooks",
                        "send_resolved": True,
                        "http_config": {
                            "authorization": {"type": "Bearer", "credentials_file": str(token_file)}
                        },
                    }
                ],
            }
        ],
    }
    (tmp_path / "alertmanager.yml").write_text(json.dumps(config))  # JSON is YAML
    port = _free_port()
    process = subprocess.Popen(
        [
            BINARY,
            f"--config.file={tmp_path / 'alertmanager.yml'}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "alertmanager.log").open("w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(url), timeout=20, interval=0.2)
        yield url, integration
    finally:
        process.terminate()
        process.wait(timeout=10)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _push(url: str, alertname: str, *, ends_at: datetime) -> None:
    """What Prometheus does: POST the alert to Alertmanager's API (endsAt in the past resolves)."""
    alert = {
        "labels": {"alertname": alertname, "severity": "critical", "instance": "db-1"},
        "annotations": {"summary": f"{alertname} on db-1", "runbook_url": "https://runbooks.example.com/db"},
        "startsAt": _stamp(datetime.now(UTC) - timedelta(seconds=30)),
        "endsAt": _stamp(ends_at),
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
    }
    request = urllib.request.Request(
        f"{url}/api/v2/alerts",
        data=json.dumps([alert]).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _incidents(api: ApiClient, alertname: str) -> list[dict[str, Any]]:
    return list(api.get(f"/api/incident_response?text={quote(alertname)}&limit=100").body["items"])


def _pages(api: ApiClient, incident_id: str) -> list[dict[str, Any]]:
    return [e for e in api.incident(incident_id)["timeline"] if e["kind"] in ("page", "page_failed")]


def _ladder_status(incident_id: str) -> str:
    machine = settings().state_machine_arn.replace(":stateMachine:", ":execution:")
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    return str(sfn.describe_execution(executionArn=f"{machine}:{incident_id}")["status"])


def test_real_alertmanager_fire_repeat_resolve_is_one_incident_one_page(
    api: ApiClient, receiver: Receiver, alertmanager: tuple[str, dict[str, Any]]
) -> None:
    url, integration = alertmanager
    policy = {
        "rules": [{"escalation_level": 1, "escalate_to": "am_seniors", "escalate_after_seconds": 60}],
        "repeat": 0,
        "repeat_after_seconds": 60,
        "fallback_target": "am_seniors",
    }
    assert api.put("/api/incident_response/escalation-rules", policy).status == 200
    for team in ("emergency_team", "am_seniors"):
        assert api.put(f"/api/teams/{team}", {"webhook_url": f"{receiver.url}/{team}"}).status == 200
    alertname = f"RealAm{uuid.uuid4().hex[:8]}"

    _push(url, alertname, ends_at=datetime.now(UTC) + timedelta(minutes=5))
    [incident] = wait_for(lambda: _incidents(api, alertname), timeout=20)
    incident_id = incident["incident_id"]
    [alert] = wait_for(lambda: api.incident(incident_id)["alerts"])
    assert alert["source"] == "alertmanager"
    assert (
        api.get(f"/api/alerting/{alert['alert_id']}").body["integration_id"] == integration["integration_id"]
    )
    # Alertmanager repeats the firing notification every repeat_interval: each is a duplicate.
    wait_for(lambda: api.get(f"/api/alerting/{alert['alert_id']}").body["occurrences"] >= 2, timeout=20)
    wait_for(lambda: _pages(api, incident_id))

    _push(url, alertname, ends_at=datetime.now(UTC) - timedelta(seconds=1))
    wait_for(lambda: api.incident(incident_id)["status"] == "resolved", timeout=20)
    wait_for(lambda: _ladder_status(incident_id) != "RUNNING")
    assert _ladder_status(incident_id) == "SUCCEEDED"
    time.sleep(3 * 2)  # a few more group intervals: whatever Alertmanager still sends changes nothing

    assert [i["incident_id"] for i in _incidents(api, alertname)] == [incident_id]
    assert len(_pages(api, incident_id)) == 1  # emergency_team, once; nobody after the resolve
    stored = api.get(f"/api/alerting/{alert['alert_id']}").body
    assert stored["status"] == "resolved"
    assert api.incident(incident_id)["status"] == "resolved"
