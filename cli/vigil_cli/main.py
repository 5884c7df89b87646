"""The `vigil` command: incidents, alerts, integrations, keys and a live tail, as tables for
people and JSON (`--json`) for scripts. Exit codes: 0 ok, 1 the API refused (its message is
printed), 2 usage."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from vigil_cli import config_files
from vigil_cli.client import Api, ApiRefused
from vigil_cli.config import ConfigError, load_target

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
incidents = typer.Typer(no_args_is_help=True, help="List, read and work incidents.")
integrations = typer.Typer(no_args_is_help=True, help="Connect monitoring tools.")
keys = typer.Typer(no_args_is_help=True, help="Management API keys.")
alert = typer.Typer(no_args_is_help=True, help="Send alerts.")
app.add_typer(incidents, name="incidents")
app.add_typer(integrations, name="integrations")
app.add_typer(keys, name="keys")
app.add_typer(alert, name="alert")

# In a pipe, tables keep whole ids and titles rather than fitting 80 columns.
out = Console(width=None if sys.stdout.isatty() else 240)
err = Console(stderr=True)
INC = "/api/incident_response"
BULK_SIZE = 1000


@dataclass
class Session:
    api: Api
    as_json: bool


def session(ctx: typer.Context) -> Session:
    """The API and output mode the top-level options chose (subcommands inherit ctx.obj)."""
    return cast(Session, ctx.obj)


@app.callback()
def main(
    ctx: typer.Context,
    profile: Annotated[str, typer.Option(help="profile in ~/.config/vigil/config.toml")] = "default",
    as_json: Annotated[bool, typer.Option("--json", help="print the API's JSON")] = False,
) -> None:
    try:
        target = load_target(profile)
    except ConfigError as error:
        err.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    ctx.obj = Session(Api(target), as_json)


def run() -> None:
    """The console-script entry point: API refusals exit 1 with the API's message."""
    try:
        app()
    except ApiRefused as refusal:
        err.print(f"[red]error:[/red] {refusal}", highlight=False)
        sys.exit(1)


# ----------------------------------------------------------------------------- output
def show(s: Session, data: Any, columns: list[str], rows: list[dict[str, Any]] | None = None) -> None:
    """The JSON answer with --json; otherwise a table of `columns` over `rows` (or `data`)."""
    if s.as_json:
        out.print_json(json.dumps(data))
        return
    items = rows if rows is not None else (data if isinstance(data, list) else [data])
    table = Table(*columns, box=None, header_style="bold")
    for item in items:
        table.add_row(*(_cell(item.get(column)) for column in columns))
    out.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(map(str, value)) or "-"
    return str(value)


def show_page(ctx: typer.Context, path: str, columns: list[str], **params: Any) -> None:
    s = session(ctx)
    page = s.api.get(path, **params)
    show(s, page, columns, page["items"])


def said(s: Session, data: Any, text: str) -> None:
    if s.as_json:
        out.print_json(json.dumps(data))
    else:
        out.print(text, highlight=False)


# ----------------------------------------------------------------------------- incidents
INCIDENT_COLUMNS = ["incident_id", "status", "severity", "title", "assigned_team", "created_at"]


@incidents.command("list")
def incidents_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="open, acknowledged, resolved, ...")] = None,
    severity: Annotated[str | None, typer.Option()] = None,
    team: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
) -> None:
    """Incidents, newest first."""
    show_page(ctx, INC, INCIDENT_COLUMNS, status=status, severity=severity, assigned_team=team, limit=limit)


@incidents.command("show")
def incidents_show(ctx: typer.Context, incident_id: str) -> None:
    """An incident with its timeline."""
    s = session(ctx)
    incident = s.api.get(f"{INC}/{incident_id}")
    if s.as_json:
        show(s, incident, [])
        return
    show(s, incident, [*INCIDENT_COLUMNS, "alert_count", "version"])
    show(s, incident, ["at", "kind", "actor", "message"], incident.get("timeline") or [])


def _act(ctx: typer.Context, incident_id: str, action: str, reason: str | None) -> None:
    s = session(ctx)
    body = {"reason": reason} if reason else {}
    incident = s.api.post(f"{INC}/{incident_id}/{action}", body)
    said(s, incident, f"{incident_id}: {incident.get('status', action)}")


@incidents.command("ack")
def incidents_ack(
    ctx: typer.Context, incident_id: str, reason: Annotated[str | None, typer.Option()] = None
) -> None:
    """Acknowledge: the escalation ladder stops."""
    _act(ctx, incident_id, "acknowledge", reason)


@incidents.command("resolve")
def incidents_resolve(
    ctx: typer.Context, incident_id: str, reason: Annotated[str | None, typer.Option()] = None
) -> None:
    """Resolve: the ladder stops."""
    _act(ctx, incident_id, "resolve", reason)


def _edit(ctx: typer.Context, incident_id: str, change: dict[str, Any], text: str) -> None:
    s = session(ctx)
    incident = s.api.put(f"{INC}/{incident_id}", change)
    said(s, incident, f"{incident_id}: {text}")


@incidents.command("close")
def incidents_close(
    ctx: typer.Context, incident_id: str, reason: Annotated[str | None, typer.Option()] = None
) -> None:
    """Close a resolved incident."""
    _edit(ctx, incident_id, {"status": "closed", **({"reason": reason} if reason else {})}, "closed")


@incidents.command("reassign")
def incidents_reassign(ctx: typer.Context, incident_id: str, team: str) -> None:
    """Assign the incident to another team."""
    _edit(ctx, incident_id, {"assigned_team": team}, f"assigned to {team}")


@incidents.command("note")
def incidents_note(ctx: typer.Context, incident_id: str, text: str) -> None:
    """Add a note to the timeline."""
    s = session(ctx)
    incident = s.api.post(f"{INC}/{incident_id}/notes", {"note": text})
    said(s, incident, f"{incident_id}: noted")


@incidents.command("escalate")
def incidents_escalate(
    ctx: typer.Context, incident_id: str, reason: Annotated[str | None, typer.Option()] = None
) -> None:
    """Page the next rung of the ladder now."""
    s = session(ctx)
    body = {"incident_id": incident_id, **({"reason": reason} if reason else {})}
    said(s, s.api.post(f"{INC}/escalate", body), f"{incident_id}: escalated")


# ----------------------------------------------------------------------------- alerts
@alert.command("send")
def alert_send(
    ctx: typer.Context,
    title: Annotated[str | None, typer.Option(help="what is wrong")] = None,
    severity: Annotated[str, typer.Option()] = "high",
    source: Annotated[str, typer.Option()] = "vigil-cli",
    category: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str | None, typer.Option()] = None,
    label: Annotated[list[str] | None, typer.Option(help="key=value, repeatable")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="a JSON alert, or a list of them")] = None,
) -> None:
    """Send one alert from flags, or one or many from a JSON file."""
    s = session(ctx)
    if file is not None:
        _send_file(s, file)
        return
    if not title:
        raise typer.BadParameter("give --title, or --file", param_hint="--title")
    body = {"title": title, "severity": severity, "source": source, "labels": _labels(label or [])}
    body |= {k: v for k, v in {"category": category, "description": description}.items() if v}
    sent = s.api.post("/api/alerting/send", body)
    said(s, sent, f"{sent['alert_id']}: {sent['action']} ({sent.get('incident_id') or 'no incident'})")


def _labels(pairs: list[str]) -> dict[str, str]:
    if bad := [p for p in pairs if "=" not in p]:
        raise typer.BadParameter(f"expected key=value, got {bad[0]!r}", param_hint="--label")
    return dict(pair.split("=", 1) for pair in pairs)


def _send_file(s: Session, file: Path) -> None:
    try:
        loaded = json.loads(file.read_text())
    except (OSError, ValueError) as error:
        raise typer.BadParameter(str(error), param_hint="--file") from None
    alerts = loaded if isinstance(loaded, list) else [loaded]
    results: list[dict[str, Any]] = []
    for batch in track(list(_batches(alerts)), description="sending", console=err, disable=s.as_json):
        results += s.api.post("/api/alerting/bulk", {"alerts": batch})["items"]
    numbered = [{**r, **(r.get("result") or {}), "index": i} for i, r in enumerate(results)]
    show(s, results, ["index", "ok", "action", "alert_id", "incident_id", "error"], numbered)


def _batches(alerts: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(alerts), BULK_SIZE):
        yield alerts[start : start + BULK_SIZE]


# ----------------------------------------------------------------------------- integrations
@integrations.command("list")
def integrations_list(ctx: typer.Context) -> None:
    """Integrations (their tokens are never shown again)."""
    show_page(ctx, "/api/integrations", ["integration_id", "name", "kind", "token_prefix", "created_at"])


@integrations.command("create")
def integrations_create(
    ctx: typer.Context,
    name: str,
    kind: Annotated[str, typer.Option(help="alertmanager, grafana, cloudwatch, datadog, pagerduty, ...")],
) -> None:
    """Create an integration: its URL and token are shown once."""
    s = session(ctx)
    created = s.api.post("/api/integrations", {"name": name, "kind": kind})
    show(s, created, ["integration_id", "name", "kind", "url", "token"])


@integrations.command("rotate")
def integrations_rotate(
    ctx: typer.Context,
    integration_id: str,
    grace_seconds: Annotated[int, typer.Option(min=0, help="how long the old token keeps working")] = 86400,
) -> None:
    """A new token; the old one works for the grace period."""
    s = session(ctx)
    rotated = s.api.post(f"/api/integrations/{integration_id}/rotate", {"grace_seconds": grace_seconds})
    show(s, rotated, ["integration_id", "url", "token"])


# ----------------------------------------------------------------------------- keys
@keys.command("list")
def keys_list(ctx: typer.Context) -> None:
    """API keys, without their secrets."""
    show_page(ctx, "/api/keys", ["key_id", "name", "scope", "prefix", "created_at", "revoked_at"])


@keys.command("create")
def keys_create(
    ctx: typer.Context,
    name: str,
    scope: Annotated[str, typer.Option(help="read-only, responder or admin")] = "admin",
) -> None:
    """A new API key: its secret is shown once."""
    s = session(ctx)
    show(s, s.api.post("/api/keys", {"name": name, "scope": scope}), ["key_id", "name", "scope", "secret"])


@keys.command("revoke")
def keys_revoke(ctx: typer.Context, key_id: str) -> None:
    """Revoke a key: it stops working at once."""
    s = session(ctx)
    said(s, s.api.delete(f"/api/keys/{key_id}"), f"{key_id}: revoked")


# ----------------------------------------------------------------------------- tail
@app.command()
def tail(
    ctx: typer.Context,
    interval: Annotated[float, typer.Option(min=0.2, help="seconds between polls")] = 2.0,
    count: Annotated[int | None, typer.Option(min=1, help="stop after this many events")] = None,
) -> None:
    """Follow new incidents and timeline entries as they happen (Ctrl-C stops)."""
    s = session(ctx)
    seen = _snapshot(s.api)
    err.print(f"following {len(seen)} recent incidents and any new one (Ctrl-C stops)")
    printed = 0
    try:
        while count is None or printed < count:
            time.sleep(interval)
            for event in _new_events(s.api, seen):
                _print_event(s, event)
                printed += 1
                if count is not None and printed >= count:
                    return
    except KeyboardInterrupt:
        return


def _snapshot(api: Api) -> dict[str, int]:
    """Each recent incident and how many timeline entries it had: only what comes later prints."""
    return {i["incident_id"]: _timeline_length(api, i["incident_id"]) for i in _recent(api)}


def _recent(api: Api) -> list[dict[str, Any]]:
    return list(api.get(INC, limit=20)["items"])


def _timeline_length(api: Api, incident_id: str) -> int:
    return len(api.get(f"{INC}/{incident_id}").get("timeline") or [])


def _new_events(api: Api, seen: dict[str, int]) -> Iterator[dict[str, Any]]:
    for incident in reversed(_recent(api)):
        incident_id = incident["incident_id"]
        if incident_id not in seen:
            seen[incident_id] = 0
            yield {"event": "incident", **{k: incident.get(k) for k in INCIDENT_COLUMNS}}
        timeline = api.get(f"{INC}/{incident_id}").get("timeline") or []
        for entry in timeline[seen[incident_id] :]:
            yield {"event": "timeline", "incident_id": incident_id, **entry}
        seen[incident_id] = len(timeline)


def _print_event(s: Session, event: dict[str, Any]) -> None:
    if s.as_json:
        print(json.dumps(event), flush=True)
    elif event["event"] == "incident":
        out.print(f"[bold]new incident[/bold] {event['incident_id']} [{event['severity']}] {event['title']}")
    else:
        out.print(f"{event.get('at')} {event['incident_id']} {event.get('kind')}: {event.get('message')}")


# ----------------------------------------------------------------------------- configuration as code
ConfigPath = Annotated[Path, typer.Option("-f", "--file", help="a YAML file or a folder of them")]
CHANGE_COLUMNS = ["action", "section", "name"]
PLAN_COLUMNS = [*CHANGE_COLUMNS, "details"]  # a schedule's overrides added and removed, fields changed


def _config_from(path: Path) -> dict[str, Any]:
    try:
        return config_files.read(path)
    except config_files.FileError as error:
        err.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(2) from None


@app.command("export")
def export(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="write one YAML file per section into this folder")
    ] = None,
) -> None:
    """The live configuration as YAML (tokens are never part of it)."""
    s = session(ctx)
    live = s.api.get("/api/config")
    if output is None:
        if s.as_json:
            out.print_json(json.dumps(live))
        else:
            sys.stdout.write(config_files.dump(live["config"]))
        return
    try:
        files = config_files.write(output, live["config"])
    except OSError as error:
        raise typer.BadParameter(str(error), param_hint="--output") from None
    said(s, live, f"wrote {len(files)} files to {output} (version {live['version']})")


@app.command("plan")
def plan(ctx: typer.Context, file: ConfigPath) -> None:
    """What applying the configuration in FILE would change, object by object."""
    s = session(ctx)
    planned = s.api.post("/api/config/plan", {"config": _config_from(file)})
    show(s, planned, PLAN_COLUMNS, planned["changes"])
    if not s.as_json:
        out.print(
            f"{len(planned['changes'])} changes against version {planned['version']}; "
            f"apply them with: vigil apply -f {file} --version {planned['version']}",
            highlight=False,
        )


@app.command("apply")
def apply(
    ctx: typer.Context,
    file: ConfigPath,
    version: Annotated[
        str | None, typer.Option(help="the version `vigil plan` showed; refused if the live one moved")
    ] = None,
) -> None:
    """Apply the configuration in FILE, all or nothing, as a new configuration revision."""
    s = session(ctx)
    config = _config_from(file)
    expected = version or s.api.get("/api/config")["version"]
    applied = s.api.post("/api/config/apply", {"version": expected, "config": config})
    show(s, applied, CHANGE_COLUMNS, applied["changes"])
    if s.as_json:
        return
    out.print(f"revision {applied['revision']}: version {applied['version']}", highlight=False)
    for created in applied["created"]:
        out.print(
            f"integration {created['integration']!r} token (shown once): {created['token']}", highlight=False
        )


TOTALS = {  # report field: column
    "incidents": "incidents",
    "pages": "pages",
    "night_pages": "night pages",
    "notifications": "notifications",
    "night_notifications": "night notifications",
    "silenced_arrivals": "silenced",
}
PER_PERSON = {
    "pages": "pages",
    "night_pages": "night",
    "notifications": "notif.",
    "night_notifications": "night notif.",
}


@app.command("replay")
def replay(
    ctx: typer.Context,
    file: ConfigPath,
    since: Annotated[str, typer.Option(help="how far back: 7d, 12h, 90m or an ISO 8601 time")] = "7d",
) -> None:
    """Replay the stored alerts since SINCE under the configuration in FILE: who would have been
    paged, compared with the live configuration. Nothing is sent or written."""
    s = session(ctx)
    report = s.api.post("/api/replay", {"config": _config_from(file), "since": since})
    if s.as_json:
        out.print_json(json.dumps(report))
        return
    out.print(f"{report['alerts']} alerts from {report['since']} to {report['until']}", highlight=False)
    totals = Table("", *TOTALS.values(), box=None, header_style="bold")
    totals.add_row("actual", str(report["actual"]["incidents"]), *["-"] * (len(TOTALS) - 1))
    for name in ("current", "proposed"):
        totals.add_row(name, *(str(report[name].get(k, "-")) for k in TOTALS))
    out.print(totals)
    _people_table(report)
    for key, label in (
        ("incidents_not_opened", "would no longer open"),
        ("incidents_newly_opened", "would newly open"),
        ("alerts_no_longer_paging", "alerts that would page no one"),
    ):
        if report[key]:
            out.print(f"{label}: {', '.join(report[key])}", highlight=False)


def _people_table(report: dict[str, Any]) -> None:
    """Per person, each count now and proposed; then the proposal's notifications per method."""
    current, proposed = report["current"]["pages_by_person"], report["proposed"]["pages_by_person"]
    headers = [f"{label} {side}" for label in PER_PERSON.values() for side in ("now", "proposed")]
    table = Table("person", *headers, "methods proposed", box=None, header_style="bold")
    for person in sorted(current.keys() | proposed.keys()):
        now, then = current.get(person, {}), proposed.get(person, {})
        counts = [str(side.get(k, 0)) for k in PER_PERSON for side in (now, then)]
        table.add_row(person, *counts, _cell(then.get("by_method")))
    out.print(table)


# ----------------------------------------------------------------------------- on call
def _is_iso_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


@app.command("oncall")
def oncall(
    ctx: typer.Context,
    schedule: Annotated[
        str | None, typer.Argument(help="a schedule's id or name; all schedules if left out")
    ] = None,
    at: Annotated[str | None, typer.Option(help="an ISO 8601 time (default: now)")] = None,
) -> None:
    """Who is on call, now or at a given time."""
    if at is not None and not _is_iso_time(at):  # refused even when no schedule would be asked
        raise typer.BadParameter(
            f"expected an ISO 8601 time such as 2026-12-02T09:00:00Z, got {at!r}", param_hint="--at"
        )
    s = session(ctx)
    schedules = s.api.get("/api/schedules")["items"]
    chosen = [x for x in schedules if schedule in (None, x["schedule_id"], x["name"])]
    if schedule is not None and not chosen:
        raise ApiRefused(404, f"no schedule with the id or name {schedule!r}")
    rows = []
    for item in chosen:
        answer = s.api.get(f"/api/schedules/{item['schedule_id']}/oncall", at=at)
        shifts = answer["shifts"] or [{"user_id": None, "start": None, "end": None, "source": "nobody"}]
        rows += [{"schedule": item["name"], "schedule_id": item["schedule_id"], **shift} for shift in shifts]
    show(s, rows, ["schedule", "user_id", "start", "end", "source"])
