"""Named escalation policies, one item each (the default policy is the `config` store's)."""

from __future__ import annotations

from vigil.adapters import dynamo
from vigil.domain.oncall import NamedPolicy

INDEX = "POLICIES"


def _pk(policy_id: str) -> str:
    return f"POLICY#{policy_id}"


def put(policy: NamedPolicy) -> None:
    dynamo.put(
        {
            "pk": _pk(policy.policy_id),
            "sk": "META",
            "gsi1pk": INDEX,
            "gsi1sk": policy.policy_id,
            "policy": policy.model_dump(mode="json"),
        }
    )


def find(policy_id: str) -> NamedPolicy | None:
    item = dynamo.get(_pk(policy_id), "META")
    return NamedPolicy.model_validate(item["policy"]) if item else None


def all_stored() -> list[NamedPolicy]:
    return [NamedPolicy.model_validate(i["policy"]) for i in dynamo.query_all(INDEX, index="gsi1")]


def delete(policy_id: str) -> bool:
    """False when there was no such policy."""
    return dynamo.delete(_pk(policy_id), "META", condition="attribute_exists(pk)")
