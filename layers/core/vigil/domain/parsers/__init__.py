"""Pure parsers: one monitoring tool's webhook body -> a list of NormalizedAlert.

`parse(kind, payload)` dispatches on the integration kind. Every malformed payload raises
`InvalidInput` naming the offending field (``alerts[0].labels``, ``body`` for the body itself).
No I/O, no clock, no environment: the same payload always gives the same alerts.
"""

from __future__ import annotations

from collections.abc import Callable

from vigil.domain.alerts import NormalizedAlert
from vigil.domain.errors import InvalidInput
from vigil.domain.parsers.alertmanager import parse_alertmanager
from vigil.domain.parsers.cloudwatch import parse_cloudwatch, sns_envelope_type
from vigil.domain.parsers.datadog import parse_datadog
from vigil.domain.parsers.generic import parse_generic
from vigil.domain.parsers.grafana import parse_grafana
from vigil.domain.parsers.pagerduty import parse_pagerduty, validate_pagerduty_event

__all__ = [
    "KINDS",
    "PARSERS",
    "parse",
    "sns_envelope_type",
    "validate_pagerduty_event",
]

PARSERS: dict[str, Callable[[object], list[NormalizedAlert]]] = {
    "alertmanager": parse_alertmanager,
    "grafana": parse_grafana,
    "cloudwatch": parse_cloudwatch,
    "datadog": parse_datadog,
    "pagerduty": parse_pagerduty,
    "generic": parse_generic,
}
KINDS: tuple[str, ...] = tuple(PARSERS)


def parse(kind: str, payload: object) -> list[NormalizedAlert]:
    """The alerts in `payload`, sent by an integration of `kind` (one of KINDS)."""
    parser = PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise InvalidInput("kind", f"unknown integration kind; expected one of: {', '.join(KINDS)}")
    try:
        return parser(payload)
    except RecursionError:
        raise InvalidInput("body", "is nested too deeply") from None
