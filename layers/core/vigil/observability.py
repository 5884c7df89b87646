"""The one owner of Powertools Logger, Metrics and Tracer."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

# A request that emits no metric is normal (health checks, reads).
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service="vigil")
metrics = Metrics(namespace="Vigil", service="vigil")
tracer = Tracer(service="vigil")

__all__ = ["MetricUnit", "logger", "metrics", "tracer"]


def count(name: str, value: float = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
