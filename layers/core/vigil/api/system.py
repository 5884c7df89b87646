"""Health and API keys."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from vigil.api.errors import responses_for
from vigil.api.models import ApiKeyCreated, ApiKeyIn, ApiKeyList, Health
from vigil.domain.api_keys import ApiKey
from vigil.domain.errors import Unauthorized
from vigil.services import health as health_service
from vigil.services import keys

router = APIGatewayRouter()


@router.get(
    "/api/health",
    tags=["system"],
    summary="Version and component status (no auth); configuration warnings with a key",
    responses=responses_for(public=True),
)
def get_health() -> Health:
    # The route is public: only a caller holding a key learns about the configuration (and
    # pays for computing a week of every schedule).
    return Health.model_validate(health_service.health(with_configuration=_holds_a_key()))


def _holds_a_key() -> bool:
    try:
        keys.authenticate(router.current_event.get_header_value("Authorization"))
    except Unauthorized:
        return False
    return True


@router.post(
    "/api/keys",
    tags=["system"],
    summary="Create an API key (its secret is shown once)",
    responses=responses_for(ok=201),
)
def create_key(body: ApiKeyIn) -> tuple[ApiKeyCreated, int]:
    key, secret = keys.create_key(body.name, scope=body.scope, email=body.email, team=body.team)
    return ApiKeyCreated.of(key, secret), 201


@router.get(
    "/api/keys", tags=["system"], summary="List API keys, without their secrets", responses=responses_for()
)
def list_keys() -> ApiKeyList:
    return ApiKeyList(items=keys.list_keys())


@router.delete(
    "/api/keys/<key_id>",
    tags=["system"],
    summary="Revoke an API key (not the last admin key)",
    responses=responses_for(404, 409),
)
def revoke_key(key_id: str) -> ApiKey:
    return keys.revoke(key_id)
