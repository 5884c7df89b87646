"""Routing rules: which firing alerts open incidents, and through which channels they page.

Warm functions keep the rules for a short time so that the ingest path reads nothing for a
known alert; a save clears this function's copy at once, others within CACHE_SECONDS.
"""

from __future__ import annotations

import time

from pydantic import ValidationError

from vigil.adapters import dynamo
from vigil.domain.clock import iso, utcnow
from vigil.domain.teams import AlertingRules
from vigil.observability import logger

CACHE_SECONDS = 30
_cached: tuple[float, AlertingRules] | None = None


def load_alerting_rules() -> AlertingRules:
    global _cached
    if _cached and time.monotonic() - _cached[0] < CACHE_SECONDS:
        return _cached[1]
    item = dynamo.get("CONFIG#alerting", "CURRENT")
    rules = AlertingRules()
    if item:
        try:
            rules = AlertingRules.model_validate(item["rules"])
        except (ValidationError, KeyError):
            logger.error("stored alerting rules are invalid; using the defaults")
    _cached = (time.monotonic(), rules)
    return rules


def save_alerting_rules(rules: AlertingRules, actor: str) -> AlertingRules:
    global _cached
    dynamo.put(
        {
            "pk": "CONFIG#alerting",
            "sk": "CURRENT",
            "rules": rules.model_dump(mode="json"),
            "saved_by": actor,
            "saved_at": iso(utcnow()),
        }
    )
    _cached = None
    return rules
