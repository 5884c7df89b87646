"""What an API key may do. Three scopes, each including the one before:

- read-only: every GET (dashboards, status pages, audits);
- responder: also work incidents and alerts (acknowledge, resolve, notes, escalate, send alerts,
  silences, replays);
- admin: also change configuration (keys, integrations, teams, rules, templates, playbooks,
  policies) and delete incidents.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Scope(StrEnum):
    READ_ONLY = "read-only"
    RESPONDER = "responder"
    ADMIN = "admin"


RANK = {Scope.READ_ONLY: 0, Scope.RESPONDER: 1, Scope.ADMIN: 2}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Asking "what would happen" changes nothing.
READ_ONLY_POSTS = re.compile(r"^/api/(incident_response/escalation-rules/simulate|config/plan|replay)$")
ADMIN_PATHS = re.compile(
    r"^/api/(keys|integrations|teams|users|schedules|escalation-policies|services|heartbeats|import|config"
    r"|alerting/rules|alerting/templates|alerting/test"
    r"|incident_response/(assignment-rules|escalation-rules|playbooks))(/|$)"
)
INCIDENT = re.compile(r"^/api/incident_response/inc_[^/]+$")


def required_scope(method: str, path: str) -> Scope:
    method, path = method.upper(), path.rstrip("/")
    if method in SAFE_METHODS or (method == "POST" and READ_ONLY_POSTS.match(path)):
        return Scope.READ_ONLY
    if ADMIN_PATHS.match(path) or (method == "DELETE" and INCIDENT.match(path)):
        return Scope.ADMIN
    return Scope.RESPONDER


def allows(granted: str | None, needed: Scope) -> bool:
    """Keys made before scopes existed are admin keys."""
    return RANK[Scope(granted or Scope.ADMIN)] >= RANK[needed]
