"""The console's setup pages, its incident filters and its magic link sign-in, in a real
Chromium: each change made in a page is checked through the API, and markup stored in
configuration renders as text."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.browser.conftest import sign_in
from tests.helpers.client import ApiClient, wait_for

ATTACK = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _assert_inert(page: Any) -> None:
    assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0
    assert page.evaluate("() => window.pwned") is None


def _shown(page: Any) -> str:
    """The page's text and the values of its fields, as a person sees them."""
    return str(
        page.evaluate(
            "() => [document.querySelector('main').innerText, "
            "...[...document.querySelectorAll('main input')].map(i => i.value)].join(' ')"
        )
    )


def test_a_team_is_created_with_a_member_and_channels(page: Any, runtime: Any, api: ApiClient) -> None:
    name = _unique("browser-team")
    sign_in(page, runtime.api_key)
    page.click("nav a:has-text('Teams')")
    page.fill("#team-name", name)
    page.click("button:has-text('Create')")
    page.wait_for_selector("#team-form")
    page.click("button:has-text('Add member')")
    page.fill("#member-0-name", "Ann Lee")
    page.click("button:has-text('Add contact method')")
    page.select_option("#member-0-type-0", "sms")
    page.fill("#member-0-address-0", "+15555550100")
    page.fill("#team-emails", "oncall@example.com, db@example.com")
    page.fill("#team-slack", "https://hooks.slack.com/services/T0/B0/secret")
    page.click("button:has-text('Save team')")
    page.wait_for_selector(f"#notice:has-text('Saved {name}')")
    team = api.get(f"/api/teams/{name}").body
    assert team["members"] == [
        {"name": "Ann Lee", "contact_methods": [{"type": "sms", "address": "+15555550100"}]}
    ]
    assert team["email_list"] == ["oncall@example.com", "db@example.com"]
    assert team["slack_webhook_url"] == "https://hooks.slack.com/services/T0/B0/secret"
    page.click("a.back")
    page.wait_for_selector(f"#team-list a[href='#/setup/teams/{name}']")


def test_a_bad_address_is_named_not_saved(page: Any, runtime: Any, api: ApiClient) -> None:
    name = _unique("browser-bad")
    sign_in(page, runtime.api_key)
    page.goto(f"/#/setup/teams/{name}")
    page.wait_for_selector("#team-form")
    page.fill("#team-emails", "not-an-address")
    page.click("button:has-text('Save team')")
    page.wait_for_selector("#notice .error")
    assert "email_list" in (page.text_content("#notice") or "")
    assert api.get(f"/api/teams/{name}").status == 404


def test_a_silence_is_created_and_expired(page: Any, runtime: Any, api: ApiClient) -> None:
    comment = _unique("disk swap on web-9")
    sign_in(page, runtime.api_key)
    page.click("nav a:has-text('Silences')")
    page.fill("#matcher-name-0", "labels.host")
    page.fill("#matcher-value-0", "browser-no-such-host")
    page.select_option("#silence-hours", "2")
    page.fill("#silence-comment", comment)
    page.click("button:has-text('Silence')")
    page.wait_for_selector(f"#silence-list :text('{comment}')")
    ours = [s for s in api.get("/api/silences").body["items"] if s["comment"] == comment]
    assert len(ours) == 1 and ours[0]["matchers"] == [
        {"name": "labels.host", "op": "=", "value": "browser-no-such-host"}
    ]
    page.click(f"button:has-text('Expire “{comment}” now')")
    page.wait_for_selector(f"#silence-list :text('{comment}')", state="detached")
    assert not [s for s in api.get("/api/silences").body["items"] if s["comment"] == comment]


def test_a_maintenance_window_is_added_and_ended(page: Any, runtime: Any, api: ApiClient) -> None:
    integration = api.integration("alertmanager")
    sign_in(page, runtime.api_key)
    page.goto("/#/setup/silences")
    page.wait_for_selector("#window-form")
    page.select_option("#window-integration", integration["integration_id"])
    page.check("#window-day-sat")
    page.check("#window-day-sun")
    page.fill("#window-start", "02:00")
    page.fill("#window-end", "04:30")
    page.fill("#window-comment", "weekly patching")
    page.click("button:has-text('Add window')")
    page.wait_for_selector("#window-list :text('weekly patching')")
    path = f"/api/integrations/{integration['integration_id']}"
    windows = api.get(path).body["settings"]["maintenance_windows"]
    assert windows == [
        {"days": ["sat", "sun"], "start": "02:00:00", "end": "04:30:00", "comment": "weekly patching"}
    ]
    page.click(f"button:has-text('End window 1 of {integration['name']}')")
    wait_for(lambda: api.get(path).body["settings"]["maintenance_windows"] == [])


def test_a_template_preview_is_the_servers_rendering_shown_as_text(
    page: Any, runtime: Any, api: ApiClient
) -> None:
    sign_in(page, runtime.api_key)
    page.click("nav a:has-text('Templates')")
    page.wait_for_selector("#template-list li")
    page.select_option("#template-id", "email_html")
    page.select_option("#template-severity", "low")
    page.fill("#template-source", f"{ATTACK}<p>{{{{ incident.title }}}}</p>")
    page.click("#preview")
    page.wait_for_selector("#template-preview:has-text('Database connection failure')")
    assert (page.text_content("#template-preview") or "").startswith(ATTACK)
    _assert_inert(page)
    assert "email_html:low" not in str(api.get("/api/alerting/templates").body), "a preview saves nothing"
    page.fill("#template-source", "{{ incident.title")
    page.click("#preview")
    page.wait_for_selector("#notice .error")
    page.fill("#template-source", "<p>low: {{ incident.title }}</p>")
    page.click("button:has-text('Save')")
    page.wait_for_selector("#notice:has-text('Saved email_html:low')")
    saved = [
        t for t in api.get("/api/alerting/templates").body["items"] if t["template_id"] == "email_html:low"
    ]
    assert saved and saved[0]["source"] == "<p>low: {{ incident.title }}</p>"
    page.click("button:has-text('Back to default')")
    page.wait_for_selector("#notice:has-text('is the default again')")
    assert "email_html:low" not in str(api.get("/api/alerting/templates").body)


def test_an_integration_sends_a_test_alert(page: Any, runtime: Any, api: ApiClient) -> None:
    name = _unique("browser datadog")
    sign_in(page, runtime.api_key)
    page.click("nav a:has-text('Integrations')")
    page.fill("#integration-name", name)
    page.select_option("#integration-kind", "datadog")
    page.click("button:has-text('Create')")
    assert "webhook-vigil" in (page.text_content("#setup-snippet") or "")
    page.click(f"button:has-text('Send a test alert to {name}')")
    sent = page.text_content("#test-sent") or ""
    alert_id = re.search(r"alr_\w+", sent)
    assert alert_id, sent
    alert = api.get(f"/api/alerting/{alert_id.group(0)}").body
    assert alert["title"] == f"Test alert from {name}" and alert["labels"]["vigil_test"] == "true"


def test_stored_markup_in_configuration_renders_as_text(page: Any, runtime: Any, api: ApiClient) -> None:
    team = _unique("xss-team")
    assert api.call("PUT", f"/api/teams/{team}", {"members": [{"name": ATTACK}]}).status == 200
    api.post("/api/integrations", {"name": ATTACK, "kind": "generic"})
    silence = {"matchers": [{"name": "labels.x", "value": ATTACK}], "comment": ATTACK}
    silence |= {"starts_at": "2026-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"}
    assert api.post("/api/silences", silence).status == 201
    sign_in(page, runtime.api_key)
    for hash_, ready in (
        (f"#/setup/teams/{team}", "#member-0-name"),
        ("#/setup/teams", "#team-list li"),
        ("#/setup/integrations", "#integration-list li"),
        ("#/setup/silences", "#silence-list li"),
    ):
        page.goto(f"/{hash_}")
        page.wait_for_selector(ready)
        wait_for(lambda: ATTACK in _shown(page))
        _assert_inert(page)


def test_the_list_filters_by_my_team_and_by_title(page: Any, api: ApiClient) -> None:
    word = uuid.uuid4().hex[:8]
    mine = api.post(
        "/api/incident_response",
        {"title": f"{word} mine", "severity": "low", "assigned_team": "database_team"},
    )
    theirs = api.post(
        "/api/incident_response",
        {"title": f"{word} theirs", "severity": "low", "assigned_team": "network_team"},
    )
    other = api.post(
        "/api/incident_response", {"title": "unrelated", "severity": "low", "assigned_team": "database_team"}
    )
    key = api.post("/api/keys", {"name": "dba", "scope": "responder", "team": "database_team"}).body
    sign_in(page, key["secret"])
    page.fill("#filter-text", word)
    card = "#incident-list a[href='#/incidents/{}']".format
    page.wait_for_selector(card(theirs.body["incident_id"]))
    page.wait_for_selector(card(other.body["incident_id"]), state="detached")
    page.check("#filter-mine")
    page.wait_for_selector(card(theirs.body["incident_id"]), state="detached")
    assert page.locator(card(mine.body["incident_id"])).count() == 1
    assert page.locator(card(other.body["incident_id"])).count() == 0


def test_a_magic_link_signs_in_once(page: Any, api: ApiClient) -> None:
    email = f"{_unique('ann')}@example.com"
    key = api.post("/api/keys", {"name": "Ann by link", "scope": "responder", "email": email}).body
    page.goto("/#/signin")
    page.fill("#link-email", email)
    page.click("button:has-text('Email me a link')")
    page.wait_for_selector("#link-sent:has-text('Check your email')")
    mail = wait_for(lambda: [o for o in api.get("/_local/outbox").body["items"] if o["target"] == email])
    link = re.search(r"http\S+#/signin/link/\S+", mail[-1]["body"]["Text"])
    assert link, mail[-1]
    page.goto(link.group(0))
    page.wait_for_selector("#incident-list")
    assert "/signin/link/" not in page.url, "the token leaves the address bar"
    session = page.evaluate("async () => (await fetch('/api/session')).json()")
    assert session["key_id"] == key["key_id"]
    page.click("#signout")
    page.wait_for_selector("#api-key")
    page.goto(link.group(0))
    page.wait_for_selector("p.error:has-text('not valid any more')")
    assert page.evaluate("async () => (await fetch('/api/session')).status") == 401
