"""What a page says on each channel: the default templates, users' overrides per channel and
severity (validated by rendering a sample when saved), and signed acknowledge/resolve links."""

from __future__ import annotations

import secrets
from typing import Any

from vigil.adapters import stores
from vigil.adapters.signing import signing_keys
from vigil.adapters.templates import check_structure, default_source, render
from vigil.domain import action_links
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import InvalidInput, NotFound
from vigil.domain.messages import sms_text
from vigil.domain.page_context import page_context
from vigil.domain.vocabulary import SEVERITIES

# Template ids: <channel>_<part>; an override may be for one severity: "email_subject:critical".
TEMPLATES = {
    "email_subject": {"channel": "email", "html": False},
    "email_html": {"channel": "email", "html": True},
    "email_text": {"channel": "email", "html": False},
    "sms_text": {"channel": "sms", "html": False},
}
SAMPLE_INCIDENT: dict[str, Any] = {
    "incident_id": "inc_sample0123456789ab",
    "title": "Database connection failure",
    "description": "orders-db: connection pool exhausted",
    "severity": "critical",
    "category": "database",
    "status": "open",
    "assigned_team": "database_team",
    "created_at": "2026-01-01T00:00:00.000Z",
    "source": "alertmanager",
}
SAMPLE_INCIDENT["context"] = {
    "alert_count": 2,
    "labels": {"alertname": "PostgresDown", "instance": "orders-db-1"},
    "links": [
        {"title": "source", "url": "https://prometheus.example/graph?g0.expr=pg_up"},
        {"title": "runbook", "url": "https://runbooks.example/postgres-down"},
    ],
}
SAMPLE_LINKS: dict[str, str | None] = {
    "acknowledge": "https://vigil.example/api/actions?token=sample",
    "resolve": "https://vigil.example/api/actions?token=sample",
    "console": "https://vigil.example/#/incidents/inc_sample",
}


def _split(template_id: str) -> tuple[str, str | None]:
    name, _, severity = template_id.partition(":")
    if name not in TEMPLATES:
        raise NotFound(f"no template {name}; templates: {', '.join(TEMPLATES)}")
    if severity and severity not in SEVERITIES:
        raise InvalidInput("template_id", f"unknown severity {severity!r}")
    return name, severity or None


def _default(name: str) -> str:
    return "{{ default_sms }}" if name == "sms_text" else default_source(name)


def source(name: str, severity: str) -> str:
    """The override for this severity, else the override for all, else the default."""
    for key in (f"{name}:{severity}", name):
        override = stores.config.template(key)
        if override is not None:
            return override
    return _default(name)


def render_template(name: str, incident: dict[str, Any], links: dict[str, str | None]) -> str:
    return render(
        source(name, incident["severity"]), _context(incident, links), html=bool(TEMPLATES[name]["html"])
    )


def _context(incident: dict[str, Any], links: dict[str, str | None]) -> dict[str, Any]:
    """What a template sees: the incident, its alerts' context, the action links."""
    alerts = incident.get("context") or page_context([], int(incident.get("alert_count") or 0))
    return {"incident": incident, "links": links, "context": alerts, "default_sms": sms_text(incident)}


def preview_template(template_id: str, text: str) -> dict[str, Any]:
    """The template rendered (in the sandbox) for the sample incident, without saving it; a
    template that does not render is refused as it would be when saved."""
    return {
        "template_id": template_id,
        "source": text,
        "custom": False,
        "preview": check_template(template_id, text),
    }


def save_template(template_id: str, text: str, actor: str) -> dict[str, Any]:
    previewed = preview_template(template_id, text)
    stores.config.save_template(template_id, text, actor=actor, at=iso(utcnow()))
    return previewed | {"custom": True}


def check_template(template_id: str, text: str) -> str:
    """The template rendered for the sample incident; InvalidInput if it does not render."""
    name, _ = _split(template_id)
    html = bool(TEMPLATES[name]["html"])
    check_structure(text, html=html, field="source")
    rendered = render(text, _context(SAMPLE_INCIDENT, SAMPLE_LINKS), html=html, field="source")
    if not rendered.strip():
        raise InvalidInput("source", "renders to nothing for the sample incident")
    return rendered


# The original spec's shape: an email template as {subject_template, body_template}, under
# the id "email" (or "email:<severity>"); it is email_subject and email_text.
PAIR = {"subject_template": "email_subject", "body_template": "email_text"}


def _pair_scope(template_id: str) -> str:
    """ "" or ":<severity>" for "email" or "email:<severity>"."""
    name, _, severity = template_id.partition(":")
    if name != "email":
        raise NotFound(f"no template {template_id}; as subject and body: email or email:<severity>")
    if severity and severity not in SEVERITIES:
        raise InvalidInput("template_id", f"unknown severity {severity!r}")
    return f":{severity}" if severity else ""


def get_pair(template_id: str) -> dict[str, Any]:
    """The email template of a severity (or of every one) as the original spec's subject and body."""
    scope = _pair_scope(template_id)
    pair = {field: source(name, scope[1:]) if scope else _for_all(name) for field, name in PAIR.items()}
    custom = any(stores.config.template(f"{name}{scope}") is not None for name in PAIR.values())
    return {"template_id": template_id, **pair, "custom": custom}


def _for_all(name: str) -> str:
    override = stores.config.template(name)
    return override if override is not None else _default(name)


def save_pair(template_id: str, subject: str, body: str, actor: str) -> dict[str, Any]:
    """Save both parts; each is checked by rendering it before either is stored."""
    scope = _pair_scope(template_id)
    texts = {"subject_template": subject, "body_template": body}
    for field, text in texts.items():
        try:
            check_template(PAIR[field], text)
        except InvalidInput as error:
            raise InvalidInput(f"body.{field}", error.details[0]["message"]) from None
    for field, text in texts.items():
        stores.config.save_template(f"{PAIR[field]}{scope}", text, actor=actor, at=iso(utcnow()))
    return {"template_id": template_id, **texts, "custom": True}


def list_templates() -> list[dict[str, Any]]:
    custom = stores.config.templates()
    defaults = [
        {"template_id": name, "source": custom.get(name, _default(name)), "custom": name in custom}
        for name in TEMPLATES
    ]
    overrides = [{"template_id": k, "source": v, "custom": True} for k, v in custom.items() if ":" in k]
    return defaults + overrides


def reset_template(template_id: str) -> None:
    _split(template_id)
    if not stores.config.delete_template(template_id):
        raise NotFound(f"template {template_id} has no override")


def action_links_for(incident_id: str, base: str) -> dict[str, str | None]:
    """Signed, expiring, single-purpose links under `base` (the public URL) that work without
    logging in; none without a public URL."""
    if not base:
        return {"acknowledge": None, "resolve": None, "console": None}
    key = signing_keys()[0]
    signed: dict[str, str | None] = {
        action: f"{base}/api/actions?token="
        + action_links.sign(incident_id, action, utcnow(), key, nonce=secrets.token_hex(8))
        for action in action_links.ACTIONS
    }
    return signed | {"console": console_link(base, incident_id)}


def console_link(base: str, incident_id: str) -> str:
    """The incident's page in the console (signing in first, if need be)."""
    return f"{base}/#/incidents/{incident_id}"
