"""The console's people and escalation-policy pages and its service filter, in a real Chromium:
what a page saves is checked through the API, the dry-run is the server's simulation drawn rung
by rung, and markup stored in names renders as text."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.browser.conftest import PHONE, axe_violations, sign_in, unfit_for_a_phone
from tests.browser.test_console_setup import ATTACK, _assert_inert, _shown
from tests.helpers.client import ApiClient, wait_for


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _person(api: ApiClient, user_id: str, name: str = "Bob Ray") -> None:
    body = {"name": name, "email": f"{user_id}@example.com", "time_zone": "UTC"}
    body |= {"contact_methods": [{"id": "mail", "type": "email", "address": f"{user_id}@example.com"}]}
    body |= {"notification_rules": {"high": [{"contact_method_id": "mail", "after_minutes": 0}]}}
    assert api.put(f"/api/users/{user_id}", body).status == 200


def test_a_person_is_created_with_contact_methods_and_rules(page: Any, runtime: Any, api: ApiClient) -> None:
    user_id = _unique("ann")
    sign_in(page, runtime.api_key)
    page.click("nav a:has-text('People')")
    page.fill("#person-id", user_id)
    page.click("button:has-text('Create')")
    page.wait_for_selector("#person-form")
    page.fill("#person-name", "Ann Lee")
    page.fill("#person-email", f"{user_id}@example.com")
    page.fill("#person-tz", "Europe/Paris")
    page.click("button:has-text('Add contact method')")
    page.fill("#method-0-address", f"{user_id}@example.com")
    page.click("button:has-text('Add contact method')")
    page.select_option("#method-1-type", "sms")
    page.fill("#method-1-address", "+15555550100")
    page.click("button:has-text('Add high rule')")
    page.click("button:has-text('Add high rule')")
    page.select_option("#rule-high-1-method", "m2")
    page.fill("#rule-high-1-after", "5")
    page.click("button:has-text('Add low rule')")
    page.click("button:has-text('Save person')")
    page.wait_for_selector("#notice:has-text('Saved Ann Lee')")
    person = api.get(f"/api/users/{user_id}").body
    assert (person["name"], person["time_zone"]) == ("Ann Lee", "Europe/Paris")
    assert [(m["id"], m["type"], m["address"]) for m in person["contact_methods"]] == [
        ("m1", "email", f"{user_id}@example.com"),
        ("m2", "sms", "+15555550100"),
    ]
    rules = person["notification_rules"]
    assert [(r["contact_method_id"], r["after_minutes"]) for r in rules["high"]] == [("m1", 0), ("m2", 5)]
    assert [(r["contact_method_id"], r["after_minutes"]) for r in rules["low"]] == [("m1", 0)]
    page.click("a.back")
    page.wait_for_selector(f"#people-list a[href='#/setup/people/{user_id}']")


def test_a_wrong_person_is_named_field_by_field_and_not_saved(
    page: Any, runtime: Any, api: ApiClient
) -> None:
    user_id = _unique("zed")
    sign_in(page, runtime.api_key)
    page.goto(f"/#/setup/people/{user_id}")
    page.wait_for_selector("#person-form")
    page.fill("#person-name", "Zed")
    page.fill("#person-email", "zed@example.com")
    page.fill("#person-tz", "Mars/Olympus")
    page.click("button:has-text('Add contact method')")
    page.select_option("#method-0-type", "sms")
    page.fill("#method-0-address", "not a phone")
    page.click("button:has-text('Save person')")
    page.wait_for_selector("#notice .error li")
    problems = page.locator("#notice .error li").all_text_contents()
    assert any(p.startswith("time_zone") for p in problems), problems
    assert any(p.startswith("contact_methods[0]") for p in problems), problems
    assert api.get(f"/api/users/{user_id}").status == 404


def test_a_policy_is_created_and_its_dry_run_drawn_rung_by_rung(
    page: Any, runtime: Any, api: ApiClient
) -> None:
    bob, name = _unique("bob"), _unique("Payments")
    _person(api, bob)
    sign_in(page, runtime.api_key)
    page.click("nav a:has-text('Escalation policies')")
    page.click("#new-policy")
    page.wait_for_selector("#policy-form")
    page.fill("#policy-name", name)
    page.fill("#policy-targets", f"user:{bob}")
    page.click("button:has-text('Add rung')")
    page.fill("#rung-0-to", "senior_engineers")
    page.fill("#rung-0-after", "10")
    page.uncheck("#rung-0-channel-slack")
    page.fill("#policy-repeat", "1")
    page.fill("#policy-repeat-after", "30")
    page.fill("#policy-fallback", "platform_team")
    page.click("button:has-text('Save policy')")
    page.wait_for_selector(f"#notice:has-text('Saved {name}')")
    ours = [p for p in api.get("/api/escalation-policies").body["items"] if p["name"] == name]
    assert len(ours) == 1
    policy = ours[0]
    assert policy["targets"] == [f"user:{bob}"] and policy["repeat"] == 1
    assert policy["repeat_after_seconds"] == 1800 and policy["fallback_target"] == "platform_team"
    assert [
        (r["escalate_to"], r["escalate_after_seconds"], r["notification_channels"]) for r in policy["rules"]
    ] == [("senior_engineers", 600, ["email"])]
    page.select_option("#dry-run-severity", "high")
    page.click("button:has-text('Dry-run')")
    page.wait_for_selector("#dry-run-timeline li")
    simulated = api.post(
        "/api/incident_response/escalation-rules/simulate",
        {"severity": "high", "policy_id": policy["policy_id"]},
    ).body
    shown = page.locator("#dry-run-timeline li .rung-line").all_text_contents()
    assert len(shown) == len(simulated["rungs"]) >= 2
    assert shown[0].startswith("minute 0") and f"user:{bob}" in shown[0]
    assert shown[1].startswith("minute 10") and "senior_engineers" in shown[1]
    assert simulated["rungs"][1]["at_seconds"] == 600
    page.fill("#policy-repeat", "2")
    page.click("button:has-text('Save policy')")
    wait_for(lambda: api.get(f"/api/escalation-policies/{policy['policy_id']}").body["repeat"] == 2)
    assert len([p for p in api.get("/api/escalation-policies").body["items"] if p["name"] == name]) == 1


def test_the_dry_run_of_an_unknown_policy_is_a_404(api: ApiClient) -> None:
    reply = api.post(
        "/api/incident_response/escalation-rules/simulate", {"severity": "high", "policy_id": "pol_none"}
    )
    assert reply.status == 404, reply.body


def test_a_wrong_rung_is_named_and_not_saved(page: Any, runtime: Any, api: ApiClient) -> None:
    name = _unique("Broken")
    sign_in(page, runtime.api_key)
    page.goto("/#/setup/policies/new")
    page.wait_for_selector("#policy-form")
    page.fill("#policy-name", name)
    page.fill("#policy-targets", "user:nobody-at-all")
    page.click("button:has-text('Save policy')")
    page.wait_for_selector("#notice .error li")
    assert "targets[0]" in (page.text_content("#notice") or "")
    assert not [p for p in api.get("/api/escalation-policies").body["items"] if p["name"] == name]


def test_the_incident_list_filters_by_service(page: Any, runtime: Any, api: ApiClient) -> None:
    word = uuid.uuid4().hex[:8]
    integration = api.integration("generic")
    service = api.post(
        "/api/services", {"name": f"checkout {word}", "integrations": [integration["integration_id"]]}
    ).body
    sent = api.post(
        f"/api/hooks/{integration['token']}", {"title": f"{word} via checkout", "severity": "low"}, key=None
    )
    assert sent.status in (200, 202), sent.body
    by_service = sent.body["alerts"][0]["incident_id"]
    by_hand = api.post("/api/incident_response", {"title": f"{word} by hand", "severity": "low"}).body[
        "incident_id"
    ]
    card = "#incident-list a[href='#/incidents/{}']".format
    sign_in(page, runtime.api_key)
    page.fill("#filter-text", word)
    page.wait_for_selector(card(by_hand))
    page.wait_for_selector(card(by_service))
    page.select_option("#filter-service", service["service_id"])
    page.wait_for_selector(card(by_hand), state="detached")
    assert page.locator(card(by_service)).count() == 1
    listed = api.get(f"/api/incident_response?service_id={service['service_id']}").body["items"]
    assert [i["incident_id"] for i in listed] == [by_service]


def test_stored_markup_in_people_and_policies_renders_as_text(
    page: Any, runtime: Any, api: ApiClient
) -> None:
    user_id = _unique("xss")
    _person(api, user_id, name=ATTACK)
    policy = api.post(
        "/api/escalation-policies", {"name": ATTACK, "rules": [], "targets": [f"user:{user_id}"]}
    )
    assert policy.status == 201, policy.body
    sign_in(page, runtime.api_key)
    for hash_, ready in (
        ("#/setup/people", "#people-list li"),
        (f"#/setup/people/{user_id}", "#person-name"),
        ("#/setup/policies", "#policy-list li"),
        (f"#/setup/policies/{policy.body['policy_id']}", "#policy-name"),
    ):
        page.goto(f"/{hash_}")
        page.wait_for_selector(ready)
        wait_for(lambda: ATTACK in _shown(page))
        _assert_inert(page)


@pytest.mark.inject_axe
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_people_and_policy_pages_are_accessible_and_fit_a_phone(
    page: Any, runtime: Any, api: ApiClient, viewport: str
) -> None:
    if viewport == "phone":
        page.set_viewport_size(PHONE)
    user_id = _unique("a11y")
    _person(api, user_id)
    rule = {"escalation_level": 1, "escalate_to": f"user:{user_id}", "escalate_after_minutes": 5}
    policy = api.post(
        "/api/escalation-policies", {"name": "a11y", "rules": [rule], "targets": [f"user:{user_id}"]}
    )
    assert policy.status == 201, policy.body
    sign_in(page, runtime.api_key)
    checked = {}
    for name, hash_, ready in (
        ("people", "#/setup/people", "#people-list li"),
        ("person", f"#/setup/people/{user_id}", "#rule-high-0-after"),
        ("policies", "#/setup/policies", "#policy-list li"),
        ("policy", f"#/setup/policies/{policy.body['policy_id']}", "#rung-0-to"),
    ):
        page.goto(f"/{hash_}")
        page.wait_for_selector(ready, state="attached")
        if name == "policy":
            page.click("button:has-text('Dry-run')")
            page.wait_for_selector("#dry-run-timeline li")
        checked[name] = axe_violations(page)
        if viewport == "phone":
            assert unfit_for_a_phone(page) == [], name
    assert {name: found for name, found in checked.items() if found} == {}
