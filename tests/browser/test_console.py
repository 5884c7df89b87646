"""The console in a real Chromium: sign in, watch an incident arrive, work it, connect a tool,
sign out; accessible and usable on a phone; and nothing an alert says becomes markup."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import PHONE, ROOT, axe_violations, sign_in, unfit_for_a_phone
from tests.browser.test_console_oncall import a_weekly_schedule
from tests.helpers.client import ApiClient, wait_for

# The screenshots in docs/ are refreshed by `make screenshots`; other runs keep theirs apart.
SCREENSHOTS = ROOT / "docs" / "images" if os.environ.get("VIGIL_SCREENSHOTS") == "docs" else None


def _open_incident(api: ApiClient, title: str, **fields: Any) -> str:
    reply = api.post("/api/incident_response", {"title": title, "severity": "high", **fields})
    assert reply.status == 201, reply.body
    return str(reply.body["incident_id"])


def test_an_incident_is_seen_arriving_worked_and_acknowledged(
    page: Any, api: ApiClient, runtime: Any, tmp_path: Path
) -> None:
    sign_in(page, runtime.api_key)
    title = "checkout: too many connections on orders-db"
    incident_id = _open_incident(api, title, category="database")
    page.wait_for_selector(f"#incident-list a[href='#/incidents/{incident_id}']")  # no reload: it polls
    page.click(f"#incident-list a[href='#/incidents/{incident_id}']")
    page.wait_for_selector("#playbook")
    page.check("#step-1")
    page.wait_for_selector("#step-1:checked")
    page.click("button:has-text('Acknowledge')")
    page.wait_for_selector("#status:has-text('acknowledged')")
    incident = api.incident(incident_id)
    assert incident["status"] == "acknowledged"
    assert incident["playbook"]["steps"][0]["status"] == "done"
    acknowledged = [e for e in incident["timeline"] if e["kind"] == "status"][-1]
    assert acknowledged["actor"] == "key:local admin"
    folder = SCREENSHOTS or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "console-incident.png"), full_page=True)
    assert (folder / "console-incident.png").stat().st_size > 10_000


def test_an_integration_is_created_and_its_url_copied(page: Any, runtime: Any) -> None:
    sign_in(page, runtime.api_key)
    page.click("nav a:has-text('Integrations')")
    page.fill("#integration-name", "browser alertmanager")
    page.select_option("#integration-kind", "alertmanager")
    page.click("button:has-text('Create')")
    url = page.text_content("#integration-url")
    assert url and re.fullmatch(rf"{re.escape(runtime.url)}/api/hooks/vgi_\S+", url)
    page.click("#copy-url")
    assert page.evaluate("() => navigator.clipboard.readText()") == url
    assert "webhook_configs" in page.text_content("#created pre")


def test_signing_out_leaves_nothing(page: Any, runtime: Any, api: ApiClient) -> None:
    incident_id = _open_incident(api, "seen only when signed in")
    sign_in(page, runtime.api_key)
    page.click("#signout")
    page.wait_for_selector("#api-key")
    assert page.context.cookies() == [] or all(c["value"] == "" for c in page.context.cookies())
    page.goto(f"/#/incidents/{incident_id}")
    page.wait_for_selector("#api-key")
    assert "seen only when signed in" not in page.content()
    answer = page.evaluate("async () => (await fetch('/api/incident_response')).status")
    assert answer == 401


def test_stored_markup_renders_as_text(page: Any, runtime: Any, api: ApiClient) -> None:
    attack = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
    incident_id = _open_incident(api, f"xss {attack}", labels={"evil": attack})
    api.post(f"/api/incident_response/{incident_id}/notes", {"note": attack})
    sign_in(page, runtime.api_key)
    page.goto(f"/#/incidents/{incident_id}")
    page.wait_for_selector("#timeline")
    wait_for(lambda: attack in (page.text_content("main") or ""))
    assert "null" not in (page.text_content("main") or "")
    assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0
    assert page.evaluate("() => window.pwned") is None


def test_the_page_forbids_inline_script(runtime: Any) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{runtime.url}/", timeout=10) as response:
        policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


@pytest.mark.inject_axe
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_page_is_accessible_and_fits_a_phone(
    page: Any, runtime: Any, api: ApiClient, viewport: str
) -> None:
    if viewport == "phone":
        page.set_viewport_size(PHONE)
    incident_id = _open_incident(api, "accessibility: disk full on web-3", category="database")
    schedule_id, _ = a_weekly_schedule(api)
    member = {"name": "Ann Lee", "contact_methods": [{"type": "email", "address": "ann@example.com"}]}
    assert api.call("PUT", "/api/teams/a11y-team", {"members": [member]}).status == 200
    silence = {
        "matchers": [{"name": "labels.host", "value": "a11y-no-such-host"}],
        "comment": "a11y: disk swap",
    }
    silence |= {"starts_at": "2026-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"}
    assert api.post("/api/silences", silence).status == 201
    page.goto("/#/signin")
    page.wait_for_selector("#api-key")
    checked = {"sign-in": axe_violations(page)}
    sign_in(page, runtime.api_key)
    checked["incidents"] = axe_violations(page)
    for name, hash_, ready in (
        ("incident", f"#/incidents/{incident_id}", "#timeline"),
        ("integrations", "#/setup/integrations", "#integration-list"),
        ("teams", "#/setup/teams", "#team-list li"),
        ("team", "#/setup/teams/a11y-team", "#member-0-address-0"),
        ("silences", "#/setup/silences", "#silence-list button"),
        ("templates", "#/setup/templates", "#template-list li"),
        ("on call", "#/oncall", f"#schedule-{schedule_id} .chart-final .chart-bar"),
    ):
        page.goto(f"/{hash_}")
        page.wait_for_selector(ready, state="attached")
        checked[name] = axe_violations(page)
        if viewport == "phone":
            assert unfit_for_a_phone(page) == [], name
    assert {name: found for name, found in checked.items() if found} == {}


def test_a_responder_reassigns_adds_a_responder_snoozes_and_escalates(
    page: Any, runtime: Any, api: ApiClient
) -> None:
    incident_id = _open_incident(api, "checkout: payment provider timeouts", assigned_team="database_team")
    extra = f"extra-{incident_id}@example.com"
    sign_in(page, runtime.api_key)
    page.goto(f"/#/incidents/{incident_id}")
    page.wait_for_selector("#respond")
    page.select_option("#responder-kind", "email")
    page.fill("#responder", extra)
    page.click("#responders-form button")
    page.wait_for_selector("#notice:has-text('Add responder: done')")
    wait_for(lambda: any(o["target"] == extra for o in api.get("/_local/outbox").body["items"]))
    page.fill("#reassign-team", "network_team")
    page.click("#reassign-form button")
    page.wait_for_selector("#notice:has-text('Reassign: done')")
    assert api.incident(incident_id)["assigned_team"] == "network_team"
    page.select_option("#snooze-minutes", "30")
    page.click("#snooze-form button")
    page.wait_for_selector("#status:has-text('acknowledged')")
    assert api.incident(incident_id)["escalation"]["state"] == "snoozed"
    page.fill("#escalate-rung", "0")
    page.click("#escalate-form button")
    page.wait_for_selector("#status:has-text('open')")
    kinds = [(e["kind"], e["actor"]) for e in api.incident(incident_id)["timeline"]]
    assert ("responder", "key:local admin") in kinds and ("escalation", "key:local admin") in kinds
    page.fill("#escalate-rung", "20")
    page.click("#escalate-form button")
    page.wait_for_selector("#notice .error:has-text('escalation_level')")
