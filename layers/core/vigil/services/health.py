"""Health: the version, whether each component this function depends on answers, and the
configuration checks (warnings about what is set up but cannot page as meant)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from vigil import __version__
from vigil.adapters import health as probes
from vigil.adapters import stores
from vigil.domain.clock import utcnow
from vigil.domain.schedules import gaps
from vigil.observability import logger

LOOKAHEAD = timedelta(days=7)


def health(*, with_configuration: bool) -> dict[str, Any]:
    components = probes.probe_components()
    healthy = all(c["status"] == "ok" for c in components)
    return {
        "status": "ok" if healthy else "degraded",
        "version": __version__,
        "components": components,
        "warnings": configuration_warnings() if healthy and with_configuration else [],
    }


def configuration_warnings() -> list[str]:
    """Schedules with nobody on call for a while in the next week."""
    now = utcnow()
    try:
        schedules = stores.schedules.all_stored()
    except Exception:  # a health check reports, it does not fail
        logger.warning("configuration checks skipped: schedules unreadable")
        return []
    warnings = []
    for schedule in schedules:
        found = gaps(schedule.schedule, now, now + LOOKAHEAD)
        if found:
            warnings.append(
                f"schedule {schedule.schedule_id}: nobody on call for {len(found)} stretch(es) in the next "
                f"7 days, the first from {found[0].start.isoformat()} to {found[0].end.isoformat()}"
            )
    return warnings
