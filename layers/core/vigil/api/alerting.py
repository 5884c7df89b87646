"""The original spec's alerting API (/api/alerting) and silences (/api/silences)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field, StringConstraints, ValidationError

from vigil.api.auth import actor
from vigil.api.errors import responses_for
from vigil.api.problem import field_path
from vigil.domain.alerts import LABEL_NAME_LIMIT, LABEL_VALUE_LIMIT, Alert, AlertOutcome, Severity
from vigil.domain.errors import InvalidInput
from vigil.domain.model import Model
from vigil.domain.silences import Silence, SilenceIn
from vigil.domain.vocabulary import Category
from vigil.services import alerting, silences

router = APIGatewayRouter()
MAX_BULK = 1000
LabelName = Annotated[str, StringConstraints(min_length=1, max_length=LABEL_NAME_LIMIT)]
LabelValue = Annotated[str, StringConstraints(max_length=LABEL_VALUE_LIMIT)]


class AlertIn(Model):
    """The original spec's alert."""

    title: str = Field(min_length=1, max_length=512)
    description: str = Field(default="", max_length=10_000)
    severity: Severity = Severity.HIGH
    category: Category | None = None
    source: str = Field(default="api", min_length=1, max_length=100)
    correlation_id: str | None = Field(default=None, max_length=512)
    labels: dict[LabelName, LabelValue] = Field(default_factory=dict, max_length=50)
    timestamp: datetime | None = None
    dedup_key: str | None = Field(
        default=None, min_length=1, max_length=512, description="default: from title, source, labels"
    )
    status: Literal["firing", "resolved"] = "firing"


class CorrelationResult(Model):
    action: Literal["create_new", "update_existing"]
    reason: str
    existing_alert_id: str | None = None
    correlation_id: str | None = None


class SendResult(AlertOutcome):
    correlation_result: CorrelationResult


class BulkIn(Model):
    """`{"alerts": [...]}`; the route also takes the list itself (the original spec's shape)."""

    alerts: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BULK, description="each one an AlertIn")


class ItemError(Model):
    field: str
    message: str


class BulkItem(Model):
    index: int
    ok: bool
    result: SendResult | None = None
    errors: list[ItemError] = []


class BulkResult(Model):
    accepted: int
    rejected: int
    items: list[BulkItem]


class AlertDetail(Alert):
    details: dict[str, Any] = {}
    raw_payload: str | None = Field(default=None, description="the payload as received, cut at 16 KiB")


class AlertPage(Model):
    items: list[Alert]
    next_cursor: str | None = None


class SilenceList(Model):
    items: list[Silence]


@router.post("/api/alerting/send", tags=["alerting"], summary="Send one alert", responses=responses_for())
def send(body: AlertIn) -> SendResult:
    return SendResult.model_validate(alerting.send(body.model_dump(mode="json")))


@router.post(
    "/api/alerting/bulk",
    tags=["alerting"],
    summary="Send up to 1,000 alerts; each is judged alone",
    responses=responses_for(),
)
def bulk(body: BulkIn | list[dict[str, Any]]) -> BulkResult:
    # A bare list is the original spec's shape; it gets BulkIn's limits.
    alerts = body.alerts if isinstance(body, BulkIn) else _bounded(body)
    items = [_one(index, raw) for index, raw in enumerate(alerts)]
    accepted = sum(1 for i in items if i.ok)
    return BulkResult(accepted=accepted, rejected=len(items) - accepted, items=items)


def _bounded(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not 1 <= len(alerts) <= MAX_BULK:
        raise InvalidInput("body", f"from 1 to {MAX_BULK} alerts")
    return alerts


def _one(index: int, raw: dict[str, Any]) -> BulkItem:
    try:
        alert = AlertIn.model_validate(raw)
    except ValidationError as error:
        errors = [
            ItemError(field=field_path(("alerts", index, *e["loc"])), message=e["msg"])
            for e in error.errors()
        ]
        return BulkItem(index=index, ok=False, errors=errors)
    return BulkItem(
        index=index, ok=True, result=SendResult.model_validate(alerting.send(alert.model_dump(mode="json")))
    )


@router.get(
    "/api/alerting", tags=["alerting"], summary="Alerts, newest first, filtered", responses=responses_for()
)
def list_alerts(
    status: Annotated[Literal["firing", "resolved", "unknown"] | None, Query()] = None,
    severity: Annotated[Severity | None, Query()] = None,
    source: Annotated[str | None, Query(max_length=100)] = None,
    category: Annotated[str | None, Query(max_length=50)] = None,
    since: Annotated[
        str | None, Query(max_length=40, description="first seen at or after (ISO 8601)")
    ] = None,
    until: Annotated[
        str | None, Query(max_length=40, description="first seen at or before (ISO 8601)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> AlertPage:
    filters = {
        "status": status,
        "severity": severity.value if severity else None,
        "source": source,
        "category": category,
        "since": since,
        "until": until,
    }
    items, next_cursor = alerting.list_alerts(filters, limit, cursor)
    return AlertPage(items=[Alert.model_validate(i) for i in items], next_cursor=next_cursor)


@router.get(
    "/api/alerting/<alert_id>",
    tags=["alerting"],
    summary="An alert with its latest raw payload",
    responses=responses_for(404),
)
def get_alert(alert_id: str) -> AlertDetail:
    return AlertDetail.model_validate(alerting.get(alert_id))


@router.post(
    "/api/silences",
    tags=["silences"],
    summary="Silence matching alerts for a while",
    responses=responses_for(ok=201),
)
def create_silence(body: SilenceIn) -> tuple[Silence, int]:
    return silences.create(body, actor(router)), 201


@router.get(
    "/api/silences", tags=["silences"], summary="Silences that have not ended", responses=responses_for()
)
def list_silences(include_expired: Annotated[bool, Query()] = False) -> SilenceList:
    return SilenceList(items=silences.list_all(include_expired=include_expired))


@router.delete(
    "/api/silences/<silence_id>", tags=["silences"], summary="End a silence now", responses=responses_for(404)
)
def expire_silence(silence_id: str) -> Silence:
    return silences.expire(silence_id)
