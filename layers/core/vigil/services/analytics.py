"""Analytics over a time range: incidents opened and alerts first seen in it."""

from __future__ import annotations

from datetime import timedelta

from vigil.adapters import stores
from vigil.domain.analytics import Analytics, summarize
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import InvalidInput

DEFAULT_RANGE = timedelta(days=30)


def analytics(since: str | None, until: str | None) -> Analytics:
    until = until or iso(utcnow())
    since = since or iso(utcnow() - DEFAULT_RANGE)
    if since > until:
        raise InvalidInput("since", "must be before until")
    window = (since, until + "\uffff")
    incidents = list(stores.incidents.created_between(window))
    occurrences = [alert.occurrences for alert in stores.alerts.first_seen_between(window)]
    return summarize(incidents, occurrences, since, until)
