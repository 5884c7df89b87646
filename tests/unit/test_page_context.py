"""Pages carry context (issue 16): alert count, labels and the senders' links, from the real
captures of tests/fixtures/payloads/, in every channel; alert text stays escaped."""

from __future__ import annotations

from typing import Any

import pytest
from vigil.adapters.templates import default_source, render
from vigil.domain.messages import SMS_LIMIT, slack_message, sms_text, webhook_event
from vigil.domain.page_context import page_context
from vigil.domain.parsers import parse

from tests.conftest import payload


def _stored(kind: str, name: str) -> list[dict[str, Any]]:
    return [a.model_dump(mode="json") for a in parse(kind, payload(name))]


def _links(kind: str, name: str) -> dict[str, str]:
    alerts = _stored(kind, name)
    return {link["title"]: link["url"] for link in page_context(alerts, len(alerts))["links"]}


def test_alertmanager_source_and_runbook_annotations_become_links() -> None:
    links = _links("alertmanager", "alertmanager_v4_firing_alerta.json")
    assert links["source"].startswith("http://somehost:9090/graph?g0.expr=")
    assert links["runbookGood"] == "https://internal.myorg.net/wiki/alerts/{alertname}"
    assert "description" not in links  # an annotation that is not a URL is not a link


def test_grafana_dashboard_panel_and_silence_urls_become_links() -> None:
    links = _links("grafana", "grafana_unified_alerting_webhook_v12_firing_keep.json")
    assert {"source", "dashboard", "panel", "silence"} <= set(links)


def test_pagerduty_links_and_images_and_datadog_links() -> None:
    pagerduty = _links("pagerduty", "pagerduty_events_v2_trigger_pd_docs.json")
    assert pagerduty["Link text"] == "https://example.com/"
    assert pagerduty["Example text"].endswith("pagerduty-logo-green.png")
    datadog = _links("datadog", "datadog_webhook_triggered_keep.json")
    assert datadog["source"].startswith("https://app.datadoghq.com/")


def test_labels_of_all_alerts_and_the_count() -> None:
    alerts = [
        {"labels": {"alertname": "DiskFull", "host": "db-1"}},
        {"labels": {"alertname": "DiskFull", "host": "db-2", "mount": "/var"}},
    ]
    context = page_context(alerts, 2)
    assert context["alert_count"] == 2
    assert context["labels"] == {"alertname": "DiskFull", "host": "db-1", "mount": "/var"}


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "https://x.example/a|b",
        "https://x.example/<b>",
        "/relative",
        "ftp://x.example/",
    ],
)
def test_only_plain_http_links_are_kept(url: str) -> None:
    assert page_context([{"source_url": url}], 1)["links"] == []


HOSTILE_CONTEXT = {
    "alert_count": 3,
    "labels": {"team": "<!channel> <script>x</script>", "instance": "db-1"},
    "links": [
        {"title": "runbook <b>", "url": "https://runbooks.example/db?a=1&b=2"},
        {"title": "source", "url": "https://prometheus.example/graph"},
    ],
}
INCIDENT = {
    "incident_id": "inc_0123456789abcdef0123",
    "severity": "critical",
    "status": "open",
    "assigned_team": "database_team",
    "created_at": "2026-12-02T05:00:00.000Z",
    "title": "Postgres down on db-1",
    "description": "",
    "context": HOSTILE_CONTEXT,
}


def _email(name: str) -> str:
    links = {"acknowledge": None, "resolve": None}
    return render(
        default_source(name),
        {"incident": INCIDENT, "links": links, "context": HOSTILE_CONTEXT},
        html=name == "email_html",
    )


def test_email_text_lists_count_labels_and_links() -> None:
    text = _email("email_text")
    assert "Alerts: 3" in text and "instance=db-1" in text
    assert "Runbook <b>: https://runbooks.example/db?a=1&b=2" in text
    assert "Source: https://prometheus.example/graph" in text


def test_email_html_escapes_labels_and_link_titles() -> None:
    html = _email("email_html")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="https://runbooks.example/db?a=1&amp;b=2">Runbook &lt;b&gt;</a>' in html
    assert "<strong>Alerts:</strong> 3" in html


def test_slack_blocks_carry_labels_as_plain_text_and_escaped_links() -> None:
    blocks = slack_message(INCIDENT, "https://vigil.example/#/incidents/x")["blocks"]
    labels = next(b for b in blocks if b.get("text", {}).get("text", "").startswith("team="))
    assert labels["text"]["type"] == "plain_text"  # a label can never mention @channel
    links = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert (
        "<https://runbooks.example/db?a=1&amp;b=2|runbook &lt;b&gt;> · <https://prometheus.example/graph|source>"
        in links
    )
    fields = next(b["fields"] for b in blocks if "fields" in b)
    assert {"type": "mrkdwn", "text": "*Alerts*\n3"} in fields


def test_webhook_body_carries_the_context() -> None:
    message = {"delivery_id": "dlv_1", "team": "t", "rung": 0, "round": 0, "incident": INCIDENT}
    assert webhook_event(message)["incident"]["context"] == HOSTILE_CONTEXT


def test_sms_has_the_count_and_a_link_only_when_it_fits() -> None:
    text = sms_text(INCIDENT)
    assert len(text) <= SMS_LIMIT and "(3 alerts)" in text
    assert text.endswith(" https://runbooks.example/db?a=1&b=2")
    long_title = {**INCIDENT, "title": "x" * 200}
    cut = sms_text(long_title)
    assert len(cut) == SMS_LIMIT and "(3 alerts)" in cut and "https://" not in cut
