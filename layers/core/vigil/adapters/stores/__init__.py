"""One store per aggregate: each owns its key strings, expressions and conditional writes on
the single table, returns records without storage keys, and raises typed errors (Conflict,
NotFound, Throttled) instead of botocore's. The table layout: docs/design.md.

Services use them as `stores.incidents.get(...)`, so a unit test can swap in a fake store.
Each store is imported when it is first used, not with the package: a function's cold start
loads only the stores (and the domain models they bring) that its requests touch."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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


def __getattr__(name: str) -> ModuleType:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return importlib.import_module(f"{__name__}.{name}")
