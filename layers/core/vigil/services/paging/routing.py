"""Routing rules: which firing alerts open incidents and through which channels they page
(alerting rules), and which team a new incident goes to (assignment rules).

Warm functions keep the saved rules for a short time so that the ingest path reads nothing;
a save clears this function's copy at once, others within CACHE_SECONDS.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from vigil.adapters import stores
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import InvalidInput
from vigil.domain.incidents import AssignmentRules
from vigil.domain.teams import AlertingRules
from vigil.observability import logger
from vigil.services.warm import Remembered

CACHE_SECONDS = 30
# The saved rules by kind ("alerting", "assignment"): {} when none are saved.
_saved: Remembered[str, dict[str, Any]] = Remembered(
    lambda kind: stores.config.current(kind) or {}, CACHE_SECONDS
)


def load_alerting_rules() -> AlertingRules:
    saved = _saved.get("alerting") or {}
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
    saved = _saved.get("assignment") or {}
    return AssignmentRules.model_validate(saved["rules"]) if saved else AssignmentRules()


def save_assignment_rules(rules: AssignmentRules, actor: str) -> AssignmentRules:
    _save("assignment", rules.model_dump(mode="json"), actor)
    return rules


def _save(kind: str, rules: dict[str, object], actor: str) -> None:
    stores.config.save(kind, {"rules": rules, "saved_by": actor, "saved_at": iso(utcnow())})
    _saved.forget()


def channels_for(incident: dict[str, Any]) -> list[str]:
    """The channels an incident pages through, by its severity and category."""
    return load_alerting_rules().channels(incident["severity"], incident.get("category"))
