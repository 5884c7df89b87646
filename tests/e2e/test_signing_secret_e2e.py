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

    assert _first_reads_after_forgetting(api, stack, signing.forget_secret) == 1
    assert _reads_for_a_link(api, stack) == 0


def _first_reads_after_forgetting(api: ApiClient, stack: Any, forget: Any, tries: int = 5) -> int:
    """The reads of the first request after the secret is forgotten. Locally every function
    shares one process, so a background delivery signing an acknowledge link in between can
    read it first (a deployed instance keeps its own): then the request reads nothing, and
    this forgets and tries again."""
    for _ in range(tries):
        forget()
        reads = _reads_for_a_link(api, stack)
        if reads:
            return reads
    return 0
