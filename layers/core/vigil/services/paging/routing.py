"""Routing rules: which firing alerts open incidents and through which channels they page
(alerting rules), and which team a new incident goes to (assignment rules).

The ingest path reads the saved rules from the live configuration (services/live_config.py:
one Query on a fresh instance, nothing on a warm one); a save writes the rules and their copy
there, and clears this function's copy at once, others within its CACHE_SECONDS.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from vigil.adapters import stores
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import InvalidInput
from vigil.domain.incidents import AssignmentRules, Incident
from vigil.domain.teams import AlertingRules
from vigil.observability import logger
from vigil.services import live_config


def _saved(kind: str) -> dict[str, Any]:
    """The saved rules of a kind ("alerting", "assignment"): {} when none are saved."""
    return live_config.current().rules.get(kind) or {}


def load_alerting_rules() -> AlertingRules:
    saved = _saved("alerting")
    if saved:
        try:
            return AlertingRules.model_validate(saved["rules"])
        except (ValidationError, KeyError):
            logger.error("stored alerting rules are invalid; using the defaults")
    return AlertingRules()


def save_alerting_rules(rules: AlertingRules, actor: str) -> AlertingRules:
    """Replace the rules; refused if a severity that opens incidents would page through no channel."""
    for severity in rules.open_incident_for:
        if not rules.channels_by_severity.get(severity):
            raise InvalidInput(
                f"body.channels_by_severity.{severity.value}",
                "opens incidents but pages through no channel: give it a channel, "
                "or leave it out of open_incident_for",
            )
    _save("alerting", rules.model_dump(mode="json"), actor)
    return rules


def patch_alerting_rules(changes: dict[str, Any], actor: str) -> AlertingRules:
    """Change only what `changes` names: per severity and per category for the channel maps
    (the others keep theirs), whole for the other fields."""
    saved = stores.config.current("alerting", consistent=True)
    current = AlertingRules.model_validate(saved["rules"]) if saved else AlertingRules()
    merged = current.model_dump(mode="json")
    for field, value in changes.items():
        merged[field] = {**merged[field], **value} if isinstance(value, dict) else value
    return save_alerting_rules(AlertingRules.model_validate(merged), actor)


def load_assignment_rules() -> AssignmentRules:
    saved = _saved("assignment")
    return AssignmentRules.model_validate(saved["rules"]) if saved else AssignmentRules()


def save_assignment_rules(rules: AssignmentRules, actor: str) -> AssignmentRules:
    _save("assignment", rules.model_dump(mode="json"), actor)
    return rules


def _save(kind: str, rules: dict[str, object], actor: str) -> None:
    body = {"rules": rules, "saved_by": actor, "saved_at": iso(utcnow())}
    stores.config.save(kind, body)
    live_config.keep(live_config.RULES, kind, body)


def channels_for(incident: Incident) -> list[str]:
    """The channels an incident pages through, by its severity and category."""
    return load_alerting_rules().channels(incident.severity, incident.category)
