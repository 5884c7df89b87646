"""The local runtime as a user meets it: HTTP on loopback, API Gateway events, auth, and the
/_local/ endpoints that show what a request cost and what the stack sent."""

from __future__ import annotations

import copy
import re
import threading
from typing import Any

import pytest

from tests.helpers.alone import last_line_of
from tests.helpers.client import ApiClient, wait_for


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


RICH_ITEM: dict[str, Any] = {
    "s": {"S": "ünïcode"},
    "empty": {"S": ""},
    "n": {"N": "-12.5"},
    "b": {"B": b"\x00\xffbytes"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
    "null": {"NULL": True},
    "m": {"M": {"inner": {"L": [{"S": "x"}, {"M": {}}, {"B": b"\x03"}, {"L": []}]}}},
}


def test_items_of_every_type_come_back_from_moto_as_they_were_stored(stack: Any) -> None:
    """The runtime copies DynamoDB attribute values into moto's answers instead of walking their
    shape (local/moto_speed.py): every type reads back exactly, from every operation that returns items."""
    dynamodb, table = stack.clients["dynamodb"], stack.resolver.physical["Table"]["Ref"]
    key = {"pk": {"S": "LOCAL#every-type"}, "sk": {"S": "ITEM"}}
    dynamodb.put_item(TableName=table, Item={**key, **RICH_ITEM})
    assert dynamodb.get_item(TableName=table, Key=key)["Item"] == {**key, **RICH_ITEM}
    updated = dynamodb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET extra = :extra",
        ExpressionAttributeValues={":extra": {"N": "7"}},
        ReturnValues="ALL_NEW",
    )["Attributes"]
    assert updated == {**key, **RICH_ITEM, "extra": {"N": "7"}}
    queried = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": key["pk"]},
    )
    assert (queried["Count"], queried["Items"]) == (1, [updated])
    deleted = dynamodb.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD")["Attributes"]
    assert deleted == updated


def test_attribute_values_are_answered_as_moto_s_shape_walk_answers_them(stack: Any) -> None:
    from moto.core.responses import get_service_model
    from moto.core.serialize import BaseJSONSerializer, JSONSerializer

    operation = get_service_model("dynamodb").operation_model("GetItem")
    key = {"pk": {"S": "LOCAL#walk"}, "sk": {"S": "ITEM"}}
    result = {"Item": {**key, **RICH_ITEM}}
    copied = JSONSerializer(operation_model=operation).serialize(result)
    patched = BaseJSONSerializer._serialize_type_structure
    walked_by: Any = getattr(patched, "__wrapped__")  # noqa: B009  (set by functools.wraps)
    try:
        BaseJSONSerializer._serialize_type_structure = walked_by  # type: ignore[method-assign]
        walked = JSONSerializer(operation_model=operation).serialize(result)
    finally:
        BaseJSONSerializer._serialize_type_structure = patched  # type: ignore[method-assign]
    assert walked_by is not patched
    assert copied["body"] == walked["body"]
    assert '"B": "AP9ieXRlcw=="' in copied["body"]


ARRIVALS = {"L": [{"S": f"2026-12-02T03:00:{n:02d}Z|firing"} for n in range(60)]}


def test_item_values_are_sized_and_copied_as_moto_sizes_and_copies_them(stack: Any) -> None:
    """local/moto_speed.py sizes and copies DynamoDB values without moto's detours: the same
    sizes and the same trees as moto's own (installed again for the comparison, so that nested
    values are measured by moto's too), and a copy shares nothing an update could change."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    ours = DynamoType.size, DynamoType.__deepcopy__
    assert DynamoType.size is not DynamoType.size.__wrapped__
    values = {**RICH_ITEM, "arrivals": ARRIVALS, "whole": {"M": {**RICH_ITEM, "a": ARRIVALS}}}

    def sized_and_copied(size: Any, copy_of: Any) -> dict[str, tuple[int, Any]]:
        DynamoType.size, DynamoType.__deepcopy__ = size, copy_of
        try:
            return {
                name: (DynamoType(raw).size(), copy.deepcopy(DynamoType(raw)).to_regular_json())
                for name, raw in values.items()
            }
        finally:
            DynamoType.size, DynamoType.__deepcopy__ = ours

    theirs = sized_and_copied(ours[0].__wrapped__, ours[1].__wrapped__)
    assert sized_and_copied(*ours) == theirs
    assert theirs["whole"][0] > 60 * len(ARRIVALS["L"][0]["S"])
    whole = DynamoType(values["whole"])
    twin = copy.deepcopy(whole)
    twin.value["a"].value.append(DynamoType({"S": "later"}))
    twin.value["m"].value["inner"] = DynamoType({"S": "replaced"})
    assert whole.to_regular_json() == DynamoType(values["whole"]).to_regular_json()


def test_an_update_past_400_kb_is_refused_and_the_old_image_is_the_item_before(stack: Any) -> None:
    from botocore.exceptions import ClientError

    dynamodb, table = stack.clients["dynamodb"], stack.resolver.physical["Table"]["Ref"]
    key = {"pk": {"S": "LOCAL#size"}, "sk": {"S": "ITEM"}}
    before = {"l": {"L": [{"S": "first"}]}, "m": {"M": {"k": {"S": "before"}}}}
    dynamodb.put_item(TableName=table, Item={**key, **before})
    half = {":half": {"S": "x" * 210_000}}
    update = {"TableName": table, "Key": key}
    dynamodb.update_item(**update, UpdateExpression="SET a = :half", ExpressionAttributeValues=half)
    with pytest.raises(ClientError) as refused:
        dynamodb.update_item(**update, UpdateExpression="SET b = :half", ExpressionAttributeValues=half)
    assert "exceeded the maximum allowed size" in refused.value.response["Error"]["Message"]
    old = dynamodb.update_item(
        **update,
        UpdateExpression="SET m.k = :after, l[0] = :after REMOVE a",  # changed in place by moto
        ExpressionAttributeValues={":after": {"S": "after"}},
        ReturnValues="ALL_OLD",
    )["Attributes"]
    assert (old["m"], old["l"], "b" in old, len(old["a"]["S"])) == (
        {"M": {"k": {"S": "before"}}},
        {"L": [{"S": "first"}]},
        False,
        210_000,
    )
    now = dynamodb.get_item(TableName=table, Key=key)["Item"]
    assert (now["m"], now["l"], "a" in now) == ({"M": {"k": {"S": "after"}}}, {"L": [{"S": "after"}]}, False)


def test_concurrent_api_requests_each_keep_their_own_route_and_key(api: ApiClient) -> None:
    """One Lambda environment runs one event at a time: the API function's resolver keeps the
    request's route and key on its app, so concurrent requests must not share it (they did:
    500s from a route cleared by another request's end, notes under another key's name)."""
    secrets = {f"writer-{n}": api.post("/api/keys", {"name": f"writer-{n}"}).body["secret"] for n in range(4)}
    opened = api.post("/api/incident_response", {"title": "concurrent notes"})
    assert opened.status == 201, opened.body
    notes = f"/api/incident_response/{opened.body['incident_id']}/notes"
    failures: list[Any] = []

    def write(name: str) -> None:
        for n in range(5):
            reply = api.post(notes, {"note": f"{name} #{n}"}, key=secrets[name])
            if reply.status != 201:
                failures.append((name, reply.status, reply.body))

    threads = [threading.Thread(target=write, args=(name,)) for name in secrets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    timeline = api.get(f"/api/incident_response/{opened.body['incident_id']}/timeline?limit=100").body
    written = [e for e in timeline["items"] if e["kind"] == "note"]
    assert len(written) == 20
    assert all(e["actor"] == f"key:{e['message'].split(' #')[0]}" for e in written), written


# Update expressions as DynamoDB applies them: the runtime copies moto's parse trees by their
# structure, looks up node classes once and checks overlapping paths at the root (local/moto_speed.py).
X, X2, ONE = {"S": "x"}, {"S": "x2"}, {"N": "1"}
UPDATES_APPLIED = [
    (
        "SET a = if_not_exists(a, :x), b = if_not_exists(b, :x)",
        {"b": {"S": "kept"}},
        {"a": X, "b": {"S": "kept"}},
    ),
    ("SET l = list_append(if_not_exists(l, :empty), :x2)", {}, {"l": {"L": [X2]}}),
    ("SET l = list_append(l, :x2)", {"l": {"L": [{"S": "one"}]}}, {"l": {"L": [{"S": "one"}, X2]}}),
    ("SET n = n + :one ADD c :one", {"n": {"N": "4"}}, {"n": {"N": "5"}, "c": ONE}),
    (
        "ADD tags :set DELETE gone :old",
        {"gone": {"SS": ["a", "b"]}},
        {"tags": {"SS": ["t"]}, "gone": {"SS": ["b"]}},
    ),
    (
        "SET m.deep = :x, #k = :x REMOVE l[0], r",
        {"m": {"M": {}}, "l": {"L": [{"S": "0"}, {"S": "1"}]}, "r": {"S": "r"}},
        {"m": {"M": {"deep": X}}, "k": X, "l": {"L": [{"S": "1"}]}},
    ),
    (
        "SET a = m.deep, m.deep = if_not_exists(m.deep, :x2), n = n - :one",
        {"m": {"M": {"deep": X}}, "n": {"N": "4"}},
        {"a": X, "m": {"M": {"deep": X}}, "n": {"N": "3"}},
    ),
]
UPDATES_REFUSED = [
    ("SET a = :x, a = :x2", "Two document paths overlap with each other"),
    ("SET a = :x, b = :x REMOVE b", "Two document paths overlap with each other"),
    ("SET m.deep = :x, m = :x2", "Two document paths overlap with each other"),
    ("SET sk = :x", "Cannot update attribute sk. This attribute is part of the key"),
    ("SET a = :x SET b = :x", 'The "SET" section can only be used once in an update expression'),
    ("SET a = :missing, b = :x", "An expression attribute value used in expression is not defined"),
    (
        "SET l = list_append(nothing, :x2)",
        "The provided expression refers to an attribute that does not exist",
    ),
    ("SET b = :x, a = m.nothing", "The provided expression refers to an attribute that does not exist"),
    ("SET m.deep.deeper = :x", "The document path provided in the update expression is invalid for update"),
    ("SET n = :x + :one", "Incorrect operand type for operator or function"),
]
VALUES = {
    ":x": X,
    ":x2": {"L": [X2]},
    ":empty": {"L": []},
    ":one": ONE,
    ":set": {"SS": ["t"]},
    ":old": {"SS": ["a"]},
}


def _update(stack: Any, key: dict[str, Any], expression: str) -> dict[str, Any]:
    used = {name: VALUES[name] for name in re.findall(r":\w+", expression) if name in VALUES}
    names = {"#k": "k"} if "#k" in expression else {}
    return dict(
        stack.clients["dynamodb"].update_item(
            TableName=stack.resolver.physical["Table"]["Ref"],
            Key=key,
            UpdateExpression=expression,
            ExpressionAttributeValues=used,
            **({"ExpressionAttributeNames": names} if names else {}),
            ReturnValues="ALL_NEW",
        )["Attributes"]
    )


def test_update_expressions_are_applied_as_dynamodb_applies_them(stack: Any) -> None:
    dynamodb, table = stack.clients["dynamodb"], stack.resolver.physical["Table"]["Ref"]
    for n, (expression, before, after) in enumerate(UPDATES_APPLIED):
        key = {"pk": {"S": f"LOCAL#update-{n}"}, "sk": {"S": "ITEM"}}
        dynamodb.put_item(TableName=table, Item={**key, **before})
        assert _update(stack, key, expression) == {**key, **after}, expression
        # The same expression again, on the item it made: each call validates its own copy.
        if expression.startswith("SET l = list_append(l"):
            assert _update(stack, key, expression)["l"]["L"][-2:] == [X2, X2]


def test_update_expressions_dynamodb_refuses_are_refused_with_its_message(stack: Any) -> None:
    from botocore.exceptions import ClientError

    key = {"pk": {"S": "LOCAL#refused"}, "sk": {"S": "ITEM"}}
    stack.clients["dynamodb"].put_item(
        TableName=stack.resolver.physical["Table"]["Ref"], Item={**key, "m": {"M": {}}, "b": {"S": "b"}}
    )
    for expression, message in UPDATES_REFUSED:
        with pytest.raises(ClientError) as refused:
            _update(stack, key, expression)
        assert refused.value.response["Error"]["Code"] == "ValidationException", expression
        assert message in refused.value.response["Error"]["Message"], (expression, refused.value.response)


def _pages(stack: Any, **query: Any) -> list[tuple[str, str]]:
    """Every item a Query answers, page by page (Limit 3), as (pk, sk)."""
    dynamodb, table = stack.clients["dynamodb"], stack.resolver.physical["Table"]["Ref"]
    keys: list[tuple[str, str]] = []
    start: dict[str, Any] = {}
    while True:
        answer = dynamodb.query(TableName=table, Limit=3, **query, **start)
        keys += [(item["pk"]["S"], item["sk"]["S"]) for item in answer["Items"]]
        if "LastEvaluatedKey" not in answer:
            return keys
        start = {"ExclusiveStartKey": answer["LastEvaluatedKey"]}


def test_queries_page_through_a_partition_or_an_index_key_in_key_order(stack: Any) -> None:
    """The table holds other tests' items too: a Query answers only its own partition or index
    key, ordered by the sort key (on an index, ties by the table's keys), whichever way it pages."""
    dynamodb, table = stack.clients["dynamodb"], stack.resolver.physical["Table"]["Ref"]
    stored = [(f"LOCAL#query-{n % 3}", f"item-{(7 * n) % 17:02d}", f"rank-{n % 4}") for n in range(17)]
    for pk, sk, rank in stored:
        item = {"pk": {"S": pk}, "sk": {"S": sk}, "gsi2pk": {"S": "LOCAL#query-index"}, "gsi2sk": {"S": rank}}
        dynamodb.put_item(TableName=table, Item=item)
    partition = {":pk": {"S": "LOCAL#query-1"}}
    assert _pages(stack, KeyConditionExpression="pk = :pk", ExpressionAttributeValues=partition) == sorted(
        (pk, sk) for pk, sk, _ in stored if pk == "LOCAL#query-1"
    )
    newest_first = _pages(
        stack, KeyConditionExpression="pk = :pk", ExpressionAttributeValues=partition, ScanIndexForward=False
    )
    assert newest_first == sorted(((pk, sk) for pk, sk, _ in stored if pk == "LOCAL#query-1"), reverse=True)
    by_rank = _pages(
        stack,
        IndexName="gsi2",
        KeyConditionExpression="gsi2pk = :index",
        ExpressionAttributeValues={":index": {"S": "LOCAL#query-index"}},
    )
    assert by_rank == [(pk, sk) for rank, pk, sk in sorted((rank, pk, sk) for pk, sk, rank in stored)]
    nowhere = {":pk": {"S": "LOCAL#none"}}
    assert _pages(stack, KeyConditionExpression="pk = :pk", ExpressionAttributeValues=nowhere) == []


def test_an_incident_deleted_before_its_ladder_began_stops_the_ladder(api: ApiClient, stack: Any) -> None:
    """Locally a ladder begins once the requests pause; deleting its incident before that
    stops the execution (StopExecution), as on AWS, instead of moto failing for want of it."""
    with stack.moto_turns.answering():  # no pause: the ladder has not begun
        opened = api.post("/api/incident_response", {"title": "deleted at once", "severity": "low"})
        incident_id = opened.body["incident_id"]
        deleted = api.call("DELETE", f"/api/incident_response/{incident_id}?force=true")
        assert deleted.status == 200, deleted.body
    sfn = stack.clients["stepfunctions"]
    ladder = stack.resolver.physical["EscalationStateMachine"]["Ref"]

    def statuses() -> list[str]:
        runs = sfn.list_executions(stateMachineArn=ladder)["executions"]
        return [run["status"] for run in runs if incident_id in run["name"]]

    wait_for(lambda: statuses() != ["RUNNING"])  # it ends when its thread begins, after the pause
    assert statuses() == ["ABORTED"]


LADDERS_STOPPED_WHILE_WAITING = """
import json, threading, time, urllib.request
from local.runtime import start_runtime

def request(method, path, body=None):
    sent = urllib.request.Request(
        f"{runtime.url}{path}", method=method, data=json.dumps(body).encode() if body else None,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {runtime.api_key}"},
    )
    with urllib.request.urlopen(sent, timeout=30) as answer:
        return json.loads(answer.read())

def ladder_threads():
    return sum("giving_way" in thread.name for thread in threading.enumerate())

runtime = start_runtime("127.0.0.1", 0)
request("PUT", "/api/teams/on_call_engineer", {"webhook_url": f"{runtime.url}/_local/sink/ops"})
incident = {"title": "waits", "severity": "high", "assigned_team": "on_call_engineer"}
opened = [request("POST", "/api/incident_response", incident) for _ in range(3)]
runtime.stack.quiet_for(1, timeout=60)  # each ladder has paged its rung 0 and waits for a token
waiting = ladder_threads()
for incident in opened:
    request("DELETE", f"/api/incident_response/{incident['incident_id']}?force=true")
deadline = time.monotonic() + 10
while ladder_threads() and time.monotonic() < deadline:
    time.sleep(0.1)
print(json.dumps([waiting, ladder_threads()]))
runtime.close()
"""


def test_a_ladder_stopped_while_its_rung_waits_ends_at_once() -> None:
    """StopExecution ends an execution whose task waits for its token, as on AWS; moto let the
    task wait out its timeout and then go on to the next state of a stopped ladder."""
    assert last_line_of(LADDERS_STOPPED_WHILE_WAITING) == [3, 0]


LADDER_LEFT_RUNNING = """
import json, time, urllib.request
from local import stack
from local.runtime import start_runtime

stack.PATIENCE_BEFORE_INVOCATION_SECONDS = 3  # a ladder not started yet starts within the wait below

first = start_runtime("127.0.0.1", 0)
opening = urllib.request.Request(
    f"{first.url}/api/incident_response",
    data=json.dumps({"title": "not started", "severity": "high"}).encode(),
    headers={"Content-Type": "application/json", "Authorization": f"Bearer {first.api_key}"},
)
with first.stack.moto_turns.answering():  # the ladder has not begun when the runtime stops
    urllib.request.urlopen(opening, timeout=30).close()
    first.close()
second = start_runtime("127.0.0.1", 0)
time.sleep(5)
print(json.dumps(sorted(second.stack.last_calls)))
second.close()
"""


def test_a_stopped_runtime_leaves_no_ladder_running_into_the_next_one() -> None:
    """The next runtime in the same process (the next bench section) has a moto of its own: a
    ladder left running would page from it for an incident it does not have."""
    assert "PageFunction" not in last_line_of(LADDER_LEFT_RUNNING)  # invoked in the second


KEY_OF_AN_EARLIER_RUNTIME = """
import json, urllib.error, urllib.request
from local.runtime import start_runtime

def status(runtime, key):
    listing = urllib.request.Request(
        f"{runtime.url}/api/incident_response", headers={"Authorization": f"Bearer {key}"}
    )
    try:
        with urllib.request.urlopen(listing, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code

first = start_runtime("127.0.0.1", 0)
earlier_key = first.api_key
known_to_the_first = status(first, earlier_key)
first.close()
second = start_runtime("127.0.0.1", 0)
print(json.dumps([known_to_the_first, status(second, earlier_key), status(second, second.api_key)]))
second.close()
"""


def test_a_runtime_started_after_another_remembers_nothing_of_it() -> None:
    """Each runtime is another deployment: a key the earlier one verified (and its functions
    remembered, warm) is unknown to the next one in the same process."""
    assert last_line_of(KEY_OF_AN_EARLIER_RUNTIME) == [200, 401, 200]
