"""The one owner of Powertools Logger and Metrics.

No function creates Powertools' Tracer: the X-Ray SDK it loads, and the botocore client and
modules it patches at creation, were the largest part of every function's cold import
(docs/benchmarks.md). Lambda's active tracing (template.yaml) still records each invocation."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

# A request that emits no metric is normal (health checks, reads).
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service="vigil")
metrics = Metrics(namespace="Vigil", service="vigil")

__all__ = ["MetricUnit", "count", "logger", "metrics"]


def count(name: str, value: float = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
