"""Schemathesis against the committed docs/openapi.json, on the local runtime over real HTTP.

Every operation, with this module's own API key and without any. Whatever comes in: never a
5xx, every status and body is the documented one, and every refusal is a documented 4xx
(400, 401, 404, 409, 413, 422 or 429) with Vigil's JSON error (or, on the signed-link pages,
HTML). A stranger gets the same 401 from every management route, whatever they send.

Profiles (derandomized from a fixed seed, no deadline, the too_slow health check off):
- short, the default (`make test`): schemathesis' coverage phase (boundary, missing-field and
  wrong-type cases derived from the schema, with a key) and 10 random examples per operation
  with a key, 2 without;
- full, with `VIGIL_FUZZ=full` (`make test-full`): the same with 120 and 20 random examples.

Kept from the internet (only loopback may ever be contacted from here):
- PUT /api/teams/{name} is not fuzzed with a key: a fuzzed webhook or Slack URL would be paged
  by the incidents the fuzz opens (the local runtime allows http URLs of any host).
- POST /api/alerting/test is not fuzzed with a key: it sends to the teams' destinations now.
- POST/PUT of playbooks are fuzzed, but a request that mentions `http` or `webhook` is not
  sent: no playbook with a webhook step is stored.
- DELETE /api/keys/{key_id} is fuzzed with ids that cannot exist (no key is ever revoked).
Unauthenticated, every operation is fuzzed: nothing acts without a key.
Not reachable here: the 502 upstream_unavailable of POST /api/hooks/{token} needs a genuine,
SNS-signed SubscriptionConfirmation for a valid token and a reachable SNS; it is the one 5xx
the checks would accept.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from vigil.api import ingest
from vigil.api.auth import PUBLIC_ROUTES, is_public

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
PROFILE = "full" if os.environ.get("VIGIL_FUZZ") == "full" else "short"
# examples per operation: (with a key, without one)
EXAMPLES = {"short": (10, 2), "full": (120, 20)}[PROFILE]
SEED = 20261127
REFUSALS = {400, 401, 404, 409, 413, 422, 429}
PUBLIC = {*PUBLIC_ROUTES, *ingest.ROUTES}  # the ingest routes take tokens
UNAUTHORIZED = {
    "error": {
        "code": "unauthorized",
        "message": "a valid API key is required: Authorization: Bearer <key>",
        "details": [],
    }
}
NOT_WITH_A_KEY = [("PUT", "/api/teams/{name}"), ("POST", "/api/alerting/test")]
NO_URLS = {
    ("POST", "/api/incident_response/playbooks"),
    ("PUT", "/api/incident_response/playbooks/{playbook_id}"),
}


def _schema(max_examples: int, *, coverage: bool) -> Any:
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "request-timeout": 30,
            "generation": {
                "mode": "all",  # valid and invalid input
                "deterministic": True,
                "database": "none",
                "max-examples": max_examples,
            },
            "phases": {
                # no ids taken from responses: the fuzz cannot find the keys, incidents or
                # playbooks of other tests, and a run is the same every time
                "fuzzing": {"extra-data-sources": {"responses": False}},
                "coverage": {"enabled": coverage, "unexpected-methods": []},
            },
        }
    )
    return schemathesis.openapi.from_path(OPENAPI, config=config)


with_key = _schema(EXAMPLES[0], coverage=True)
for method, path in NOT_WITH_A_KEY:
    with_key = with_key.exclude(method=method, path=path)
without_key = _schema(EXAMPLES[1], coverage=False)


def refusals_are_documented_4xx(ctx: Any, response: Any, case: Any) -> bool | None:
    status = response.status_code
    if status == 502 and (case.method, case.operation.path) == ("POST", "/api/hooks/{token}"):
        assert _error_code(response) == "upstream_unavailable", response.text
        return None
    assert status < 500, f"server error {status}: {response.text[:500]}"
    assert status < 400 or status in REFUSALS, f"refused with {status}, not a documented refusal"
    return None


def strangers_get_the_same_401(ctx: Any, response: Any, case: Any) -> bool | None:
    if case.operation.path in PUBLIC or is_public(case.operation.path):  # tokens in the path
        return None
    assert response.status_code == 401, f"{response.status_code} without an API key"
    assert json.loads(response.text) == UNAUTHORIZED, "a stranger learned more than 'unauthorized'"
    return None


def _error_code(response: Any) -> str | None:
    try:
        return str(json.loads(response.text)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


CHECKS = [
    refusals_are_documented_4xx,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


@FUZZ
@with_key.parametrize()
def test_with_a_key(case: Any, runtime: Any, fuzz_key: str) -> None:
    operation = (case.method, case.operation.path)
    if operation == ("DELETE", "/api/keys/{key_id}"):
        case.path_parameters["key_id"] = f"key_never_{case.path_parameters['key_id']}"
    if operation in NO_URLS and _mentions(case, "http", "webhook"):
        return
    case.call_and_validate(
        base_url=runtime.url, headers={"Authorization": f"Bearer {fuzz_key}"}, checks=CHECKS
    )


@FUZZ
@without_key.parametrize()
def test_without_a_key(case: Any, runtime: Any, restored_stack: None) -> None:
    case.call_and_validate(base_url=runtime.url, checks=[*CHECKS, strangers_get_the_same_401])


def _mentions(case: Any, *words: str) -> bool:
    text = repr((case.body, case.query, case.path_parameters)).lower()
    return any(word in text for word in words)
