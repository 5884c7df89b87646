"""Services, one item each (an integration names its service: the integrations store)."""

from __future__ import annotations

from vigil.adapters import dynamo
from vigil.domain.oncall import Service

INDEX = "SERVICES"


def _pk(service_id: str) -> str:
    return f"SERVICE#{service_id}"


def put(service: Service) -> None:
    dynamo.put(
        {
            "pk": _pk(service.service_id),
            "sk": "META",
            "gsi1pk": INDEX,
            "gsi1sk": service.service_id,
            "service": service.model_dump(mode="json"),
        }
    )


def find(service_id: str) -> Service | None:
    item = dynamo.get(_pk(service_id), "META")
    return Service.model_validate(item["service"]) if item else None


def all_stored() -> list[Service]:
    return [Service.model_validate(i["service"]) for i in dynamo.query_all(INDEX, index="gsi1")]


def delete(service_id: str) -> bool:
    """False when there was no such service."""
    return dynamo.delete(_pk(service_id), "META", condition="attribute_exists(pk)")
