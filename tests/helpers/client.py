"""The API client of the local runtime, with the assertions tests share."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vigil.domain.teams import AlertingRules

from local.client import ApiClient as BaseClient
from local.client import Reply

__all__ = ["ApiClient", "Reply", "settle", "wait_for"]


@dataclass
class ApiClient(BaseClient):
    def integration(self, kind: str, settings: dict[str, Any] | None = None) -> dict[str, Any]:
        reply = self.post(
            "/api/integrations", {"name": f"test {kind}", "kind": kind, "settings": settings or {}}
        )
        assert reply.status == 201, reply.body
        return dict(reply.body)

    def reset_alerting_rules(self) -> None:
        """Back to the default routing rules (PUT replaces them whole)."""
        reply = self.put("/api/alerting/rules", AlertingRules().model_dump(mode="json"))
        assert reply.status == 200, reply.body

    def incident(self, incident_id: str) -> dict[str, Any]:
        reply = self.get(f"/api/incident_response/{incident_id}")
        assert reply.status == 200, reply.body
        return dict(reply.body)


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll until predicate() is truthy; the value, or an AssertionError after `timeout`.
    The local runtime lets background work (ladder steps, deliveries) give way to HTTP
    requests, so polling too often delays what is polled for: a loaded machine needs patience."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def settle(stack: Any, quiet: float = 1.0, timeout: float = 120.0) -> None:
    """Wait until the local runtime has made no AWS call for `quiet` seconds. Its background
    work (ladders, deliveries) runs after the HTTP answers: a test that started much of it lets
    it finish, so that the next test's ladders do not queue behind it."""
    if not stack.quiet_for(quiet, timeout):
        raise AssertionError(f"the runtime did not settle within {timeout}s")
