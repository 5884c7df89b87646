"""Concurrent duplicates over real HTTP: 100 copies of one alert sent at the same moment store
one alert and open one incident, every time (DESIGN 3: idempotency; issue 3: concurrency).

Two ways of starting together: each sender opens its own connection when the barrier falls
(as 100 separate senders would), or every connection is opened first and only the requests
wait for the barrier (so that all 100 reach the handlers at the same moment).
"""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from tests.helpers.client import ApiClient, Reply

COPIES = 100
ROUNDS = 3


def _connected_sender(api: ApiClient, url: str, body: dict[str, Any]) -> Callable[[], Reply]:
    """A sender whose TCP connection is already open: it only has to send the request."""
    parts = urlsplit(api.base)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)
    connection.connect()

    def send() -> Reply:
        try:
            connection.request("POST", url, json.dumps(body), {"Content-Type": "application/json"})
            response = connection.getresponse()
            return Reply(response.status, json.loads(response.read() or b"null"), dict(response.headers))
        finally:
            connection.close()

    return send


def _fire_together(api: ApiClient, url: str, body: dict[str, Any], *, connect_first: bool) -> list[Reply]:
    """POST `body` to `url` from COPIES threads released by one barrier."""
    if connect_first:  # one at a time, before anyone sends
        senders = [_connected_sender(api, url, body) for _ in range(COPIES)]
    else:
        senders = [lambda: api.post(url, body, key=None)] * COPIES
    barrier = threading.Barrier(COPIES)
    replies: list[Reply | BaseException] = [RuntimeError("never sent")] * COPIES

    def send(index: int) -> None:
        barrier.wait()
        try:
            replies[index] = senders[index]()
        except BaseException as error:  # a dropped connection must fail the test, not vanish
            replies[index] = error

    threads = [threading.Thread(target=send, args=(i,)) for i in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request never finished"
    errors = [r for r in replies if isinstance(r, BaseException)]
    assert not errors, (len(errors), errors[:3])
    return [r for r in replies if isinstance(r, Reply)]


@pytest.mark.parametrize(
    "connect_first", [False, True], ids=["connect-at-barrier", "connected-before-barrier"]
)
def test_100_concurrent_duplicates_make_one_alert_and_one_incident_every_time(
    api: ApiClient, connect_first: bool
) -> None:
    # ROUNDS x COPIES events within seconds: above the default 120 a minute, so raised here.
    integration = api.integration("generic", {"rate_limit_per_minute": 10_000})
    url = f"/api/hooks/{integration['token']}"
    started = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    for round_number in range(ROUNDS):
        unique = uuid.uuid4().hex[:12]
        title = f"concurrent {unique}"
        body = {"title": title, "dedup_key": f"storm-{unique}", "severity": "critical", "labels": {"r": "1"}}
        replies = _fire_together(api, url, body, connect_first=connect_first)

        assert len(replies) == COPIES
        assert all(200 <= r.status < 300 for r in replies), sorted({(r.status, str(r.body)) for r in replies})
        outcomes = [r.body["alerts"][0] for r in replies]
        assert {o["alert_id"] for o in outcomes} != set() and len({o["alert_id"] for o in outcomes}) == 1
        incident_ids = {o["incident_id"] for o in outcomes}
        assert len(incident_ids) == 1 and None not in incident_ids, incident_ids
        [incident_id] = incident_ids
        actions = [o["action"] for o in outcomes]
        assert set(actions) <= {"opened", "duplicate"}, actions
        assert actions.count("opened") == 1, (round_number, actions)  # exactly one answer says it

        # Through the API: one incident with this title, holding one alert seen 100 times.
        listed = api.get(f"/api/incident_response?text={quote(title)}&since={started}&limit=100")
        assert listed.status == 200
        assert [i["incident_id"] for i in listed.body["items"]] == [incident_id]
        incident = api.incident(incident_id)
        assert [(a["dedup_key"], a["occurrences"]) for a in incident["alerts"]] == [
            (body["dedup_key"], COPIES)
        ]
        [alert_id] = {o["alert_id"] for o in outcomes}
        alert = api.get(f"/api/alerting/{alert_id}").body
        assert (alert["occurrences"], alert["incident_id"], alert["status"]) == (
            COPIES,
            incident_id,
            "firing",
        )
        opened = [e for e in incident["timeline"] if e["kind"] == "opened"]
        assert len(opened) == 1, incident["timeline"]

    everything = api.get(f"/api/alerting?since={started}&limit=100").body["items"]
    mine = [a for a in everything if a["integration_id"] == integration["integration_id"]]
    assert len(mine) == ROUNDS  # one alert per round, never a second copy
