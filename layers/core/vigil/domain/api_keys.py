"""Management API keys: the key as callers see it (the API's answers and the authenticated
principal of a request) and as the api_keys store keeps it (also the hash of its secret)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, field_validator

from vigil.domain.access import Scope
from vigil.domain.model import Model


class ApiKey(Model):
    # Frozen: a warm function shares the keys it remembers between requests.
    model_config = ConfigDict(frozen=True)

    key_id: str
    name: str
    scope: Scope = Scope.ADMIN
    user_id: str | None = Field(default=None, description="the person this key acts as, if any")
    created_at: str
    revoked_at: str | None = None
    prefix: str = Field(description="first characters of the key, to recognise it")
    email: str | None = None
    team: str | None = None

    @property
    def actor(self) -> str:
        """Who acts with this key, for the timeline: its person, else the key by its name."""
        return f"user:{self.user_id}" if self.user_id else f"key:{self.name}"


class StoredApiKey(ApiKey):
    """The key as stored: also the hash of its secret (the item's partition key)."""

    secret_hash: str

    @field_validator("scope", mode="before")
    @classmethod
    def _keys_before_scopes_are_admin_keys(cls, value: Any) -> Any:
        return value or Scope.ADMIN

    @property
    def live(self) -> bool:
        return not self.revoked_at

    @property
    def live_admin(self) -> bool:
        return self.live and self.scope == Scope.ADMIN

    def shown(self) -> ApiKey:
        """The key as callers see it, without its hash."""
        return ApiKey.model_validate(self.model_dump(exclude={"secret_hash"}))
