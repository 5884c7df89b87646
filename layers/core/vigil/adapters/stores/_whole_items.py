"""Aggregates stored whole, one item each (`<KIND>#<id>`, sk META), listed through gsi1 under
one key: teams, people, named escalation policies, services and schedules."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from vigil.adapters import dynamo
from vigil.domain.errors import NotFound

M = TypeVar("M", bound=BaseModel)


class WholeItems(Generic[M]):
    def __init__(
        self, kind: str, index: str, model: type[M], id_field: str, attribute: str, *, noun: str
    ) -> None:
        self.kind, self.index, self.model = kind, index, model
        self.id_field, self.attribute, self.noun = id_field, attribute, noun

    def key(self, item_id: str) -> str:
        return f"{self.kind}#{item_id}"

    def item(self, record: M) -> dict[str, Any]:
        item_id = getattr(record, self.id_field)
        return {
            "pk": self.key(item_id),
            "sk": "META",
            "gsi1pk": self.index,
            "gsi1sk": item_id,
            self.attribute: record.model_dump(mode="json"),
        }

    def put(self, record: M) -> None:
        dynamo.put(self.item(record))

    def find(self, item_id: str) -> M | None:
        item = dynamo.get(self.key(item_id), "META")
        return self.model.model_validate(item[self.attribute]) if item else None

    def get(self, item_id: str) -> M:
        """The record, or NotFound naming what is missing."""
        record = self.find(item_id)
        if record is None:
            raise NotFound(f"no {self.noun} {item_id}")
        return record

    def find_many(self, item_ids: list[str]) -> dict[str, M]:
        """Those of `item_ids` that exist, by id: one BatchGetItem per 100 ids."""
        items = dynamo.batch_get([(self.key(item_id), "META") for item_id in item_ids])
        records = [self.model.model_validate(item[self.attribute]) for item in items]
        return {getattr(record, self.id_field): record for record in records}

    def all_stored(self) -> list[M]:
        items = dynamo.query_all(self.index, index="gsi1")
        return [self.model.model_validate(i[self.attribute]) for i in items]

    def delete(self, item_id: str) -> bool:
        """False when there was no such item."""
        return dynamo.delete(self.key(item_id), "META", condition="attribute_exists(pk)")
