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
from vigil.domain.integrations import Integration

Record = dict[str, Any]
INDEX = "INTEGRATIONS"
NO_TOKEN = "none"  # noqa: S105 - marks a built-in integration, not a secret


def _pk(integration_id: str) -> str:
    return f"INTEGRATION#{integration_id}"


def _token_pk(token_hash: str) -> str:
    return f"TOKEN#{token_hash}"


def _item(integration: Integration) -> Record:
    return {
        "pk": _pk(integration.integration_id),
        "sk": "META",
        "gsi1pk": INDEX,
        "gsi1sk": integration.integration_id,
        **integration.model_dump(),
    }


def _entity(item: Record) -> Integration:
    return Integration.model_validate(without_keys(item))


def _token_item(token_hash: str, integration_id: str) -> Record:
    return {"pk": _token_pk(token_hash), "sk": "TOKEN", "integration_id": integration_id}


def create(integration: Integration) -> None:
    """The integration and its token, in one transaction."""
    dynamo.transact(
        [
            {"Put": {"Item": _item(integration), "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"Item": _token_item(integration.token_hash, integration.integration_id)}},
        ]
    )


def create_tokenless(integration: Integration) -> Integration:
    """A built-in integration (no token), unless it exists."""
    tokenless = integration.model_copy(update={"token_prefix": NO_TOKEN, "token_hash": NO_TOKEN})
    with contextlib.suppress(dynamo.ConditionFailed):
        dynamo.put(_item(tokenless), condition="attribute_not_exists(pk)")
    return tokenless


def find(integration_id: str, *, consistent: bool = False) -> Integration | None:
    item = dynamo.get(_pk(integration_id), "META", consistent=consistent)
    return _entity(item) if item else None


def get(integration_id: str, *, consistent: bool = False) -> Integration:
    integration = find(integration_id, consistent=consistent)
    if integration is None:
        raise NotFound(f"no integration {integration_id}")
    return integration


def all_stored() -> list[Integration]:
    return [_entity(i) for i in dynamo.query_all(INDEX, index="gsi1")]


def update(integration_id: str, sets: dict[str, Any]) -> Integration:
    expression = "SET " + ", ".join(f"#{k} = :{k}" for k in sets)
    item = dynamo.update(
        _pk(integration_id),
        "META",
        expression,
        {f":{k}": v for k, v in sets.items()},
        names={f"#{k}": k for k in sets},
    )
    return _entity(item)


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


def delete(integration: Integration) -> None:
    dynamo.delete(_token_pk(integration.token_hash), "TOKEN")
    dynamo.delete(_pk(integration.integration_id), "META")


def token(token_hash: str) -> Record | None:
    """{"integration_id", "valid_until"?} of a token, or None."""
    item = dynamo.get(_token_pk(token_hash), "TOKEN")
    return without_keys(item) if item else None
