"""Response playbooks under /api/incident_response: the catalogue, attaching one to an
incident, and marking or running its steps.

build_app includes this router before the incidents router: `/playbooks/<id>` must be tried
before the incidents' own two-segment routes (`/<incident_id>/...`).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from vigil.api.auth import actor
from vigil.api.errors import responses_for
from vigil.api.models import IncidentDetail, PlaybookAttachIn, PlaybookList, StepUpdateIn
from vigil.domain.playbooks import MAX_STEPS, PLAYBOOK_ID, Playbook, PlaybookCreate, PlaybookIn
from vigil.services import incident_views, playbooks

router = APIGatewayRouter()
BASE = "/api/incident_response"
PlaybookId = Annotated[str, Path(pattern=PLAYBOOK_ID)]
StepNumber = Annotated[int, Path(ge=1, le=MAX_STEPS, description="the step's number, from 1")]


def _detail(incident_id: str) -> IncidentDetail:
    return IncidentDetail.model_validate(incident_views.detail(incident_id))


@router.get(
    f"{BASE}/playbooks",
    tags=["playbooks"],
    summary="Built-in and stored playbooks",
    responses=responses_for(),
)
def list_playbooks() -> PlaybookList:
    return PlaybookList(items=playbooks.list_playbooks())


@router.post(
    f"{BASE}/playbooks",
    tags=["playbooks"],
    summary="Create a playbook",
    responses=responses_for(409, ok=(201, 200)),
)
def create_playbook(body: PlaybookCreate) -> tuple[Playbook, int]:
    key = router.current_event.get_header_value("Idempotency-Key", case_sensitive=False)
    data = PlaybookIn.model_validate(body.model_dump(exclude={"playbook_id"}))
    playbook, created = playbooks.create_playbook(
        data, actor=actor(router), playbook_id=body.playbook_id, idempotency_key=key
    )
    return playbook, 201 if created else 200


@router.get(
    f"{BASE}/playbooks/<playbook_id>", tags=["playbooks"], summary="A playbook", responses=responses_for(404)
)
def get_playbook(playbook_id: PlaybookId) -> Playbook:
    return playbooks.get_playbook(playbook_id)


@router.put(
    f"{BASE}/playbooks/<playbook_id>",
    tags=["playbooks"],
    summary="Replace a stored playbook (built-ins are read-only: 409)",
    responses=responses_for(404, 409),
)
def replace_playbook(playbook_id: PlaybookId, body: PlaybookIn) -> Playbook:
    return playbooks.replace_playbook(playbook_id, body, actor=actor(router))


@router.delete(
    f"{BASE}/playbooks/<playbook_id>",
    tags=["playbooks"],
    summary="Delete a stored playbook (incidents keep their copy; built-ins: 409)",
    responses=responses_for(404, 409),
)
def delete_playbook(playbook_id: PlaybookId) -> Playbook:
    return playbooks.delete_playbook(playbook_id)


@router.post(
    f"{BASE}/<incident_id>/playbook",
    tags=["playbooks"],
    summary="Attach a playbook to an incident (replaces the current one and its progress)",
    responses=responses_for(404, 409),
)
def attach_playbook(incident_id: str, body: PlaybookAttachIn) -> IncidentDetail:
    playbooks.attach(incident_id, body.playbook_id, actor=actor(router))
    return _detail(incident_id)


@router.post(
    f"{BASE}/<incident_id>/playbook/steps/<n>",
    tags=["playbooks"],
    summary="Mark a step done, skipped or failed, or run an automated step (status run)",
    responses=responses_for(404, 409, 422),
)
def update_step(incident_id: str, n: StepNumber, body: StepUpdateIn) -> IncidentDetail:
    playbooks.update_step(incident_id, n, body.status, body.note, actor=actor(router))
    return _detail(incident_id)
