"""Configuration records: the current one of each kind (`CONFIG#<kind>` / `CURRENT`), the
escalation policy's saved versions (`V#<n>`), the message templates (one item each), and the
live configuration: one partition (`CONFIG#live`) holding a copy of everything the ingest path
reads (sort key `<section>#<key>`, the copy in `body`), read with one Query."""

from __future__ import annotations

import contextlib
from typing import Any

from vigil.adapters import dynamo
from vigil.domain.errors import Conflict

Record = dict[str, Any]
CURRENT = "CURRENT"
TEMPLATES = "CONFIG#template"
LIVE = "CONFIG#live"
BUILT = "BUILT"  # the live partition's marker: written once its copies were made


def _pk(kind: str) -> str:
    return f"CONFIG#{kind}"


def current(kind: str, *, consistent: bool = False) -> Record | None:
    """The current record's body (e.g. {"rules": ..., "saved_by": ..., "saved_at": ...})."""
    item = dynamo.get(_pk(kind), CURRENT, consistent=consistent)
    return {k: v for k, v in item.items() if k not in ("pk", "sk")} if item else None


def save(kind: str, body: Record) -> None:
    dynamo.put({"pk": _pk(kind), "sk": CURRENT, **body})


def save_version(kind: str, version: int, body: Record, *, first: bool) -> None:
    """Keep `body` as version `version` and make it current. `first`: only if none is current yet
    (raises Conflict when a concurrent first save won)."""
    dynamo.put({"pk": _pk(kind), "sk": f"V#{version:06d}", **body})
    try:
        dynamo.put(
            {"pk": _pk(kind), "sk": CURRENT, **body}, condition="attribute_not_exists(pk)" if first else None
        )
    except dynamo.ConditionFailed:
        raise Conflict(f"the {kind} configuration was saved meanwhile; reload and retry") from None


def forget(kind: str) -> None:
    dynamo.delete(_pk(kind), CURRENT)


# ----------------------------------------------------------------------------- templates
def template(template_id: str) -> str | None:
    item = dynamo.get(TEMPLATES, template_id)
    return str(item["source"]) if item else None


def templates() -> dict[str, str]:
    return {i["sk"]: i["source"] for i in dynamo.query_all(TEMPLATES)}


def save_template(template_id: str, source: str, *, actor: str, at: str) -> None:
    dynamo.put({"pk": TEMPLATES, "sk": template_id, "source": source, "saved_by": actor, "saved_at": at})


def delete_template(template_id: str) -> bool:
    """False when there was no override."""
    return dynamo.delete(TEMPLATES, template_id, condition="attribute_exists(pk)")


# ----------------------------------------------------------------------------- configuration as code
def claim_revision(kind: str, revision: int, body: Record) -> None:
    """Make `revision` current if revision - 1 still is (raises Conflict when another apply won)."""
    values = {f":{name}": value for name, value in body.items()} | {":next": revision, ":prev": revision - 1}
    sets = ", ".join(f"#{name} = :{name}" for name in body)
    try:
        dynamo.update(
            _pk(kind),
            CURRENT,
            f"SET revision = :next, {sets}",
            values,
            names={f"#{name}": name for name in body},
            condition="attribute_not_exists(pk) OR revision = :prev",
        )
    except dynamo.ConditionFailed:
        raise Conflict("another configuration was applied meanwhile; plan again") from None


def mark_revision(kind: str, fields: Record) -> None:
    """Change the current revision's record (its state, its version) without a condition."""
    values = {f":{name}": value for name, value in fields.items()}
    dynamo.update(
        _pk(kind),
        CURRENT,
        "SET " + ", ".join(f"#{n} = :{n}" for n in fields),
        values,
        names={f"#{n}": n for n in fields},
    )


def record_revision(kind: str, revision: int, body: Record) -> None:
    dynamo.put({"pk": _pk(kind), "sk": f"V#{revision:06d}", "revision": revision, **body})


def revisions(kind: str, limit: int) -> list[Record]:
    """The newest `limit` saved revisions, newest first."""
    items, _ = dynamo.query(_pk(kind), sk_prefix="V#", newest_first=True, limit=limit)
    return [{k: v for k, v in item.items() if k not in ("pk", "sk")} for item in items]


# ----------------------------------------------------------------------------- the live configuration
def live() -> dict[str, dict[str, Record]] | None:
    """Every copy in the live partition, by section and key, in one Query (a partition over
    1 MB takes a page per MB); None until it was built."""
    items = list(dynamo.query_all(LIVE))
    if not any(item["sk"] == BUILT for item in items):
        return None
    sections: dict[str, dict[str, Record]] = {}
    for item in items:
        if item["sk"] != BUILT:
            section, key = item["sk"].split("#", 1)
            sections.setdefault(section, {})[key] = item["body"]
    return sections


def put_live(section: str, key: str, body: Record, *, expires_at: int | None = None) -> None:
    """Keep the copy of one record (`expires_at`: when DynamoDB may delete it, as the record)."""
    item = {"pk": LIVE, "sk": f"{section}#{key}", "body": body}
    dynamo.put(item if expires_at is None else {**item, "expires_at": expires_at})


def delete_live(section: str, key: str) -> None:
    dynamo.delete(LIVE, f"{section}#{key}")


def build_live(copies: dict[tuple[str, str], tuple[Record, int | None]]) -> None:
    """Write the copies (section, key) -> (body, expires_at) that are not there yet (a save
    meanwhile wrote a newer one), then the marker."""
    for (section, key), (body, expires_at) in copies.items():
        item: Record = {"pk": LIVE, "sk": f"{section}#{key}", "body": body}
        if expires_at is not None:
            item["expires_at"] = expires_at
        with contextlib.suppress(dynamo.ConditionFailed):
            dynamo.put(item, condition="attribute_not_exists(pk)")
    dynamo.put({"pk": LIVE, "sk": BUILT})
