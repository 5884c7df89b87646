"""Spent action links: each link's nonce can be spent once."""

from __future__ import annotations

from datetime import datetime

from vigil.adapters import dynamo
from vigil.domain.clock import iso


def spend(nonce: str, *, now: datetime, forget_after: datetime) -> bool:
    """False when the nonce was spent already."""
    item = {
        "pk": f"LINKNONCE#{nonce}",
        "sk": "SPENT",
        "at": iso(now),
        "expires_at": int(forget_after.timestamp()),
    }
    try:
        dynamo.put(item, condition="attribute_not_exists(pk)")
    except dynamo.ConditionFailed:
        return False
    return True
