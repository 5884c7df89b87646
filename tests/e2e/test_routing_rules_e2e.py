"""Routing and escalation rules refuse, or warn about, what would make pages fail; PUT
replaces the routing rules only when complete, PATCH changes a part."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.client import ApiClient

RULES = "/api/alerting/rules"


@pytest.fixture
def default_rules(api: ApiClient) -> Iterator[None]:
    yield
    api.reset_alerting_rules()


@pytest.mark.usefixtures("default_rules")
def test_a_partial_put_is_refused_naming_what_is_missing(api: ApiClient) -> None:
    before = api.get(RULES).body
    reply = api.put(RULES, {"channels_by_severity": {"high": ["webhook"]}})
    assert reply.status == 400
    fields = {d["field"] for d in reply.body["error"]["details"]}
    assert {"body.channels_by_severity", "body.open_incident_for"} <= fields
    assert api.get(RULES).body == before


@pytest.mark.usefixtures("default_rules")
def test_patch_changes_one_severity_and_keeps_the_others(api: ApiClient) -> None:
    before = api.get(RULES).body
    reply = api.patch(RULES, {"channels_by_severity": {"high": ["webhook"]}})
    assert reply.status == 200, reply.body
    after = api.get(RULES).body
    assert after["channels_by_severity"]["high"] == ["webhook"]
    assert after["channels_by_severity"]["critical"] == before["channels_by_severity"]["critical"]
    assert after["channels_by_category"] == before["channels_by_category"]


@pytest.mark.usefixtures("default_rules")
def test_a_paging_severity_without_a_channel_is_refused(api: ApiClient) -> None:
    rules = api.get(RULES).body
    silent = {**rules, "channels_by_severity": {**rules["channels_by_severity"], "medium": []}}
    reply = api.put(RULES, silent)
    assert reply.status == 400
    assert reply.body["error"]["details"][0]["field"] == "body.channels_by_severity.medium"
    patched = api.patch(RULES, {"channels_by_severity": {"low": []}})
    assert patched.status == 400
    assert patched.body["error"]["details"][0]["field"] == "body.channels_by_severity.low"
    quiet_info = api.put(RULES, rules)
    assert quiet_info.status == 200 and quiet_info.body["channels_by_severity"]["info"] == []


@pytest.mark.usefixtures("fresh_policy")
def test_an_escalation_policy_naming_an_unknown_team_is_saved_with_a_warning(api: ApiClient) -> None:
    policy = {
        "rules": [
            {"escalation_level": 1, "escalate_to": "nobody_made_this_team", "escalate_after_seconds": 60},
            {"escalation_level": 2, "escalate_to": "support_team", "notification_channels": []},
        ],
        "fallback_target": "platform_team",
    }
    reply = api.put("/api/incident_response/escalation-rules", policy)
    assert reply.status == 200, reply.body
    assert [w["field"] for w in reply.body["warnings"]] == [
        "body.rules[0].escalate_to",
        "body.rules[1].notification_channels",
    ]
    assert "nobody_made_this_team" in reply.body["warnings"][0]["message"]
