"""Integrations and their tokens: only a token's hash is stored, as the key of an item that
names its integration (and, after a rotation, until when the old token still works)."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from vigil.adapters import dynamo
from vigil.adapters.stores.keys import without_keys
from vigil.domain.clock import iso
from vigil.domain.errors import NotFound

Record = dict[str, Any]
INDEX = "INTEGRATIONS"
NO_TOKEN = "none"  # noqa: S105 - marks a built-in integration, not a secret


def _pk(integration_id: str) -> str:
    return f"INTEGRATION#{integration_id}"


def _token_pk(token_hash: str) -> str:
    return f"TOKEN#{token_hash}"


def _item(record: Record, token_hash: str) -> Record:
    integration_id = record["integration_id"]
    return {
        "pk": _pk(integration_id),
        "sk": "META",
        "gsi1pk": INDEX,
        "gsi1sk": integration_id,
        "token_hash": token_hash,
        **record,
    }


def _token_item(token_hash: str, integration_id: str) -> Record:
    return {"pk": _token_pk(token_hash), "sk": "TOKEN", "integration_id": integration_id}


def create(record: Record, token_hash: str) -> None:
    """The integration and its token, in one transaction."""
    dynamo.transact(
        [
            {"Put": {"Item": _item(record, token_hash), "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"Item": _token_item(token_hash, record["integration_id"])}},
        ]
    )


def create_tokenless(record: Record) -> Record:
    """A built-in integration (no token), unless it exists; the record as stored."""
    item = _item({**record, "token_prefix": NO_TOKEN}, NO_TOKEN)
    with contextlib.suppress(dynamo.ConditionFailed):
        dynamo.put(item, condition="attribute_not_exists(pk)")
    return without_keys(item)


def find(integration_id: str, *, consistent: bool = False) -> Record | None:
    """The integration, with its token hash."""
    item = dynamo.get(_pk(integration_id), "META", consistent=consistent)
    return without_keys(item) if item else None


def get(integration_id: str, *, consistent: bool = False) -> Record:
    record = find(integration_id, consistent=consistent)
    if record is None:
        raise NotFound(f"no integration {integration_id}")
    return record


def all_records() -> list[Record]:
    return [without_keys(i) for i in dynamo.query_all(INDEX, index="gsi1")]


def update(integration_id: str, sets: dict[str, Any]) -> Record:
    expression = "SET " + ", ".join(f"#{k} = :{k}" for k in sets)
    item = dynamo.update(
        _pk(integration_id),
        "META",
        expression,
        {f":{k}": v for k, v in sets.items()},
        names={f"#{k}": k for k in sets},
    )
    return without_keys(item)


def rotate(
    integration_id: str,
    old_hash: str,
    new_hash: str,
    prefix: str,
    *,
    now: datetime,
    old_valid_until: datetime,
) -> None:
    """The new token works at once; the old one until `old_valid_until`."""
    dynamo.transact(
        [
            {
                "Update": {
                    "Key": {"pk": _pk(integration_id), "sk": "META"},
                    "UpdateExpression": "SET token_hash = :new, token_prefix = :prefix, updated_at = :now",
                    "ConditionExpression": "token_hash = :old",
                    "ExpressionAttributeValues": {
                        ":new": new_hash,
                        ":prefix": prefix,
                        ":now": iso(now),
                        ":old": old_hash,
                    },
                }
            },
            {"Put": {"Item": _token_item(new_hash, integration_id)}},
            {
                "Put": {
                    "Item": {
                        **_token_item(old_hash, integration_id),
                        "valid_until": iso(old_valid_until),
                        "expires_at": int(old_valid_until.timestamp()),
                    }
                }
            },
        ]
    )


def delete(record: Record) -> None:
    dynamo.delete(_token_pk(record["token_hash"]), "TOKEN")
    dynamo.delete(_pk(record["integration_id"]), "META")


def token(token_hash: str) -> Record | None:
    """{"integration_id", "valid_until"?} of a token, or None."""
    item = dynamo.get(_token_pk(token_hash), "TOKEN")
    return without_keys(item) if item else None
