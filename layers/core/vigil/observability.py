"""The one owner of Powertools Logger, Metrics and Tracer."""

from __future__ import annotations

import warnings
from functools import cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

# A request that emits no metric is normal (health checks, reads).
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service="vigil")
metrics = Metrics(namespace="Vigil", service="vigil")

__all__ = ["MetricUnit", "count", "logger", "metrics", "tracer"]


@cache
def tracer() -> Tracer:
    """Created on first use: the X-Ray SDK costs ~0.2 s of cold start, which the ingest
    function does not pay (Lambda's active tracing still records its invocations)."""
    from aws_lambda_powertools import Tracer

    return Tracer(service="vigil")


def count(name: str, value: float = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
