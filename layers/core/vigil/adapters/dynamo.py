"""DynamoDB access for the single Vigil table (key design: docs/design.md). The stores in
vigil.adapters.stores use it; a failed condition leaves as ConditionFailed, throttling as
vigil.domain.errors.Throttled."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from vigil.adapters.aws import call, error_code
from vigil.config import settings
from vigil.domain.errors import InvalidInput, Throttled

Item = dict[str, Any]
T = TypeVar("T")
CONDITION_CODES = frozenset({"ConditionalCheckFailedException", "TransactionCanceledException"})


class ConditionFailed(Exception):
    """A conditional write did not hold; `item` is the item as it was (when DynamoDB says)."""

    def __init__(self, item: Item | None = None) -> None:
        super().__init__("condition failed")
        self.item = item


def _dynamodb(operation: str, **params: Any) -> Any:
    try:
        return call("dynamodb", operation, TableName=table_name(), **params)
    except Exception as error:
        if error_code(error) not in CONDITION_CODES:
            raise
        old = getattr(error, "response", {}).get("Item")
        raise ConditionFailed(deserialize(old) if old else None) from None


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        # DynamoDB numbers have no NaN or infinity: keep those as text rather than fail the write.
        return Decimal(str(value)) if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_from_dynamo(v) for v in value]
    return value


def serialize(item: Mapping[str, Any], *, keep_none: bool = False) -> dict[str, Any]:
    """Attributes that are None are left out of items; expression values keep them as NULL."""
    return {k: _attribute(_to_dynamo(v)) for k, v in item.items() if keep_none or v is not None}


def deserialize(raw: Mapping[str, Any]) -> Item:
    return {k: _from_dynamo(_value(v)) for k, v in raw.items()}


# DynamoDB's attribute values, written here rather than imported from boto3.dynamodb.types:
# importing that imports all of boto3 (and s3transfer), a third of the ingest function's cold start.
def _attribute(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, Mapping):
        return {"M": {k: _attribute(v) for k, v in value.items()}}
    if isinstance(value, list):
        return {"L": [_attribute(v) for v in value]}
    if isinstance(value, set | frozenset) and value:
        return _set_attribute(value)
    raise TypeError(f"{type(value).__name__} cannot be stored in DynamoDB")


def _set_attribute(values: set[Any] | frozenset[Any]) -> dict[str, Any]:
    if all(isinstance(v, str) for v in values):
        return {"SS": list(values)}
    if all(isinstance(v, int | Decimal) and not isinstance(v, bool) for v in values):
        return {"NS": [str(v) for v in values]}
    if all(isinstance(v, bytes | bytearray) for v in values):
        return {"BS": [bytes(v) for v in values]}
    raise TypeError("a set stored in DynamoDB holds strings, numbers or bytes, one kind only")


def _value(attribute: Mapping[str, Any]) -> Any:
    ((kind, raw),) = attribute.items()
    match kind:
        case "NULL":
            return None
        case "N":
            return Decimal(raw)
        case "M":
            return {k: _value(v) for k, v in raw.items()}
        case "L":
            return [_value(v) for v in raw]
        case "NS":
            return {Decimal(v) for v in raw}
        case "SS" | "BS":
            return set(raw)
        case _:  # S, BOOL, B
            return raw


def key(pk: str, sk: str) -> dict[str, Any]:
    return serialize({"pk": pk, "sk": sk})


def table_name() -> str:
    return settings().table_name


def get(pk: str, sk: str, *, consistent: bool = False) -> Item | None:
    response = _dynamodb("get_item", Key=key(pk, sk), ConsistentRead=consistent)
    raw = response.get("Item")
    return deserialize(raw) if raw else None


BATCH_GET_KEYS = 100  # DynamoDB's limit per BatchGetItem
BATCH_GET_ROUNDS = 5  # rounds for keys DynamoDB leaves unprocessed (throttled) before giving up


def batch_get(keys: list[tuple[str, str]]) -> list[Item]:
    """The items of these (pk, sk) keys that exist, in no particular order: one BatchGetItem
    per 100 keys (repeated keys asked once), plus a round for any keys it left unprocessed."""
    unique = [serialize({"pk": pk, "sk": sk}) for pk, sk in dict.fromkeys(keys)]
    found: list[Item] = []
    for start in range(0, len(unique), BATCH_GET_KEYS):
        found += _batch_get_all({table_name(): {"Keys": unique[start : start + BATCH_GET_KEYS]}})
    return found


def _batch_get_all(request: dict[str, Any]) -> list[Item]:
    found: list[Item] = []
    for _ in range(BATCH_GET_ROUNDS):
        response = call("dynamodb", "batch_get_item", RequestItems=request)
        found += [deserialize(raw) for raw in response.get("Responses", {}).get(table_name(), [])]
        request = response.get("UnprocessedKeys") or {}
        if not request:
            return found
    raise Throttled("DynamoDB left keys of a batch read unprocessed; retry")


def put(
    item: Mapping[str, Any], *, condition: str | None = None, values: Mapping[str, Any] | None = None
) -> None:
    """Raises ConditionFailed when the condition does not hold."""
    params: dict[str, Any] = {"Item": serialize(item)}
    if condition:
        params["ConditionExpression"] = condition
    if values:
        params["ExpressionAttributeValues"] = serialize(values)
    _dynamodb("put_item", **params)


def update(
    pk: str,
    sk: str,
    expression: str,
    values: Mapping[str, Any] | None = None,
    *,
    names: Mapping[str, str] | None = None,
    condition: str | None = None,
    returns: str = "ALL_NEW",
) -> Item:
    """The item after (or before, `returns="ALL_OLD"`) the update; raises ConditionFailed with
    the item as it was when the condition does not hold."""
    params: dict[str, Any] = {
        "Key": key(pk, sk),
        "UpdateExpression": expression,
        "ReturnValues": returns,
    }
    if values:
        params["ExpressionAttributeValues"] = serialize(values, keep_none=True)
    if names:
        params["ExpressionAttributeNames"] = dict(names)
    if condition:
        params["ConditionExpression"] = condition
        params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    response = _dynamodb("update_item", **params)
    return deserialize(response.get("Attributes", {}))


def delete(
    pk: str, sk: str, *, condition: str | None = None, values: Mapping[str, Any] | None = None
) -> bool:
    """Delete an item; False when the condition did not hold."""
    params: dict[str, Any] = {"Key": key(pk, sk)}
    if condition:
        params["ConditionExpression"] = condition
    if values:
        params["ExpressionAttributeValues"] = serialize(values)
    try:
        _dynamodb("delete_item", **params)
    except ConditionFailed:
        return False
    return True


def query(
    pk_value: str,
    *,
    index: str | None = None,
    sk_prefix: str | None = None,
    sk_between: tuple[str, str] | None = None,
    newest_first: bool = False,
    limit: int | None = None,
    start_key: Mapping[str, Any] | None = None,
    consistent: bool = False,
    only: tuple[str, ...] = (),
) -> tuple[list[Item], dict[str, Any] | None]:
    """One page of a query on the table or an index; returns items (with `only` these
    attributes, when given) and the next start key."""
    pk_name, sk_name = ("pk", "sk") if index is None else (f"{index}pk", f"{index}sk")
    expression = "#pk = :pk"
    values: dict[str, Any] = {":pk": pk_value}
    if sk_prefix:
        expression += " AND begins_with(#sk, :prefix)"
        values[":prefix"] = sk_prefix
    elif sk_between:
        expression += " AND #sk BETWEEN :low AND :high"
        values[":low"], values[":high"] = sk_between
    names = {"#pk": pk_name, **({"#sk": sk_name} if sk_prefix or sk_between else {})}
    params: dict[str, Any] = {
        "KeyConditionExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": serialize(values),
        "ScanIndexForward": not newest_first,
    }
    if index:
        params["IndexName"] = index
    if limit:
        params["Limit"] = limit
    if start_key:
        params["ExclusiveStartKey"] = start_key
    if consistent:
        params["ConsistentRead"] = True
    if only:
        params["ProjectionExpression"] = ", ".join(f"#a{n}" for n in range(len(only)))
        names.update({f"#a{n}": name for n, name in enumerate(only)})
    response = _dynamodb("query", **params)
    items = [deserialize(raw) for raw in response.get("Items", [])]
    return items, response.get("LastEvaluatedKey")


def query_all(pk_value: str, **kwargs: Any) -> Iterator[Item]:
    start: dict[str, Any] | None = None
    while True:
        items, start = query(pk_value, start_key=start, **kwargs)
        yield from items
        if not start:
            return


def transact(operations: list[dict[str, Any]]) -> None:
    """Write several items atomically. Each operation is a TransactWriteItems entry whose
    Item/Key/ExpressionAttributeValues are plain Python values (serialized here)."""
    items = [_serialize_op(op) for op in operations]
    try:
        call("dynamodb", "transact_write_items", TransactItems=items)
    except Exception as error:
        if error_code(error) in CONDITION_CODES:
            raise ConditionFailed() from None
        raise


def _serialize_op(operation: dict[str, Any]) -> dict[str, Any]:
    ((kind, body),) = operation.items()
    body = {"TableName": table_name(), **body}
    for field in ("Item", "Key", "ExpressionAttributeValues"):
        if field in body:
            body[field] = serialize(body[field])
    return {kind: body}


# Items read per Query while a filtered page fills: a filter that matches little reads far, and
# fewer, larger Queries read the same items with fewer round trips (DynamoDB caps each at 1 MB).
FILTERED_READ = 1000


def page(
    pk_value: str,
    index: str,
    parse: Callable[[Item], T],
    keep: Callable[[T], bool],
    limit: int,
    cursor: str | None,
    *,
    sk_between: tuple[str, str] | None = None,
) -> tuple[list[T], str | None]:
    """One page of an index, newest first: each item parsed once, those `keep` accepts; the
    cursor is opaque."""
    start = _decode_cursor(cursor, index, pk_value)
    found: list[T] = []
    while len(found) < limit:
        items, start = query(
            pk_value,
            index=index,
            newest_first=True,
            limit=FILTERED_READ,
            start_key=start,
            sk_between=sk_between,
        )
        for item in items:
            parsed = parse(item)
            if keep(parsed):
                found.append(parsed)
                if len(found) == limit:
                    start = serialize({k: item[k] for k in ("pk", "sk", f"{index}pk", f"{index}sk")})
                    break
        if not start:
            break
    more = start is not None and len(found) == limit
    return found, base64.urlsafe_b64encode(
        json.dumps(start, sort_keys=True).encode()
    ).decode() if more else None


def _decode_cursor(cursor: str | None, index: str, pk_value: str) -> dict[str, Any] | None:
    """The start key a cursor of this listing carries; anything else is a 400, never a query
    DynamoDB would refuse (a 500) or one that reads another listing."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:
        key = None
    names = {"pk", "sk", f"{index}pk", f"{index}sk"}
    well_formed = (
        isinstance(key, dict)
        and set(key) == names
        and all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in key.values())
        and all(0 < len(v["S"]) <= 1024 for v in key.values())
    )
    if not well_formed or key[f"{index}pk"]["S"] != pk_value:
        raise InvalidInput("cursor", "not a cursor this API returned")
    return dict(key)
