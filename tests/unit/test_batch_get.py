"""dynamo.batch_get at DynamoDB's edges moto does not reach: keys left unprocessed (asked for
again, then Throttled), more than 100 keys, repeated keys (DynamoDB refuses a batch holding one
key twice)."""

from __future__ import annotations

from typing import Any

import pytest
from vigil.adapters import dynamo
from vigil.domain.errors import Throttled


class FakeBatchGets:
    """Answers BatchGetItem with the items it holds, leaving the first `unprocessed` keys of
    each of the first `lagging` calls unprocessed."""

    def __init__(self, pks: list[str], *, lagging: int = 0, unprocessed: int = 1) -> None:
        self.items = {pk: dynamo.serialize({"pk": pk, "sk": "META", "n": i}) for i, pk in enumerate(pks)}
        self.lagging, self.unprocessed = lagging, unprocessed
        self.requests: list[list[str]] = []

    def __call__(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        assert (service, operation) == ("dynamodb", "batch_get_item")
        keys = params["RequestItems"]["t"]["Keys"]
        pks = [k["pk"]["S"] for k in keys]
        assert len(pks) <= 100 and len(set(pks)) == len(pks)
        self.requests.append(pks)
        held = self.unprocessed if len(self.requests) <= self.lagging else 0
        answered = [self.items[pk] for pk in pks[held:] if pk in self.items]
        left = {"t": {"Keys": keys[:held]}} if held else {}
        return {"Responses": {"t": answered}, "UnprocessedKeys": left}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeBatchGets:
    batch = FakeBatchGets([f"USER#{n}" for n in range(150)], lagging=2)
    monkeypatch.setattr(dynamo, "call", batch)
    monkeypatch.setattr(dynamo, "table_name", lambda: "t")
    return batch


def test_unprocessed_keys_are_asked_for_again_and_batches_hold_100_distinct_keys(fake: FakeBatchGets) -> None:
    keys = [(f"USER#{n}", "META") for n in [*range(120), 3, 7]] + [("USER#missing", "META")]
    found = dynamo.batch_get(keys)
    assert sorted(item["n"] for item in found) == list(range(120))
    # the first two calls each leave a key over: it is asked for again until answered
    assert [len(r) for r in fake.requests] == [100, 1, 1, 21]


def test_keys_left_unprocessed_round_after_round_are_throttled(fake: FakeBatchGets) -> None:
    fake.lagging = 99
    with pytest.raises(Throttled):
        dynamo.batch_get([("USER#1", "META"), ("USER#2", "META")])
    assert len(fake.requests) == dynamo.BATCH_GET_ROUNDS
