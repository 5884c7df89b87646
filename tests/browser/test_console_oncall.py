"""The console's on-call page in a real Chromium: who is on call now, the week's final schedule
as a timeline, and an override created in the page that the timeline and the API then show."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.browser.conftest import ROOT, sign_in
from tests.helpers.client import ApiClient

SCREENSHOTS = ROOT / "docs" / "images" if os.environ.get("VIGIL_SCREENSHOTS") == "docs" else None
ATTACK = '<img src=x onerror="window.pwned=1">'


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def a_weekly_schedule(api: ApiClient) -> tuple[str, dict[str, str]]:
    """A weekly rotation of two people that began a week ago: its id, and the people's names."""
    suffix = uuid.uuid4().hex[:6]
    names = {f"ann{suffix}": "Ann Lee", f"bob{suffix}": "Bob Ray"}
    for user_id, name in names.items():
        assert (
            api.put(f"/api/users/{user_id}", {"name": name, "email": f"{user_id}@example.com"}).status == 200
        )
    began = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=7)
    layer = {"name": "Weekly", "participants": list(names), "rotation": "weekly", "handoff_time": "09:00:00"}
    body = {"name": "Database primary", "time_zone": "UTC", "layers": [{**layer, "start": _stamp(began)}]}
    created = api.post("/api/schedules", body)
    assert created.status == 201, created.body
    return created.body["schedule_id"], names


def _on_call(api: ApiClient, schedule_id: str, at: datetime | None = None) -> str:
    query = f"?at={_stamp(at)}" if at else ""
    return str(api.get(f"/api/schedules/{schedule_id}/oncall{query}").body["shifts"][0]["user_id"])


def test_an_override_is_created_and_seen_in_the_timeline(
    page: Any, runtime: Any, api: ApiClient, tmp_path: Path
) -> None:
    schedule_id, names = a_weekly_schedule(api)
    sign_in(page, runtime.api_key)
    page.click("nav a:has-text('On call')")
    section = f"#schedule-{schedule_id}"
    page.wait_for_selector(f"{section} .now")
    assert (page.text_content(f"{section} .now") or "").startswith(
        f"{names[_on_call(api, schedule_id)]} is on call"
    )
    assert page.locator(f"{section} .bar-override").count() == 0
    tomorrow = (datetime.now() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    stand_in = next(u for u in names if u != _on_call(api, schedule_id, tomorrow))
    page.select_option("#override-schedule", schedule_id)
    page.select_option("#override-person", stand_in)
    page.fill("#override-start", tomorrow.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#override-end", (tomorrow + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"))
    page.click("button:has-text('Create override')")
    page.wait_for_selector(f"{section} .bar-override")
    overrides = api.get(f"/api/schedules/{schedule_id}").body["overrides"]
    assert len(overrides) == 1 and overrides[0]["user_id"] == stand_in
    start, end = (datetime.fromisoformat(overrides[0][k].replace("Z", "+00:00")) for k in ("start", "end"))
    assert end - start == timedelta(hours=8) and start == tomorrow.astimezone(UTC)
    assert page.locator(f"{section} .chart-final .bar-override").text_content() == names[stand_in]
    assert page.locator(f"{section} .chart-label", has_text="Override").count() == 1
    assert page.locator(f"{section} .chart-label", has_text="Weekly").count() == 1
    folder = SCREENSHOTS or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.locator(section).screenshot(path=str(folder / "console-oncall.png"))
    assert (folder / "console-oncall.png").stat().st_size > 5_000


def test_names_in_schedules_render_as_text(page: Any, runtime: Any, api: ApiClient) -> None:
    user_id = f"xss{uuid.uuid4().hex[:6]}"
    assert api.put(f"/api/users/{user_id}", {"name": ATTACK, "email": f"{user_id}@example.com"}).status == 200
    layer = {
        "participants": [user_id],
        "rotation": "daily",
        "handoff_time": "09:00:00",
        "start": "2026-01-01T09:00:00Z",
    }
    created = api.post(
        "/api/schedules", {"name": ATTACK, "time_zone": "UTC", "layers": [{**layer, "name": ATTACK}]}
    )
    assert created.status == 201, created.body
    sign_in(page, runtime.api_key)
    page.goto("/#/oncall")
    page.wait_for_selector(f"#schedule-{created.body['schedule_id']} .chart-final .chart-bar")
    assert ATTACK in (page.text_content(f"#schedule-{created.body['schedule_id']}") or "")
    assert page.locator("main img").count() == 0
    assert page.evaluate("() => window.pwned") is None
