"""Incident response numbers over a set of incidents and alerts: pure arithmetic."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from statistics import mean

from vigil.domain.clock import parse_iso
from vigil.domain.incidents import StoredIncident
from vigil.domain.model import Model


class Analytics(Model):
    since: str
    until: str
    incidents: int
    by_status: dict[str, int]
    by_severity: dict[str, int]
    by_category: dict[str, int]
    by_team: dict[str, int]
    mtta_seconds: float | None
    mttr_seconds: float | None
    acknowledged: int
    resolved: int
    alerts_received: int
    distinct_alerts: int
    noise_reduction: float | None


def _seconds_between(start: str, end: str | None) -> float | None:
    return (parse_iso(end) - parse_iso(start)).total_seconds() if end else None


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(mean(present), 3) if present else None


def summarize(incidents: list[StoredIncident], occurrences: list[int], since: str, until: str) -> Analytics:
    """MTTA from opening to first acknowledgement, MTTR from opening to resolution;
    `occurrences`: how often each alert first seen in the range arrived."""
    received = sum(occurrences)
    return Analytics(
        since=since,
        until=until,
        incidents=len(incidents),
        by_status=dict(Counter(i.status for i in incidents)),
        by_severity=dict(Counter(i.severity for i in incidents)),
        by_category=dict(Counter(i.category or "none" for i in incidents)),
        by_team=dict(Counter(i.assigned_team or "none" for i in incidents)),
        mtta_seconds=_mean(_seconds_between(i.created_at, i.acknowledged_at) for i in incidents),
        mttr_seconds=_mean(_seconds_between(i.created_at, i.resolved_at) for i in incidents),
        acknowledged=sum(1 for i in incidents if i.acknowledged_at),
        resolved=sum(1 for i in incidents if i.resolved_at),
        alerts_received=received,
        distinct_alerts=len(occurrences),
        noise_reduction=round(1 - len(incidents) / received, 4) if received else None,
    )
