"""Alerting configuration and the delivery ledger: templates, routing rules, test sends,
/api/notifications and replays."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field

from vigil.api.auth import actor
from vigil.api.errors import responses_for
from vigil.config import settings
from vigil.domain.alerts import Severity
from vigil.domain.deliveries import Delivery
from vigil.domain.model import Model
from vigil.domain.teams import TEAM_NAME, AlertingRules, AlertingRulesPatch, CompleteAlertingRules
from vigil.domain.vocabulary import Channel, DeliveryStatus
from vigil.services.paging import delivery, rendering, routing

router = APIGatewayRouter()


class Template(Model):
    template_id: str = Field(
        description="email_subject, email_html, email_text or sms_text, optionally :<severity>"
    )
    source: str
    custom: bool = False
    preview: str | None = Field(default=None, description="the template rendered for a sample incident")


class TemplateIn(Model):
    source: str = Field(
        min_length=1, max_length=20_000, description="jinja2 (sandboxed); names: incident, links"
    )


class TemplatePair(Model):
    """The original spec's shape of an email template: `email` (every severity) or `email:<severity>`."""

    template_id: str
    subject_template: str
    body_template: str
    custom: bool = False


class TemplatePairIn(Model):
    subject_template: str = Field(min_length=1, max_length=2_000, description="jinja2 (sandboxed)")
    body_template: str = Field(min_length=1, max_length=20_000, description="jinja2 (sandboxed), plain text")


class TemplateList(Model):
    items: list[Template]


class DeliveryPage(Model):
    items: list[Delivery]
    next_cursor: str | None = None


def _every_channel() -> list[Channel]:
    return ["email", "slack", "webhook", "sms"]


class TestIn(Model):
    """`{}` tests every channel of the default team (the assignment rules' default_team)."""

    team: str | None = Field(default=None, pattern=TEAM_NAME, description="default: the default team")
    channels: list[Channel] = Field(default_factory=_every_channel, min_length=1, max_length=4)
    severity: Severity = Severity.INFO


class TestResult(Model):
    channel: str
    destinations: list[str]
    ok: bool
    detail: str
    status_code: int | None = None


class TestResults(Model):
    results: list[TestResult]


@router.get(
    "/api/alerting/templates",
    tags=["notifications"],
    summary="Notification templates",
    responses=responses_for(),
)
def list_templates() -> TemplateList:
    return TemplateList(items=[Template(**t) for t in rendering.list_templates()])


@router.put(
    "/api/alerting/templates/<template_id>",
    tags=["notifications"],
    summary="Override a template (for one severity with id:severity); refused if it does not render",
    responses=responses_for(404),
)
def put_template(template_id: str, body: TemplateIn) -> Template:
    return Template(**rendering.save_template(template_id, body.source, actor(router)))


@router.post(
    "/api/alerting/templates/<template_id>/preview",
    tags=["notifications"],
    summary="Render a template for a sample incident without saving it",
    responses=responses_for(404),
)
def preview_template(template_id: str, body: TemplateIn) -> Template:
    return Template(**rendering.preview_template(template_id, body.source))


@router.get(
    "/api/alerting/templates/<template_id>/pair",
    tags=["notifications"],
    summary="An email template as {subject_template, body_template} (id email or email:<severity>)",
    responses=responses_for(404),
)
def get_template_pair(template_id: str) -> TemplatePair:
    return TemplatePair(**rendering.get_pair(template_id))


@router.put(
    "/api/alerting/templates/<template_id>/pair",
    tags=["notifications"],
    summary="Write an email template as {subject_template, body_template}; both are checked first",
    responses=responses_for(404),
)
def put_template_pair(template_id: str, body: TemplatePairIn) -> TemplatePair:
    saved = rendering.save_pair(template_id, body.subject_template, body.body_template, actor(router))
    return TemplatePair(**saved)


@router.delete(
    "/api/alerting/templates/<template_id>",
    tags=["notifications"],
    summary="Back to the default",
    responses=responses_for(404),
)
def delete_template(template_id: str) -> dict[str, Any]:
    rendering.reset_template(template_id)
    return {"template_id": template_id, "custom": False}


@router.get(
    "/api/alerting/rules",
    tags=["notifications"],
    summary="Routing: which alerts page, and how",
    responses=responses_for(),
)
def get_rules() -> AlertingRules:
    return routing.load_alerting_rules()


@router.put(
    "/api/alerting/rules",
    tags=["notifications"],
    summary="Replace the routing rules (every field, every severity; PATCH changes a part)",
    responses=responses_for(),
)
def put_rules(body: CompleteAlertingRules) -> AlertingRules:
    return routing.save_alerting_rules(AlertingRules.model_validate(body.model_dump()), actor(router))


@router.patch(
    "/api/alerting/rules",
    tags=["notifications"],
    summary="Change part of the routing rules; channel maps merge per severity and category",
    responses=responses_for(),
)
def patch_rules(body: AlertingRulesPatch) -> AlertingRules:
    return routing.patch_alerting_rules(body.model_dump(mode="json", exclude_none=True), actor(router))


@router.post(
    "/api/alerting/test",
    tags=["notifications"],
    summary="Send a test notification to a team now",
    responses=responses_for(404),
)
def test_send(body: TestIn) -> TestResults:
    team = body.team or routing.load_assignment_rules().default_team
    results = delivery.send_test(team, list(body.channels), body.severity.value, settings().public_base_url)
    return TestResults(results=[TestResult(**r) for r in results])


@router.get(
    "/api/notifications",
    tags=["notifications"],
    summary="The delivery ledger, newest first",
    responses=responses_for(),
)
def list_notifications(
    incident_id: Annotated[str | None, Query(max_length=100)] = None,
    channel: Annotated[Channel | None, Query()] = None,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> DeliveryPage:
    items, next_cursor = delivery.list_deliveries(
        incident_id, channel=channel, status=status, limit=limit, cursor=cursor
    )
    return DeliveryPage(items=items, next_cursor=next_cursor)


@router.post(
    "/api/notifications/<delivery_id>/replay",
    tags=["notifications"],
    summary="Re-send a failed delivery",
    responses=responses_for(404, 422),
)
def replay(delivery_id: str) -> Delivery:
    return delivery.replay(delivery_id, actor(router))
