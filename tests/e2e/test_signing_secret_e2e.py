"""The signing secret costs one GetSecretValue per instance and max age, not one per request
(Powertools' SecretsProvider, vigil/adapters/signing.py), counted by the local runtime."""

from __future__ import annotations

from typing import Any

from tests.helpers.client import ApiClient

READ = "secretsmanager:GetSecretValue"


def _reads_for_a_link(api: ApiClient, stack: Any) -> int:
    # Checking an acknowledge link needs the signing keys (this one is refused, having none).
    assert api.get("/api/actions?token=not-a-link", key=None).status == 401
    return int(stack.last_calls["ApiFunction"][READ])


def test_two_requests_within_the_max_age_read_the_secret_once(api: ApiClient, stack: Any) -> None:
    from vigil.adapters import signing

    signing.forget_secret()
    assert _reads_for_a_link(api, stack) == 1
    assert _reads_for_a_link(api, stack) == 0
