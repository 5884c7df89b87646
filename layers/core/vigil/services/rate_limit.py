"""Per-integration rate limit: a token bucket in each warm function instance.

This keeps one noisy sender from flooding Vigil without adding a DynamoDB write to every
alert (the budget of a duplicate is one write). With N concurrent instances the effective
limit is up to N times the setting; API Gateway's stage throttling caps the total.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from vigil.domain.errors import RateLimited


@dataclass
class _Bucket:
    tokens: float
    updated: float


_buckets: dict[str, _Bucket] = {}
_lock = threading.Lock()


def take(integration_id: str, per_minute: int, cost: int = 1) -> None:
    """Spend `cost` events, or raise RateLimited with the seconds to wait."""
    rate = per_minute / 60.0
    now = time.monotonic()
    with _lock:
        bucket = _buckets.setdefault(integration_id, _Bucket(tokens=float(per_minute), updated=now))
        bucket.tokens = min(float(per_minute), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens < cost:
            wait = math.ceil((cost - bucket.tokens) / rate)
            raise RateLimited(
                f"more than {per_minute} events a minute for this integration", retry_after=wait
            )
        bucket.tokens -= cost
