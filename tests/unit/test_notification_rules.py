"""Templates escape hostile input; outgoing HTTP refuses non-global targets when deployed;
backoff grows with jitter; signed links and Slack signatures hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from vigil.adapters import outbound_http
from vigil.adapters.templates import default_source, render
from vigil.config import settings
from vigil.domain import action_links, slack
from vigil.domain.errors import Unauthorized
from vigil.domain.messages import sms_text

HOSTILE = {
    "incident_id": "inc_x",
    "severity": "critical",
    "status": "open",
    "assigned_team": "web",
    "created_at": "2026-11-27T10:00:00.000Z",
    "title": "<script>alert(1)</script> {{ 7*7 }} {% for x in range(3) %}loop{% endfor %}",
    "description": "<img src=x onerror=alert(1)> {{ ''.__class__.__mro__ }}",
}

NO_ALERTS = {"alert_count": 0, "labels": {}, "links": []}


@pytest.mark.parametrize("name", ["email_subject", "email_html", "email_text"])
def test_templates_do_not_execute_jinja_in_alert_fields(name: str) -> None:
    out = render(
        default_source(name),
        {"incident": HOSTILE, "links": {"acknowledge": None, "resolve": None}, "context": NO_ALERTS},
        html=name == "email_html",
    )
    assert "49" not in out
    assert "looplooploop" not in out
    assert "{{ 7*7 }}" in out
    if name != "email_subject":
        assert "''.__class__.__mro__" in out.replace("&#39;", "'")


def test_html_template_escapes_markup() -> None:
    out = render(
        default_source("email_html"),
        {"incident": HOSTILE, "links": {"acknowledge": None, "resolve": None}, "context": NO_ALERTS},
        html=True,
    )
    assert "<script>" not in out and "&lt;script&gt;" in out and "<img" not in out


def test_user_templates_are_sandboxed() -> None:
    from vigil.domain.errors import InvalidInput

    with pytest.raises(InvalidInput):
        render("{{ incident.__class__.__mro__[1].__subclasses__() }}", {"incident": HOSTILE}, field="source")
    assert len(sms_text(HOSTILE)) <= 160


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("VIGIL_WEBHOOK_SCHEMES", "https")
    monkeypatch.setenv("VIGIL_WEBHOOK_ALLOW_LOOPBACK", "0")
    settings.cache_clear()
    yield
    settings.cache_clear()


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "https://127.0.0.1/hook",
        "https://10.0.0.1/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://169.254.169.254/latest",
        "https://localhost/x",
        "ftp://example.com/x",
    ],
)
def test_deployed_stack_refuses_non_https_and_non_global_targets(deployed: None, url: str) -> None:
    result = outbound_http.post_json(url, b"{}", {}, channel="webhook")
    assert not result.ok and result.status is None and result.error


def test_address_rules() -> None:
    assert outbound_http.allowed_address("93.184.216.34", allow_loopback=False)
    assert not outbound_http.allowed_address("::ffff:10.1.2.3", allow_loopback=False)
    assert not outbound_http.allowed_address("127.0.0.1", allow_loopback=False)
    assert outbound_http.allowed_address("127.0.0.1", allow_loopback=True)
    assert not outbound_http.allowed_address("192.168.1.1", allow_loopback=True)


def test_backoff_grows_exponentially_with_jitter() -> None:
    from vigil.services.paging.delivery import backoff_seconds

    samples = {attempt: [backoff_seconds(attempt, base=5) for _ in range(200)] for attempt in (1, 2, 3, 4)}
    assert all(0 <= s <= 5 for s in samples[1]) and all(0 <= s <= 40 for s in samples[4])
    assert max(samples[4]) > max(samples[1]) and len(set(samples[4])) > 5
    assert backoff_seconds(30, base=5) <= 900


NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_action_links_verify_expire_and_resist_tampering() -> None:
    token = action_links.sign("inc_1", "acknowledge", NOW, b"k1", nonce="n1")
    assert action_links.verify(token, [b"k2", b"k1"], NOW) == ("inc_1", "acknowledge", "n1")
    with pytest.raises(Unauthorized, match="expired"):
        action_links.verify(token, [b"k1"], NOW + timedelta(hours=25))
    with pytest.raises(Unauthorized):
        action_links.verify(token, [b"other"], NOW)
    payload, _, signature = token.partition(".")
    forged = action_links._b64(action_links._unb64(payload).replace(b"acknowledge", b"resolve"))
    with pytest.raises(Unauthorized):
        action_links.verify(f"{forged}.{signature}", [b"k1"], NOW)


def test_slack_signature_window() -> None:
    body = b"payload=%7B%7D"
    ts = str(int(NOW.timestamp()))
    signature = slack.expected_signature(b"s", ts, body)
    assert slack.request_is_genuine(b"s", ts, signature, body, NOW)
    assert not slack.request_is_genuine(b"s", ts, signature, body + b"x", NOW)
    assert not slack.request_is_genuine(b"s", ts, signature, body, NOW + timedelta(minutes=6))
    assert not slack.request_is_genuine(b"s", None, signature, body, NOW)
