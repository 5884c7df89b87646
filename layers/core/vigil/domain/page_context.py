"""What a page tells a responder besides the incident: how many alerts, their labels, and the
links the senders gave (source, runbook, dashboard, panel, images). Pure: built from the
stored alerts of the incident."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

MAX_LABELS = 20
MAX_LINKS = 8
MAX_URL = 2000
# Sender fields (in an alert's details) that are links, and what a page calls them.
DETAIL_LINKS = {
    "dashboardURL": "dashboard",
    "panelURL": "panel",
    "silenceURL": "silence",
    "imageURL": "image",
    "image_url": "image",
}


def page_context(alerts: list[dict[str, Any]], alert_count: int) -> dict[str, Any]:
    """`alerts` oldest first; the first alert's values win where alerts differ."""
    labels: dict[str, str] = {}
    links: list[dict[str, str]] = []
    for alert in alerts:
        for name, value in (alert.get("labels") or {}).items():
            if len(labels) < MAX_LABELS:
                labels.setdefault(str(name), str(value))
        for title, url in _links_of(alert):
            if safe_url(url) and all(link["url"] != url for link in links) and len(links) < MAX_LINKS:
                links.append({"title": title, "url": url})
    return {"alert_count": max(alert_count, len(alerts)), "labels": labels, "links": links}


def safe_url(url: object) -> bool:
    """An absolute http(s) URL that no channel can mistake for markup (Slack's <url|text>)."""
    if not isinstance(url, str) or len(url) > MAX_URL or any(c in url for c in ' <>|"\n\r\t'):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _links_of(alert: dict[str, Any]) -> list[tuple[str, str]]:
    details = alert.get("details") or {}
    found = [("source", alert.get("source_url") or "")]
    annotations = details.get("annotations")
    if not isinstance(annotations, dict):
        annotations = {}
    found += [(_titled(name), value) for name, value in annotations.items() if isinstance(value, str)]
    found += [(title, details.get(name) or "") for name, title in DETAIL_LINKS.items()]
    found += [(_text(link, "text", "link"), link.get("href", "")) for link in _dicts(details.get("links"))]
    found += [(_text(image, "alt", "image"), image.get("src", "")) for image in _dicts(details.get("images"))]
    return found


def _titled(annotation: str) -> str:
    """runbook_url → runbook; dashboardURL → dashboard."""
    name = annotation.removesuffix("_url").removesuffix("URL").removesuffix("Url")
    return name or annotation


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(item: dict[str, Any], key: str, default: str) -> str:
    text = item.get(key)
    return text[:100] if isinstance(text, str) and text.strip() else default
