"""`vigil export`, `plan`, `apply` and `replay`, run as a subprocess against the local runtime,
with their exit codes: 0 ok, 1 the API refused, 2 usage."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.test_cli_e2e import cli, ok_json
from tests.helpers.client import ApiClient

__all__ = ["cli"]


@pytest.fixture
def exported(cli: Any, api: ApiClient, tmp_path: Path) -> Iterator[Path]:
    """The live configuration exported to a folder; the live one restored afterwards."""
    before = api.get("/api/config").body
    folder = tmp_path / "vigil-config"
    result = cli("export", "-o", str(folder))
    assert result.returncode == 0, result.stderr
    yield folder
    now = api.get("/api/config").body
    assert (
        api.post("/api/config/apply", {"version": now["version"], "config": before["config"]}).status == 200
    )


def edit(folder: Path, section: str, change: Any) -> None:
    file = folder / f"{section}.yaml"
    document = yaml.safe_load(file.read_text())
    change(document[section])
    file.write_text(yaml.safe_dump(document))


def test_export_writes_a_file_per_section_that_plans_to_no_change(cli: Any, exported: Path) -> None:
    names = sorted(p.name for p in exported.iterdir())
    assert names == sorted(f"{s}.yaml" for s in (
        "users", "teams", "schedules", "escalation_policies", "alerting_rules", "assignment_rules",
        "escalation_policy", "templates", "silences", "integrations", "services"))  # fmt: skip
    planned = ok_json(cli("--json", "plan", "-f", str(exported)))
    assert planned["changes"] == []
    table = cli("plan", "-f", str(exported))
    assert table.returncode == 0 and f"--version {planned['version']}" in table.stdout
    printed = yaml.safe_load(cli("export").stdout)
    assert printed == {s: yaml.safe_load((exported / f"{s}.yaml").read_text())[s] for s in printed}


def test_plan_then_apply_with_its_version(cli: Any, api: ApiClient, exported: Path) -> None:
    edit(exported, "teams", lambda teams: teams.update({"cli_cfg": {"email_list": ["cli@example.com"]}}))
    edit(exported, "assignment_rules", lambda rules: rules["by_category"].update({"network": "cli_cfg"}))
    planned = ok_json(cli("--json", "plan", "-f", str(exported)))
    assert {(c["section"], c["name"], c["action"]) for c in planned["changes"]} == {
        ("teams", "cli_cfg", "create"),
        ("assignment_rules", "default", "update"),
    }
    table = cli("plan", "-f", str(exported))
    assert "cli_cfg" in table.stdout and "create" in table.stdout
    applied = cli("apply", "-f", str(exported), "--version", planned["version"])
    assert applied.returncode == 0, applied.stderr
    assert "revision" in applied.stdout
    assert api.get("/api/teams/cli_cfg").body["email_list"] == ["cli@example.com"]
    stale = cli("apply", "-f", str(exported), "--version", planned["version"])
    assert stale.returncode == 1 and "409" in stale.stderr and "plan again" in stale.stderr


def test_apply_refused_by_the_api_exits_1_and_changes_nothing(
    cli: Any, api: ApiClient, exported: Path
) -> None:
    before = api.get("/api/config").body
    edit(exported, "templates", lambda templates: templates.update({"email_subject": "{{ incident.title"}))
    refused = cli("apply", "-f", str(exported))
    assert refused.returncode == 1, refused.stdout
    assert "config.templates.email_subject" in refused.stderr
    assert api.get("/api/config").body == before


def test_usage_errors_exit_2(cli: Any, tmp_path: Path, exported: Path) -> None:
    assert cli("plan", "-f", str(tmp_path / "missing")).returncode == 2
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.yaml").write_text("teams: [unclosed\n")
    result = cli("apply", "-f", str(broken))
    assert result.returncode == 2 and "a.yaml" in result.stderr
    twice = tmp_path / "twice"
    twice.mkdir()
    for name in ("a.yaml", "b.yaml"):
        (twice / name).write_text("teams: {}\n")
    assert "also in another file" in cli("plan", "-f", str(twice)).stderr
    assert cli("plan").returncode == 2  # -f is required
    assert cli("replay", "-f", str(exported), "--since", "last week").returncode == 1
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    not_a_folder = cli("export", "-o", str(a_file))
    assert not_a_folder.returncode == 2 and "--output" in not_a_folder.stderr, not_a_folder.stderr
    bad_time = cli("oncall", "--at", "garbage")  # refused before any schedule is asked for
    assert bad_time.returncode == 2 and "--at" in bad_time.stderr, bad_time.stderr


def test_a_time_of_day_stays_text_in_yaml(cli: Any, api: ApiClient, exported: Path, tmp_path: Path) -> None:
    file = tmp_path / "integrations.yaml"
    file.write_text(
        "integrations:\n  cli maintenance:\n    kind: grafana\n    settings:\n"
        "      maintenance_windows: [{days: [sun], start: 12:30, end: 13:00}]\n"
    )
    planned = ok_json(cli("--json", "plan", "-f", str(file)))
    created = next(c for c in planned["changes"] if c["name"] == "cli maintenance")
    assert created["after"]["settings"]["maintenance_windows"][0]["start"] == "12:30:00"


def test_replay_prints_a_table_and_json(cli: Any, api: ApiClient, exported: Path) -> None:
    member = {"name": "Dee", "contact_methods": [{"type": "email", "address": "dee@example.com"}]}
    assert api.put("/api/teams/database_team", {"members": [member]}).status == 200
    probe = {"title": "cli replay probe", "severity": "medium", "category": "database",
             "labels": {"service": "cli-replay"}}  # fmt: skip
    since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()  # the same alerts for both runs
    sent = api.post("/api/alerting/send", probe)
    assert sent.status == 200 and sent.body["action"] == "opened", sent.body
    silence = {
        "matchers": [{"name": "labels.service", "value": "cli-replay"}],
        "starts_at": "2020-01-01T00:00:00Z",
        "ends_at": "2099-01-01T00:00:00Z",
        "comment": "cli replay",
    }
    edit(exported, "silences", lambda silences: silences.append(silence))
    edit(exported, "teams", lambda teams: teams.update({"database_team": {"members": [member]}}))
    report = ok_json(cli("--json", "replay", "-f", str(exported), "--since", since))
    assert sent.body["alert_id"] in report["alerts_no_longer_paging"]
    assert sent.body["incident_id"] in report["incidents_not_opened"]
    dee = report["current"]["pages_by_person"]["Dee"]
    assert dee["pages"] >= 1 and dee["notifications"] == dee["by_method"]["email"] == dee["pages"]
    # other tests' database alerts of the last 10 minutes may page Dee under both configurations
    dee_proposed = report["proposed"]["pages_by_person"].get("Dee", {"pages": 0, "notifications": 0})
    assert dee["pages"] - dee_proposed["pages"] == dee["notifications"] - dee_proposed["notifications"] >= 1
    table = cli("replay", "-f", str(exported), "--since", since)
    assert table.returncode == 0, table.stderr
    assert "proposed" in table.stdout and "alerts that would page no one" in table.stdout
    assert "night notifications" in table.stdout and "notif. now" in table.stdout
    dee_row = next(row for row in map(str.split, table.stdout.splitlines()) if row[:1] == ["Dee"])
    assert dee_row[1:3] == [str(dee["pages"]), str(dee_proposed["pages"])]
    assert dee_row[5:7] == [str(dee["notifications"]), str(dee_proposed["notifications"])]


def test_oncall_names_who_is_on_call_at_a_moment(cli: Any, api: ApiClient) -> None:
    for user_id in ("oc_ann", "oc_bob"):
        assert (
            api.put(f"/api/users/{user_id}", {"name": user_id, "email": f"{user_id}@example.com"}).status
            == 200
        )
    schedule = {
        "name": "cli oncall",
        "time_zone": "UTC",
        "layers": [
            {
                "participants": ["oc_ann", "oc_bob"],
                "rotation": "daily",
                "handoff_time": "09:00",
                "start": "2026-03-02T09:00:00Z",
            }
        ],
    }
    created = api.post("/api/schedules", schedule)
    assert created.status == 201, created.body
    first = ok_json(cli("--json", "oncall", "cli oncall", "--at", "2026-03-02T12:00:00Z"))
    assert [row["user_id"] for row in first] == ["oc_ann"]
    by_id = ok_json(cli("--json", "oncall", created.body["schedule_id"], "--at", "2026-03-03T12:00:00Z"))
    assert [row["user_id"] for row in by_id] == ["oc_bob"]
    table = cli("oncall", "--at", "2026-03-03T12:00:00Z")
    assert table.returncode == 0 and "cli oncall" in table.stdout and "oc_bob" in table.stdout
    missing = cli("oncall", "no such schedule")
    assert missing.returncode == 1 and "no schedule" in missing.stderr
    bad_time = cli("oncall", "cli oncall", "--at", "tomorrow-ish")
    assert bad_time.returncode == 2 and "--at" in bad_time.stderr, bad_time.stderr  # a usage error


def test_an_override_planned_applied_and_exported_from_yaml(cli: Any, api: ApiClient, exported: Path) -> None:
    """An override written in schedules.yaml without an id: plan names it, apply creates it,
    `vigil oncall` shows it, and the next export holds it (with its derived id)."""
    for user_id in ("cli_ann", "cli_bob"):
        person = {"name": user_id, "email": f"{user_id}@example.com"}
        assert api.put(f"/api/users/{user_id}", person).status == 200
    layer = {"participants": ["cli_ann"], "rotation": "weekly", "handoff_time": "09:00",
             "start": "2026-01-05T09:00:00Z"}  # fmt: skip
    schedule = {"name": "cli overrides", "time_zone": "UTC", "layers": [layer]}
    assert api.post("/api/schedules", schedule).status == 201
    again = exported.parent / "again"
    assert cli("export", "-o", str(again)).returncode == 0
    override = {"user_id": "cli_bob", "start": "2099-01-01T00:00:00Z", "end": "2099-01-02T00:00:00Z"}

    def add(schedules: dict[str, Any]) -> None:
        [schedule_id] = [k for k, v in schedules.items() if v["name"] == "cli overrides"]
        schedules[schedule_id]["overrides"].append(override)

    edit(again, "schedules", add)
    table = cli("plan", "-f", str(again))
    assert table.returncode == 0, table.stderr
    assert "+ override ovr_" in table.stdout and "cli_bob from 2099-01-01T00:00:00Z" in table.stdout
    assert cli("apply", "-f", str(again)).returncode == 0
    shift = ok_json(cli("--json", "oncall", "cli overrides", "--at", "2099-01-01T12:00:00Z"))
    assert [(row["user_id"], row["source"][:13]) for row in shift] == [("cli_bob", "override:ovr_")]
    listed = ok_json(cli("--json", "oncall"))
    assert {row["schedule_id"] for row in listed} == {
        s["schedule_id"] for s in api.get("/api/schedules").body["items"]
    }
    final = yaml.safe_load(cli("export").stdout)["schedules"]
    [overrides] = [v["overrides"] for v in final.values() if v["name"] == "cli overrides"]
    assert [o["user_id"] for o in overrides] == ["cli_bob"] and overrides[0]["id"] == shift[0]["source"][9:]
