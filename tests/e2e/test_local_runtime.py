"""The local runtime as a user meets it: HTTP on loopback, API Gateway events, auth, and the
/_local/ endpoints that show what a request cost and what the stack sent."""

from __future__ import annotations

from typing import Any

from tests.helpers.client import ApiClient


def test_health_needs_no_key_and_reports_each_component(api: ApiClient) -> None:
    reply = api.get("/api/health", key=None)
    assert reply.status == 200
    assert reply.body["status"] == "ok"
    assert reply.body["version"]
    assert {c["component"]: c["status"] for c in reply.body["components"]} == {
        "table": "ok",
        "escalation": "ok",
        "notifications": "ok",
    }


def test_request_reaches_the_routed_handler_and_its_dynamodb_calls_are_counted(
    api: ApiClient, stack: Any
) -> None:
    assert api.get("/api/teams").status == 200  # the key is verified once, then remembered
    assert api.post("/_local/aws-calls/reset").status == 200
    reply = api.get("/api/incident_response?status=open&limit=5")
    assert reply.status == 200
    assert set(reply.body) == {"items", "next_cursor", "counts"}
    assert api.get("/_local/aws-calls").body["calls"]["dynamodb:Query"] >= 1  # the incident listing
    # The request's own calls (other tests' ladders may still run in the background meanwhile):
    own = stack.last_calls["ApiFunction"]
    assert own["dynamodb:Query"] >= 1 and "dynamodb:GetItem" not in own  # no read for the API key


def test_requests_without_a_valid_key_get_401_json(api: ApiClient) -> None:
    for key in (None, "", "not-a-key", "vgk_wrong"):
        reply = api.get("/api/incident_response", key=key)
        assert reply.status == 401, key
        assert reply.body["error"]["code"] == "unauthorized"
        assert "stack" not in str(reply.body).lower()
    malformed = api.get("/api/incident_response", key=False, headers={"Authorization": "Basic abc"})
    assert malformed.status == 401


def test_with_a_valid_key_requests_reach_the_handler(api: ApiClient) -> None:
    assert api.get("/api/teams").status == 200


def test_revoked_key_stops_working(api: ApiClient) -> None:
    created = api.post("/api/keys", {"name": "temporary"})
    assert created.status == 201
    secret = created.body["secret"]
    assert api.get("/api/teams", key=secret).status == 200
    assert api.call("DELETE", f"/api/keys/{created.body['key_id']}").status == 200
    assert api.get("/api/teams", key=secret).status == 401
    listed = api.get("/api/keys").body["items"]
    assert all("secret" not in k for k in listed)


def test_unknown_routes_and_tokens(api: ApiClient) -> None:
    assert api.get("/api/no-such-thing").status == 404
    assert api.get("/not-api").status == 403  # as API Gateway answers for an unknown resource
    reply = api.post("/api/hooks/vgi_unknown", {"title": "x"}, key=None)
    assert reply.status == 401
    assert reply.body["error"]["code"] == "unauthorized"


def test_invoke_runs_a_function_with_a_posted_event(api: ApiClient, runtime: Any) -> None:
    event = {"action": "advance", "incident_id": "inc_does_not_exist", "cursor": {}, "reason": None}
    reply = api.post(
        "/_local/invoke/ApiFunction",
        {
            "resource": "/api/{proxy+}",
            "path": "/api/health",
            "httpMethod": "GET",
            "headers": {},
            "requestContext": {"requestId": "r1", "stage": "dev"},
            "body": None,
        },
    )
    assert reply.status == 200
    assert reply.body["statusCode"] == 200
    assert '"version"' in reply.body["body"]
    assert api.post("/_local/invoke/NoSuchFunction", event).status == 404


def test_bad_json_body_is_a_400_naming_the_body(api: ApiClient) -> None:
    reply = api.post("/api/integrations", raw=b"{not json")
    assert reply.status == 400
    assert reply.body["error"]["details"][0]["field"].startswith("body")
