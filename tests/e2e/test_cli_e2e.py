"""The `vigil` command line, run as a subprocess against the local runtime: every command,
table and --json output, and the exit codes scripts rely on (0 ok, 1 refused, 2 usage)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.client import ApiClient

CLI = [sys.executable, "-c", "from vigil_cli.main import run; run()"]


@pytest.fixture
def cli(runtime: Any, tmp_path: Path) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env |= {"VIGIL_URL": runtime.url, "VIGIL_API_KEY": runtime.api_key, "XDG_CONFIG_HOME": str(tmp_path)}

    def run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, *args],
            env=env | (env_extra or {}),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return run


def ok_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_alert_send_opens_an_incident_that_the_incident_commands_work(cli: Any, api: ApiClient) -> None:
    sent = ok_json(cli("--json", "alert", "send", "--title", "cli: queue backed up", "--severity", "high",
                       "--label", "queue=orders", "--label", "env=prod"))  # fmt: skip
    assert sent["action"] == "opened"
    incident_id = sent["incident_id"]
    table = cli("incidents", "list", "--limit", "50")
    assert table.returncode == 0 and incident_id in table.stdout and "cli: queue backed up" in table.stdout
    assert ok_json(cli("--json", "incidents", "show", incident_id))["labels"] == {
        "queue": "orders",
        "env": "prod",
    }
    assert cli("incidents", "note", incident_id, "looking at the consumer").returncode == 0
    assert cli("incidents", "escalate", incident_id, "--reason", "primary asleep").returncode == 0
    assert cli("incidents", "reassign", incident_id, "platform_team").returncode == 0
    assert ok_json(cli("--json", "incidents", "ack", incident_id))["status"] == "acknowledged"
    assert ok_json(cli("--json", "incidents", "resolve", incident_id))["status"] == "resolved"
    assert cli("incidents", "close", incident_id).returncode == 0
    incident = api.incident(incident_id)
    assert incident["status"] == "closed" and incident["assigned_team"] == "platform_team"
    kinds = {e["kind"] for e in incident["timeline"]}
    assert {"note", "status", "assignment", "escalation"} <= kinds, kinds
    statuses = [e["data"].get("to") for e in incident["timeline"] if e["kind"] == "status"]
    assert statuses[-3:] == ["acknowledged", "resolved", "closed"], incident["timeline"]
    shown = cli("incidents", "show", incident_id)
    assert "looking at the consumer" in shown.stdout


def test_alert_send_from_a_file_sends_each_alert(cli: Any, tmp_path: Path) -> None:
    alerts = [{"title": f"cli bulk {n}", "severity": "low", "source": "cli-bulk"} for n in range(3)]
    alerts.append({"title": "", "severity": "huge"})
    path = tmp_path / "alerts.json"
    path.write_text(json.dumps(alerts))
    results = ok_json(cli("--json", "alert", "send", "-f", str(path)))
    assert [r["ok"] for r in results] == [True, True, True, False]


def test_integrations_and_keys(cli: Any, api: ApiClient) -> None:
    created = ok_json(cli("--json", "integrations", "create", "cli grafana", "--kind", "grafana"))
    assert created["token"].startswith("vgi_") and created["url"].endswith(created["token"])
    listed = cli("integrations", "list")
    assert created["integration_id"] in listed.stdout
    rotated = ok_json(
        cli("--json", "integrations", "rotate", created["integration_id"], "--grace-seconds", "0")
    )
    assert rotated["token"] != created["token"]
    key = ok_json(cli("--json", "keys", "create", "cli robot"))
    assert key["secret"].startswith("vgk_")
    assert key["key_id"] in cli("keys", "list").stdout
    assert cli("keys", "revoke", key["key_id"]).returncode == 0
    refused = cli("incidents", "list", env_extra={"VIGIL_API_KEY": key["secret"]})
    assert refused.returncode == 1 and "401" in refused.stderr


def test_tail_prints_new_incidents_and_timeline_entries(runtime: Any, api: ApiClient) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env |= {"VIGIL_URL": runtime.url, "VIGIL_API_KEY": runtime.api_key}
    command = [*CLI, "--json", "tail", "--interval", "0.3", "--count", "2"]
    tail = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert tail.stderr is not None and "following" in tail.stderr.readline()  # its snapshot is taken
        sent = api.post("/api/alerting/send", {"title": "cli tail", "severity": "high", "source": "t"}).body
        output, _ = tail.communicate(timeout=60)
    finally:
        tail.kill()
    events = [json.loads(line) for line in output.splitlines()]
    assert events[0]["event"] == "incident" and events[0]["incident_id"] == sent["incident_id"]
    assert events[1]["event"] == "timeline" and events[1]["incident_id"] == sent["incident_id"]


def test_exit_codes(cli: Any, tmp_path: Path) -> None:
    missing = cli("incidents", "show", "inc_0000000000000000")
    assert missing.returncode == 1 and "404" in missing.stderr
    bad = cli("alert", "send", "--title", "x", "--severity", "huge")
    assert bad.returncode == 1 and "severity" in bad.stderr
    assert cli("incidents", "show").returncode == 2  # a missing argument
    assert cli("alert", "send", "--label", "novalue", "--title", "x").returncode == 2
    assert cli("--profile", "nope", "incidents", "list").returncode == 2
    unreachable = cli("incidents", "list", env_extra={"VIGIL_URL": "http://127.0.0.1:9"})
    assert unreachable.returncode == 1 and "cannot reach" in unreachable.stderr


MISSING = "inc_00000000000000000000"
REFUSED = [  # every command that calls the API with something it refuses: exit 1, its status on stderr
    (["incidents", "ack", MISSING], "404"),
    (["incidents", "resolve", MISSING], "404"),
    (["incidents", "close", MISSING], "404"),
    (["incidents", "note", MISSING, "looking"], "404"),
    (["incidents", "escalate", MISSING], "404"),
    (["incidents", "reassign", MISSING, "platform_team"], "404"),
    (["incidents", "list", "--status", "sleeping"], "400"),
    (["integrations", "create", "cli refused", "--kind", "nagios"], "400"),
    (["integrations", "rotate", "int_missing"], "404"),
    (["keys", "create", "cli refused", "--scope", "root"], "400"),
    (["keys", "revoke", "key_missing"], "404"),
]


@pytest.mark.parametrize(("args", "status"), REFUSED, ids=[" ".join(a[:2]) for a, _ in REFUSED])
def test_each_command_refused_by_the_api_exits_1(cli: Any, args: list[str], status: str) -> None:
    refused = cli(*args)
    assert refused.returncode == 1 and f"error: {status}" in refused.stderr, refused.stderr


@pytest.mark.parametrize(
    "args", [["tail", "--count", "1"], ["export"], ["keys", "list"], ["integrations", "list"], ["oncall"]]
)
def test_each_command_exits_1_when_vigil_cannot_be_reached(cli: Any, args: list[str]) -> None:
    unreachable = cli(*args, env_extra={"VIGIL_URL": "http://127.0.0.1:9"})
    assert unreachable.returncode == 1 and "cannot reach" in unreachable.stderr, unreachable.stderr


def test_profiles_come_from_the_config_file(cli: Any, runtime: Any, tmp_path: Path) -> None:
    config = tmp_path / "vigil" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[profiles.local]\nurl = "{runtime.url}"\napi_key = "{runtime.api_key}"\n')
    listed = cli(
        "--profile", "local", "--json", "keys", "list", env_extra={"VIGIL_URL": "", "VIGIL_API_KEY": ""}
    )
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["items"]
