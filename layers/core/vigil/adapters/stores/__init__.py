"""One store per aggregate: each owns its key strings, expressions and conditional writes on
the single table, returns records without storage keys, and raises typed errors (Conflict,
NotFound, Throttled) instead of botocore's. The table layout: docs/design.md.

Services use them as `stores.incidents.get(...)`, so a unit test can swap in a fake store."""

from vigil.adapters.stores import (
    alerts,
    api_keys,
    calendars,
    config,
    deliveries,
    handoffs,
    heartbeats,
    incidents,
    integrations,
    links,
    playbooks,
    policies,
    schedules,
    services,
    silences,
    teams,
    users,
)

__all__ = [
    "alerts",
    "api_keys",
    "calendars",
    "config",
    "deliveries",
    "handoffs",
    "heartbeats",
    "incidents",
    "integrations",
    "links",
    "playbooks",
    "policies",
    "schedules",
    "services",
    "silences",
    "teams",
    "users",
]
