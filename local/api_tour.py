"""`make api-docs`: walk every route of the API on the local runtime and print docs/api.md.

Every example is a real request to the in-process runtime and its real response. What changes
from run to run (ids, tokens, timestamps, ports, measured durations) is replaced by a stable
placeholder, so the document changes only when the API does; tests/unit/test_api_docs.py
checks that the committed document is current.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

from vigil.domain.slack import expected_signature

from local.client import ApiClient
from local.runtime import LOCAL_ADMIN_KEY
from local.stack import wait_until_quiet

ROOT = Path(__file__).resolve().parents[1]
PAYLOADS = ROOT / "tests" / "fixtures" / "payloads"
OPENAPI = ROOT / "docs" / "openapi.json"
INC = "/api/incident_response"
PUBLIC_URL = "https://vigil.example.com"
TAG_ORDER = [
    "system",
    "integrations",
    "teams",
    "people",
    "schedules",
    "services",
    "ingestion",
    "incidents",
    "escalation",
    "playbooks",
    "alerting",
    "silences",
    "notifications",
    "config",
    "actions",
    "analytics",
]
MAX_ITEMS = 3
MAX_VALUES = 8
MAX_CHARS = 300
QUIET_SECONDS = 0.6
LADDER = ("timeline", "escalation")
IN_FLUX = "(changing: the escalation ladder starts or moves in the background)"
NOT_YET = "_No example yet: add one to `local/api_tour.py`._"


class TourFailed(RuntimeError):
    """A call did not answer as the tour expects (a 500 is a bug of the API)."""


@dataclass
class Example:
    """One step of the tour: a recorded request and its answer, or a shell step (`script`) that
    computes what the next requests need (a time, a token from a delivered email)."""

    act: str
    route: str
    caption: str
    path: str = ""
    status: int = 0
    response: Any = None
    body: Any = None
    form: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    key: bool = True
    volatile: tuple[str, ...] = ()
    saves: dict[str, str] = field(default_factory=dict)
    script: str | None = None
    cookies: str = ""  # "save": keep the cookie it sets in a jar; "send": send the jar's

    @property
    def method(self) -> str:
        return self.route.split(" ", 1)[0]

    def shown(self) -> Any:
        """The response, with what changes in the background while it is read marked as such."""
        if not isinstance(self.response, dict):
            return self.response
        return {k: IN_FLUX if k in self.volatile else v for k, v in self.response.items()}


# ----------------------------------------------------------------------------- masking
ID = re.compile(r"\b([a-z]{2,5})_[0-9a-f]{12,32}\b")
SECRET = re.compile(r"\b(vg[ikch])_[A-Za-z0-9_\-]{30,}")
LINK_TOKEN = re.compile(r"[A-Za-z0-9_\-]{20,}\.[0-9a-f]{64}")
SES_MESSAGE_ID = re.compile(r"\b[a-z]{16}-[a-z]{8}-[a-z]{4}-[a-z]{4}-[a-z]{4}-[a-z]{12}-[a-z]{6}\b")
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
TIMESTAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")
TIME_PLACEHOLDER = "2026-01-01T00:00:00.000Z"
ICS_STAMP = re.compile(r"\b\d{8}T\d{6}Z\b")
ICS_UID = re.compile(r"^UID:[0-9a-f]{32}@", re.MULTILINE)
RECENT = timedelta(days=90)
DURATION_PLACEHOLDER = 123.456
MEASURED = {"mtta_seconds", "mttr_seconds", "elapsed_minutes"}
PREFIXES = {"prefix", "token_prefix"}
OPAQUE = {"next_cursor": "<cursor>", "csrf_token": "<csrf-token>"}
HOUR_DEPENDENT = "<depends on the hour the tour ran>"  # a replay's night pages


@dataclass
class Masker:
    """Replaces what varies between runs with placeholders; keeps what a reader needs."""

    literals: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)  # literal -> shell VARIABLE
    numbers: dict[str, str] = field(default_factory=dict)  # saved version numbers
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def request(self, value: str) -> str:
        """A request's text with each saved value replaced by its shell variable."""
        for literal in sorted(self.variables, key=len, reverse=True):
            value = value.replace(literal, f"${{{self.variables[literal]}}}")
        return value

    def request_body(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self.request_body(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.request_body(v) for v in value]
        if isinstance(value, str):
            return self.request(value)
        if key == "version" and str(value) in self.numbers:
            return f"@@{self.numbers[str(value)]}@@"  # a number: unquoted in the JSON
        return value

    def text(self, value: str) -> str:
        for literal, placeholder in self.literals.items():
            value = value.replace(literal, placeholder)
        value = TIMESTAMP.sub(self._timestamp, value)
        value = ICS_STAMP.sub(self._ics_stamp, value)
        value = ICS_UID.sub("UID:<hash of the shift>@", value)
        value = SECRET.sub(r"\1_…", value)
        value = LINK_TOKEN.sub("<signed-token>", value)
        value = SES_MESSAGE_ID.sub("<ses-message-id>", value)
        value = UUID.sub("00000000-0000-0000-0000-000000000000", value)
        return ID.sub(r"\1_…", value)

    def _timestamp(self, match: re.Match[str]) -> str:
        try:
            moment = datetime.fromisoformat(match.group(0).replace("Z", "+00:00"))
        except ValueError:
            return match.group(0)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return TIME_PLACEHOLDER if abs(moment - self.now) < RECENT else match.group(0)

    def _ics_stamp(self, match: re.Match[str]) -> str:
        moment = datetime.strptime(match.group(0), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return "20260101T000000Z" if abs(moment - self.now) < RECENT else match.group(0)

    def value(self, value: Any, key: str = "") -> Any:
        if key == "by_hour" and isinstance(value, dict):
            return {"HH": sum(value.values())}
        if key in ("night_pages", "night_notifications"):
            return HOUR_DEPENDENT
        if isinstance(value, dict):  # keys too: configuration sections are keyed by object ids
            return {self.text(k): self.value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, str) and key in OPAQUE:
            return OPAQUE[key]
        if isinstance(value, str):
            return value[:4] + "…" if key in PREFIXES else self.text(value)
        if isinstance(value, int | float) and not isinstance(value, bool) and key in MEASURED:
            return DURATION_PLACEHOLDER
        return value


def shortened(value: Any) -> Any:
    """Long lists keep their first items and long strings their start, with what was left out."""
    if isinstance(value, dict):
        return {k: shortened(v) for k, v in value.items()}
    if isinstance(value, list):
        limit = MAX_ITEMS if any(isinstance(v, dict | list) for v in value) else MAX_VALUES
        kept = [shortened(v) for v in value[:limit]]
        return kept + ([f"… {len(value) - limit} more"] if len(value) > limit else [])
    if isinstance(value, str) and len(value) > MAX_CHARS:
        return f"{value[:MAX_CHARS]}… ({len(value) - MAX_CHARS} more characters)"
    return value


# ----------------------------------------------------------------------------- the recorder
@dataclass
class Recorder:
    """Makes the tour's calls, checks each answer and keeps it as an example. Values that later
    requests need are saved in shell variables, so that the document runs as written."""

    api: ApiClient
    calls: Callable[[], int]
    examples: list[Example] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)  # literal -> VARIABLE
    numbers: dict[str, str] = field(default_factory=dict)  # a saved number -> VARIABLE
    act: str = ""
    last_cookie: str = ""

    def call(
        self,
        route: str,
        path: str | None = None,
        body: Any = None,
        *,
        status: int = 200,
        caption: str = "",
        volatile: tuple[str, ...] = (),
        key: bool = True,
        form: str | None = None,
        headers: dict[str, str] | None = None,
        save: dict[str, str] | None = None,
        cookies: str = "",
    ) -> Any:
        method, template = route.split(" ", 1)
        path = path or template
        raw = form.encode() if form is not None else None
        reply = self.api.call(method, path, body, key=key or None, raw=raw, headers=headers)
        if reply.status != status:
            raise TourFailed(
                f"{method} {path} answered {reply.status}, not {status}\n"
                f"request body: {json.dumps(body) if form is None else form}\n"
                f"response: {json.dumps(reply.body, indent=2)}\n(the handler's traceback is in the log above)"
            )
        if cookies == "save":
            self.last_cookie = reply.headers["Set-Cookie"].split(";", 1)[0]
        for variable, jq_path in (save or {}).items():
            value = pick(reply.body, jq_path)
            saved = self.variables if isinstance(value, str) else self.numbers
            saved[str(value)] = variable
        self.examples.append(
            Example(
                self.act, route, caption, path, reply.status, reply.body, body, form,
                headers or {}, key, volatile, save or {}, cookies=cookies,
            )
        )  # fmt: skip
        return reply.body

    def shell(self, caption: str, script: str, values: dict[str, str]) -> None:
        """A shell step: `script` sets the variables whose values the tour computed as `values`."""
        self.variables |= {literal: variable for variable, literal in values.items()}
        self.examples.append(Example(self.act, "", caption, script=script))

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until the stack has stopped working in the background (ladders, deliveries):
        what is read next is then the same on every run."""
        if not wait_until_quiet(self.calls, QUIET_SECONDS, timeout):
            raise TourFailed(f"the stack did not settle within {timeout} s")


def pick(value: Any, jq_path: str) -> Any:
    """The value at a simple jq path such as `.items[0].delivery_id`."""
    for part in re.findall(r"\.(\w+)|\[(\d+)\]", jq_path):
        value = value[part[0]] if part[0] else value[int(part[1])]
    return value


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


# ----------------------------------------------------------------------------- the tour
AUTH = '-H "Authorization: Bearer $KEY"'


@dataclass
class Tour:
    """Every route in a realistic order: an integration and a team, an alert that opens an
    incident, the work on it, then configuration, links, analytics and clean-up."""

    r: Recorder
    api: ApiClient
    base: str
    masker: Masker
    ids: dict[str, str] = field(default_factory=dict)

    def run(self) -> None:
        for title, act in self.acts():
            self.r.act = title
            act()

    def acts(self) -> list[tuple[str, Callable[[], None]]]:
        return [
            ("System", self.system),
            ("Integrations", self.integrations),
            ("Teams", self.teams),
            ("People and schedules", self.people_and_schedules),
            ("Services and escalation policies", self.services),
            ("Ingestion", self.ingestion),
            ("Working an incident", self.incident),
            ("Escalation", self.escalation),
            ("Acknowledge and resolve", self.lifecycle),
            ("Opening an incident by hand", self.hand_opened),
            ("Playbooks", self.playbooks),
            ("Alerting", self.alerting),
            ("Silences", self.silences),
            ("An incident from an alert", self.from_alert),
            ("Notifications", self.notifications),
            ("Signed links", self.signed_links),
            ("Slack buttons", self.slack),
            ("Responder control", self.responder_control),
            ("Analytics", self.analytics),
            ("API keys", self.keys),
            ("Console sessions", self.console_session),
            ("Configuration as code", self.config_as_code),
            ("Heartbeats", self.heartbeats),
            ("Clean-up", self.wrap_up),
        ]

    def sink(self, name: str) -> str:
        return f"{self.base}/_local/sink/{name}"

    def system(self) -> None:
        self.r.call("GET /api/health", key=False)
        self.r.call("GET /api/incident_response", status=401, key=False, caption="Without a key: 401")

    def integrations(self) -> None:
        body = {"name": "Prometheus Alertmanager (prod)", "kind": "alertmanager"}
        save = {"INTEGRATION_ID": ".integration_id", "AM_TOKEN": ".token"}
        created = self.r.call("POST /api/integrations", body=body, status=201, save=save)
        self.ids |= {"integration": created["integration_id"], "am_token": created["token"]}
        self.r.call(
            "POST /api/integrations",
            body={"name": "nagios", "kind": "nagios"},
            status=400,
            caption="An unknown kind: 400 naming the field",
        )
        self.r.call("GET /api/integrations")
        self.r.call("GET /api/integrations/{integration_id}", f"/api/integrations/{self.ids['integration']}")
        pagerduty = self.r.call(
            "POST /api/integrations",
            body={"name": "Uptime checks", "kind": "pagerduty"},
            status=201,
            caption="A `pagerduty` integration, for senders of PagerDuty Events v2: its answer gives the "
            "Events API URL and the routing key",
            save={"PD_TOKEN": ".token"},
        )
        self.ids["pd_token"] = pagerduty["token"]

    def teams(self) -> None:
        team = {
            "members": [
                {
                    "name": "Ann Lee",
                    "contact_methods": [
                        {"type": "email", "address": "ann@example.com"},
                        {"type": "sms", "address": "+15555550100"},
                    ],
                }
            ],
            "email_list": ["oncall@example.com"],
        }
        self.r.call("PUT /api/teams/{name}", "/api/teams/emergency_team", team)
        self.r.call("GET /api/teams")
        self.r.call("GET /api/teams/{name}", "/api/teams/emergency_team")
        self.r.call(
            "PUT /_local/sink/{name}",
            "/_local/sink/payments",
            {"status": 410},
            key=False,
            caption="The payments team's webhook receiver is gone for good (locally, the runtime's "
            "stand-in receiver `/_local/sink/{name}` is told to answer 410)",
        )
        payments = {"webhook_url": self.sink("payments")}
        self.r.call(
            "PUT /api/teams/{name}", "/api/teams/payments", payments, caption="A team paged by webhook"
        )

    def people_and_schedules(self) -> None:
        for user_id, name, phone in (("ann", "Ann Lee", "+15555550100"), ("bob", "Bob Ray", "+15555550101")):
            self.r.call("PUT /api/users/{user_id}", f"/api/users/{user_id}", person(user_id, name, phone))
        self.r.call("GET /api/users")
        self.r.call("GET /api/users/{user_id}", "/api/users/ann")
        self.r.call(
            "PUT /api/users/{user_id}",
            "/api/users/cy",
            {"name": "Cy", "email": "cy@example.com", "time_zone": "Europe/Londres"},
            status=400,
            caption="An unknown time zone: 400 naming the field",
        )
        self.r.call("PUT /api/users/{user_id}", "/api/users/cy", {"name": "Cy", "email": "cy@example.com"})
        self.r.call("DELETE /api/users/{user_id}", "/api/users/cy")
        self.r.call(
            "POST /api/users/{user_id}/keys",
            "/api/users/ann/keys",
            {"name": "Ann's laptop"},
            status=201,
            caption="A key that acts as Ann: the timeline names her for what it does",
        )
        schedule = self.r.call(
            "POST /api/schedules", body=SCHEDULE, status=201, save={"SCHEDULE_ID": ".schedule_id"}
        )
        path = f"/api/schedules/{schedule['schedule_id']}"
        self.ids["schedule"] = schedule["schedule_id"]
        self.r.call(
            "POST /api/schedules",
            body={**SCHEDULE, "layers": [{**SCHEDULE["layers"][0], "participants": ["ann", "zed"]}]},
            status=400,
            caption="A participant who is nobody: 400 naming the field",
        )
        self.r.call("GET /api/schedules")
        self.r.call("GET /api/schedules/{schedule_id}", path)
        self.r.call("PUT /api/schedules/{schedule_id}", path, {**SCHEDULE, "name": "Payments primary"})
        self.r.call(
            "GET /api/schedules/{schedule_id}/oncall",
            f"{path}/oncall?since=2026-03-02T14:00:00Z&until=2026-03-16T13:00:00Z",
            caption="The final schedule of two weeks: the handoff stays at 09:00 New York time across DST",
        )
        override = {"user_id": "bob", "start": "2026-03-04T00:00:00Z", "end": "2026-03-05T00:00:00Z"}
        created = self.r.call(
            "POST /api/schedules/{schedule_id}/overrides",
            f"{path}/overrides",
            override,
            status=201,
            save={"OVERRIDE_ID": ".id"},
        )
        self.r.call(
            "GET /api/schedules/{schedule_id}/oncall",
            f"{path}/oncall?at=2026-03-04T12:00:00Z",
            caption="Who is on call at a moment: the override wins",
        )
        self.r.call(
            "DELETE /api/schedules/{schedule_id}/overrides/{override_id}", f"{path}/overrides/{created['id']}"
        )
        spare = self.r.call(
            "POST /api/schedules",
            body={**SCHEDULE, "name": "Spare"},
            status=201,
            save={"SPARE_ID": ".schedule_id"},
        )
        self.r.call("DELETE /api/schedules/{schedule_id}", f"/api/schedules/{spare['schedule_id']}")
        self.calendars(path)

    def calendars(self, schedule_path: str) -> None:
        feed = self.r.call(
            "POST /api/schedules/{schedule_id}/calendar",
            f"{schedule_path}/calendar",
            status=201,
            caption="The address is the secret: calendar apps subscribe to it without a key",
            save={"FEED_URL": ".url"},
        )
        feed_path = feed["url"].removeprefix(self.base)
        self.r.shell(
            "The feed's path, for the next request", 'FEED=${FEED_URL#"$VIGIL"}', {"FEED": feed_path}
        )
        self.r.call(
            "GET /api/calendars/{feed}",
            feed_path,
            key=False,
            caption="The shifts of a week ago to eight weeks ahead (the first shown)",
        )
        self.r.call("POST /api/users/{user_id}/calendar", "/api/users/ann/calendar", status=201)

    def services(self) -> None:
        schedule = f"schedule:{self.ids['schedule']}"
        policy = {
            "name": "Payments",
            "targets": [schedule],
            "rules": [
                {"escalation_level": 1, "escalate_to": "user:bob", "escalate_after_minutes": 10},
                {"escalation_level": 2, "escalate_to": "senior_engineers", "escalate_after_minutes": 20},
            ],
            "repeat": 1,
            "fallback_target": "platform_team",
        }
        created = self.r.call(
            "POST /api/escalation-policies",
            body=policy,
            status=201,
            caption="Rung 0 pages whoever is on call on the schedule; then Bob; then a team",
            save={"POLICY_ID": ".policy_id"},
        )
        path = f"/api/escalation-policies/{created['policy_id']}"
        self.r.call(
            "POST /api/escalation-policies",
            body={**policy, "targets": ["user:zed"]},
            status=400,
            caption="A target who is nobody: 400 naming the field",
        )
        self.r.call("GET /api/escalation-policies")
        self.r.call("GET /api/escalation-policies/{policy_id}", path)
        self.r.call("PUT /api/escalation-policies/{policy_id}", path, {**policy, "repeat": 2})
        self.r.call(
            "POST /api/incident_response/escalation-rules/simulate",
            body={"severity": "high", "policy_id": created["policy_id"]},
            caption="Dry-run this policy: who would be paged at what second, with nobody paged",
        )
        probes = self.r.call(
            "POST /api/integrations",
            body={"name": "Checkout probes", "kind": "generic"},
            status=201,
            save={"PROBES_ID": ".integration_id"},
        )
        service = {
            "name": "Checkout",
            "escalation_policy_id": created["policy_id"],
            "integrations": [probes["integration_id"]],
        }
        made = self.r.call(
            "POST /api/services",
            body=service,
            status=201,
            caption="The probes' alerts are now Checkout's: its policy pages them",
            save={"SERVICE_ID": ".service_id"},
        )
        service_path = f"/api/services/{made['service_id']}"
        self.r.call("GET /api/services")
        self.r.call("GET /api/services/{service_id}", service_path)
        self.r.call("PUT /api/services/{service_id}", service_path, {**service, "name": "Checkout (web)"})
        spare = self.r.call(
            "POST /api/escalation-policies",
            body={**policy, "name": "Spare"},
            status=201,
            save={"SPARE_POLICY_ID": ".policy_id"},
        )
        self.r.call(
            "DELETE /api/escalation-policies/{policy_id}", f"/api/escalation-policies/{spare['policy_id']}"
        )
        self.r.call("DELETE /api/services/{service_id}", service_path)
        for vendor, caption in (
            ("pagerduty", "PagerDuty's own API examples, imported: what could not be mapped is said"),
            (
                "grafana-oncall",
                "Grafana OnCall's own API examples, imported: an every-other-week shift is unmapped",
            ),
            ("opsgenie", "Opsgenie API answers (written to its published schema), imported"),
        ):
            self.r.call(
                "POST /api/import/{vendor}",
                f"/api/import/{vendor}",
                json.loads((ROOT / "tests" / "fixtures" / "oncall_import" / f"{vendor}.json").read_text()),
                status=201,
                caption=caption,
            )

    def ingestion(self) -> None:
        path = f"/api/hooks/{self.ids['am_token']}"
        sent = self.r.call(
            "POST /api/hooks/{token}",
            path,
            payload("alertmanager_v4_firing_alerta.json"),
            key=False,
            save={"INCIDENT_ID": ".alerts[0].incident_id", "ALERT_ID": ".alerts[0].alert_id"},
        )
        self.ids |= {"incident": sent["alerts"][0]["incident_id"], "alert": sent["alerts"][0]["alert_id"]}
        self.r.settle()
        self.r.call(
            "POST /api/hooks",
            body=payload("alertmanager_v4_firing_alerta.json"),
            key=False,
            headers={"Authorization": f"Bearer {self.ids['am_token']}"},
            caption="The token as `Authorization: Bearer` instead (preferred: it stays out of URLs and "
            "the sender's logs); the same alert again is a duplicate",
        )
        self.r.call(
            "POST /api/hooks",
            body={"title": "x"},
            status=401,
            key=False,
            caption="Without a token, in the path or as a Bearer header: 401",
        )
        self.r.call(
            "POST /api/hooks/{token}",
            "/api/hooks/vgi_not_a_token",
            {"title": "x"},
            status=401,
            key=False,
            caption="An unknown token: 401",
        )
        event = payload("pagerduty_events_v2_trigger_openapi_example.json") | {
            "routing_key": self.ids["pd_token"]
        }
        self.r.call("POST /v2/enqueue", body=event, status=202, key=False)
        self.r.settle()
        newest = self.r.call(
            "GET /api/incident_response",
            f"{INC}?limit=1",
            caption="The incident the PagerDuty event opened is the newest",
            save={"PAGED_ID": ".items[0].incident_id"},
        )
        self.ids["paged"] = newest["items"][0]["incident_id"]
        change = {
            "routing_key": self.ids["pd_token"],
            "payload": {
                "summary": "Deployed uptime-checker v1.8.0",
                "source": "ci",
                "timestamp": "2026-12-02T05:00:00Z",
                "custom_details": {"build": 812},
            },
            "links": [{"href": "https://ci.example.com/builds/812", "text": "build 812"}],
        }
        self.r.call(
            "POST /v2/change/enqueue",
            body=change,
            status=202,
            key=False,
            caption="A PagerDuty Change Event: on the timelines of the integration's open incidents as a "
            "recent change; it pages no one",
        )

    def incident(self) -> None:
        path = f"{INC}/{self.ids['incident']}"
        self.r.call("GET /api/incident_response", f"{INC}?status=open&limit=5")
        self.r.call("GET /api/incident_response/{incident_id}", path)
        self.r.call(
            "GET /api/incident_response/{incident_id}",
            f"{INC}/inc_0000000000000000",
            status=404,
            caption="An unknown id: 404",
        )
        note = {"note": "Ingest stalled after the 14:05 deploy of the collector; rolling it back."}
        noted = self.r.call(
            "POST /api/incident_response/{incident_id}/notes",
            f"{path}/notes",
            note,
            status=201,
            save={"VERSION": ".version"},
        )
        change = {
            "status": "investigating",
            "reason": "rolling back the collector",
            "version": noted["version"],
        }
        self.r.call("PUT /api/incident_response/{incident_id}", path, change)
        stale = {"severity": "high", "version": noted["version"]}
        self.r.call(
            "PUT /api/incident_response/{incident_id}",
            path,
            stale,
            status=409,
            caption="The same version again is stale: 409",
        )
        self.r.call("GET /api/incident_response/{incident_id}/timeline", f"{path}/timeline?limit=3")

    def escalation(self) -> None:
        assignment = "/api/incident_response/assignment-rules"
        current = self.r.call(f"GET {assignment}")
        self.r.call(f"PUT {assignment}", body=current)
        rules = "/api/incident_response/escalation-rules"
        self.r.call(f"GET {rules}")
        self.r.call(f"PUT {rules}", body=POLICY)
        self.r.call(f"POST {rules}/simulate", body={"severity": "critical", "category": "database"})
        reason = {"incident_id": self.ids["incident"], "reason": "no answer from the primary on-call"}
        self.r.call("POST /api/incident_response/escalate", body=reason, volatile=LADDER)
        self.r.settle()

    def lifecycle(self) -> None:
        path = f"{INC}/{self.ids['incident']}"
        self.r.call(
            "POST /api/incident_response/{incident_id}/acknowledge",
            f"{path}/acknowledge",
            {"reason": "Ann is on it"},
        )
        self.r.call(
            "POST /api/incident_response/{incident_id}/resolve",
            f"{path}/resolve",
            {"reason": "collector rolled back; things are recorded again"},
        )
        self.r.call(
            "POST /api/incident_response/{incident_id}/acknowledge",
            f"{path}/acknowledge",
            {},
            status=422,
            caption="Acknowledging a resolved incident: 422",
        )
        self.r.settle()

    def hand_opened(self) -> None:
        bad = {"title": "", "severity": "huge"}
        self.r.call("POST /api/incident_response", body=bad, status=400, caption="Invalid fields: 400")
        body = {
            "title": "Checkout: too many connections on orders-db",
            "description": "Card payments fail with 'remaining connection slots are reserved'.",
            "severity": "high",
            "category": "database",
            "assigned_team": "payments",
            "labels": {"service": "checkout", "db": "orders-db"},
        }
        created = self.r.call(
            "POST /api/incident_response",
            body=body,
            status=201,
            headers={"Idempotency-Key": "checkout-orders-db-1"},
            volatile=LADDER,
            save={"CHECKOUT_ID": ".incident_id"},
        )
        self.ids["checkout"] = created["incident_id"]
        self.r.settle()

    def playbooks(self) -> None:
        base, path = f"{INC}/playbooks", f"{INC}/{self.ids['checkout']}"
        self.r.call("GET /api/incident_response/playbooks")
        self.r.call(
            "GET /api/incident_response/playbooks/{playbook_id}", f"{base}/database-connection-failure"
        )
        book = playbook(self.sink("diagnostics"))
        self.r.call("POST /api/incident_response/playbooks", body=book, status=201)
        changed = {k: v for k, v in book.items() if k != "playbook_id"} | {"estimated_duration_minutes": 30}
        self.r.call(
            "PUT /api/incident_response/playbooks/{playbook_id}", f"{base}/orders-db-connections", changed
        )
        self.r.call(
            "PUT /api/incident_response/playbooks/{playbook_id}",
            f"{base}/high-error-rate",
            changed,
            status=409,
            caption="Built-in playbooks are read-only: 409",
        )
        self.r.call(
            "POST /api/incident_response/{incident_id}/playbook",
            f"{path}/playbook",
            {"playbook_id": "orders-db-connections"},
        )
        step = "POST /api/incident_response/{incident_id}/playbook/steps/{n}"
        self.r.call(step, f"{path}/playbook/steps/1", {"status": "done", "note": "412 of 500 in use"})
        self.r.call(step, f"{path}/playbook/steps/2", {"status": "run"}, caption="Run an automated step")
        self.r.settle()
        self.r.call("DELETE /api/incident_response/playbooks/{playbook_id}", f"{base}/orders-db-connections")

    def alerting(self) -> None:
        alert = {
            "title": "Replica lag above 30 s on orders-db",
            "description": "pg_stat_replication shows replay_lag 00:00:34 on orders-db-replica-2.",
            "severity": "high",
            "category": "database",
            "source": "grafana",
            "correlation_id": "orders-db",
            "labels": {"db": "orders-db", "env": "prod"},
        }
        self.r.call("POST /api/alerting/send", body=alert)
        self.r.settle()
        disks = [disk_alert(host, pct) for host, pct in (("web-3", 91), ("web-4", 95))]
        self.r.call(
            "POST /api/alerting/bulk",
            body={"alerts": [disks[0], {"title": "", "severity": "huge"}, disks[1]]},
        )
        self.r.settle()
        self.r.call(
            "POST /api/alerting/bulk",
            body=[disk_alert("web-5", 92)],
            caption="The original spec's shape: the list itself",
        )
        self.r.settle()
        self.r.call("GET /api/alerting", "/api/alerting?severity=high&limit=3")
        self.r.call("GET /api/alerting/{alert_id}", f"/api/alerting/{self.ids['alert']}")

    def silences(self) -> None:
        starts = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
        window = {"starts_at": starts, "ends_at": starts + timedelta(hours=2)}
        stamps = {k: v.strftime("%Y-%m-%dT%H:%M:%SZ") for k, v in window.items()}
        self.masker.literals |= {
            stamps["starts_at"]: "2026-01-01T00:00:00Z",
            stamps["ends_at"]: "2026-01-01T02:00:00Z",
        }
        self.r.shell(
            "A window from five minutes ago to two hours from then (GNU date)",
            "STARTS=$(date -u -d '-5 minutes' +%Y-%m-%dT%H:%M:%SZ)\n"
            "ENDS=$(date -u -d '+115 minutes' +%Y-%m-%dT%H:%M:%SZ)",
            {"STARTS": stamps["starts_at"], "ENDS": stamps["ends_at"]},
        )
        matchers = [
            {"name": "labels.host", "value": "web-7"},
            {"name": "severity", "op": "=~", "value": "low|medium"},
        ]
        body = {"matchers": matchers, **stamps, "comment": "web-7: disk replacement"}
        silence = self.r.call("POST /api/silences", body=body, status=201, save={"SILENCE_ID": ".silence_id"})
        self.r.call(
            "POST /api/alerting/send",
            body=disk_alert("web-7", 97),
            caption="An alert a silence matches: stored, pages no one",
        )
        self.r.call("GET /api/silences")
        self.r.call("DELETE /api/silences/{silence_id}", f"/api/silences/{silence['silence_id']}")

    def from_alert(self) -> None:
        info = {
            "title": "Nightly backup took 3 h",
            "severity": "info",
            "category": "database",
            "source": "backup-cron",
        }
        sent = self.r.call(
            "POST /api/alerting/send",
            body=info,
            caption="An informational alert opens no incident",
            save={"INFO_ALERT_ID": ".alert_id"},
        )
        opened = self.r.call(
            "POST /api/incident_response/from-alert",
            body={"alert_id": sent["alert_id"]},
            volatile=LADDER,
            save={"FROM_ALERT_ID": ".incident_id"},
        )
        self.r.settle()
        self.r.call(
            "POST /api/incident_response/from-alert",
            body={"title": "Certificate for api.example.com expires in 6 days", "severity": "low"},
            volatile=LADDER,
            caption="The alert itself (the original spec's shape): sent, then its incident opened",
        )
        self.r.settle()
        path = f"{INC}/{opened['incident_id']}"
        self.r.call(
            "DELETE /api/incident_response/{incident_id}",
            path,
            status=409,
            caption="An unresolved incident: 409 without force=true",
        )
        self.r.call("DELETE /api/incident_response/{incident_id}", f"{path}?force=true")
        self.r.settle()

    def notifications(self) -> None:
        template = "/api/alerting/templates/email_subject:critical"
        self.r.call("GET /api/alerting/templates")
        source = {
            "source": "[{{ incident.severity | upper }}] {{ incident.title }} ({{ incident.assigned_team }})"
        }
        self.r.call(
            "POST /api/alerting/templates/{template_id}/preview",
            "/api/alerting/templates/email_html/preview",
            {"source": "<p>{{ incident.title }}</p>\n<p>{{ links.acknowledge }}</p>"},
            caption="Try a template on the sample incident without saving it",
        )
        self.r.call("PUT /api/alerting/templates/{template_id}", template, source)
        self.r.call("DELETE /api/alerting/templates/{template_id}", template)
        pair = "/api/alerting/templates/email:low/pair"
        self.r.call("GET /api/alerting/templates/{template_id}/pair", pair)
        written = {
            "subject_template": "[low] {{ incident.title }}",
            "body_template": "{{ incident.title }}: {{ incident.description }}\nAcknowledge: {{ links.acknowledge }}",
        }
        self.r.call(
            "PUT /api/alerting/templates/{template_id}/pair",
            pair,
            written,
            caption="The original spec's shape: subject and body of the email (here for low severity)",
        )
        for part in ("email_subject:low", "email_text:low"):
            self.r.call("DELETE /api/alerting/templates/{template_id}", f"/api/alerting/templates/{part}")
        rules = self.r.call("GET /api/alerting/rules")
        rules["channels_by_severity"]["medium"] = ["email", "slack", "webhook"]
        self.r.call("PUT /api/alerting/rules", body=rules)
        self.r.call(
            "PUT /api/alerting/rules",
            body={"channels_by_severity": {"high": ["webhook"]}},
            status=400,
            caption="A partial PUT would drop the rest: 400 naming what is missing",
        )
        self.r.call(
            "PATCH /api/alerting/rules",
            body={"channels_by_severity": {"medium": ["email", "webhook"]}},
            caption="PATCH changes only what it names",
        )
        self.r.call(
            "POST /api/alerting/test",
            body={"team": "emergency_team", "channels": ["email", "webhook", "sms"]},
        )
        self.r.call(
            "POST /api/alerting/test",
            body={},
            caption="An empty body tests every channel of the default team",
        )
        self.replay()

    def replay(self) -> None:
        failed = f"/api/notifications?incident_id={self.ids['checkout']}&status=failed"
        self.r.shell(
            "Wait until the webhook to the payments team has failed (its receiver answers 410)",
            f'until curl -s "$VIGIL{failed.replace(self.ids["checkout"], "${CHECKOUT_ID}")}" {AUTH} \\\n'
            "  | jq -e '.items | length > 0' >/dev/null; do sleep 0.5; done",
            {},
        )
        ledger = self.r.call("GET /api/notifications", failed, save={"DELIVERY_ID": ".items[0].delivery_id"})[
            "items"
        ]
        path = f"/api/notifications/{ledger[0]['delivery_id']}/replay"
        self.r.call(
            "PUT /_local/sink/{name}",
            "/_local/sink/payments",
            {"status": 200},
            key=False,
            caption="The receiver is back",
        )
        self.r.call("POST /api/notifications/{delivery_id}/replay", path)
        self.r.settle()
        self.r.shell(
            "Wait until the replayed delivery has succeeded",
            f'until curl -s "$VIGIL{failed.replace(self.ids["checkout"], "${CHECKOUT_ID}")}" {AUTH} \\\n'
            "  | jq -e '.items | length == 0' >/dev/null; do sleep 0.5; done",
            {},
        )
        self.r.call(
            "POST /api/notifications/{delivery_id}/replay",
            path,
            status=422,
            caption="A delivery that did not fail: 422",
        )

    def signed_links(self) -> None:
        token = link_token(self.api.get("/_local/outbox").body["items"], self.ids["paged"])
        self.r.shell(
            "The acknowledge link's token, from the email that paged the PagerDuty incident "
            "(locally, every email is in `/_local/outbox`)",
            'TOKEN=$(curl -s "$VIGIL/_local/outbox" | jq -r --arg id "$PAGED_ID" \\\n'
            '  \'[.items[] | select(.channel == "email" and (.body.Text | contains($id)))][0].body.Text\n'
            '   | capture("Acknowledge: \\\\S+token=(?<t>[^&\\\\s]+)").t\')',
            {"TOKEN": token},
        )
        self.r.call("GET /api/actions", f"/api/actions?token={token}", key=False)
        form = urllib.parse.urlencode({"token": token})
        self.r.call("POST /api/actions", form=form, key=False, headers={"Content-Type": FORM})
        self.r.call(
            "POST /api/actions",
            form=form,
            key=False,
            headers={"Content-Type": FORM},
            status=401,
            caption="A link already used: 401",
        )
        self.r.settle()

    def slack(self) -> None:
        secret = str(self.api.get("/_local/secrets").body["slack_signing_secret"]).encode()
        press = {
            "type": "block_actions",
            "user": {"id": "U024BE7LH", "username": "ann"},
            "actions": [{"action_id": "resolve", "value": self.ids["paged"]}],
        }
        form = "payload=" + urllib.parse.quote(json.dumps(press, separators=(",", ":")), safe="")
        stamp = str(int(time.time()))
        signature = expected_signature(secret, stamp, form.encode())
        self.r.shell(
            "A button press as Slack signs it (locally the Slack signing secret is in "
            "`/_local/secrets`; deployed, it is the one you stored in the signing secret)",
            'SLACK_SECRET=$(curl -s "$VIGIL/_local/secrets" | jq -r .slack_signing_secret)\n'
            "TS=$(date +%s)\n"
            'BODY="payload=$(jq -rn --arg id "$PAGED_ID" \\\n'
            '  \'{type: "block_actions", user: {id: "U024BE7LH", username: "ann"},\n'
            '    actions: [{action_id: "resolve", value: $id}]} | tojson | @uri\')"\n'
            'SIG="v0=$(printf \'v0:%s:%s\' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$SLACK_SECRET"'
            " | sed 's/^.* //')\"",
            {"TS": stamp, "SIG": signature, "BODY": form},
        )
        headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}
        self.r.call("POST /api/slack/actions", form=form, key=False, headers=headers)
        self.r.settle()

    def responder_control(self) -> None:
        opened = {
            "title": "Search latency above 2 s",
            "severity": "high",
            "category": "performance",
            "assigned_team": "emergency_team",
        }
        created = self.r.call(
            "POST /api/incident_response",
            body=opened,
            status=201,
            volatile=LADDER,
            save={"SEARCH_ID": ".incident_id"},
        )
        self.r.settle()
        path = f"{INC}/{created['incident_id']}"
        for responder in ({"team": "payments"}, {"email": "dba@example.com"}):
            self.r.call(
                "POST /api/incident_response/{incident_id}/responders",
                f"{path}/responders",
                responder,
                volatile=LADDER,
            )
            self.r.settle()
        moves: list[tuple[str, dict[str, Any]]] = [
            ("escalate", {"escalation_level": 1, "reason": "the primary is on a flight"}),
            ("reassign", {"team": "payments", "reason": "checkout search is theirs"}),
            ("snooze", {"minutes": 30}),
        ]
        for action, body in moves:
            self.r.call(
                f"POST /api/incident_response/{{incident_id}}/{action}",
                f"{path}/{action}",
                body,
                volatile=LADDER,
            )
            self.r.settle()
        duplicate = {"title": "Search: p99 above 5 s", "severity": "high", "assigned_team": "emergency_team"}
        other = self.r.call(
            "POST /api/incident_response",
            body=duplicate,
            status=201,
            volatile=LADDER,
            save={"DUPLICATE_ID": ".incident_id"},
        )
        self.r.settle()
        self.r.call(
            "POST /api/incident_response/{incident_id}/merge",
            f"{INC}/{other['incident_id']}/merge",
            {"into": created["incident_id"]},
            volatile=LADDER,
        )
        self.r.call(
            "POST /api/incident_response/{incident_id}/merge",
            f"{path}/merge",
            {"into": created["incident_id"]},
            status=400,
            caption="Into itself: 400",
        )
        self.r.settle()

    def analytics(self) -> None:
        self.r.call("GET /api/analytics")

    def keys(self) -> None:
        self.r.call("GET /api/keys")
        created = self.r.call(
            "POST /api/keys", body={"name": "ci pipeline"}, status=201, save={"KEY_ID": ".key_id"}
        )
        self.r.call("DELETE /api/keys/{key_id}", f"/api/keys/{created['key_id']}")

    def console_session(self) -> None:
        signed_in = self.r.call(
            "POST /api/sign-in",
            body={"api_key": self.api.key},
            key=False,
            caption="The console signs in with an API key; the session is an HttpOnly cookie",
            save={"CSRF": ".csrf_token"},
            cookies="save",
        )
        cookie = {"Cookie": self.r.last_cookie}
        self.r.call("GET /api/session", key=False, headers=cookie, cookies="send")
        refused = {**cookie}
        self.r.call(
            "POST /api/sign-out",
            key=False,
            headers=refused,
            cookies="send",
            status=403,
            caption="A change in a session without its CSRF token: 403",
        )
        with_csrf = {**cookie, "X-CSRF-Token": signed_in["csrf_token"]}
        self.r.call("POST /api/sign-out", key=False, headers=with_csrf, cookies="send")
        self.magic_link()

    def magic_link(self) -> None:
        email = "ann@example.com"
        self.r.call(
            "POST /api/keys",
            body={"name": "Ann Lee", "scope": "responder", "email": email, "team": "emergency_team"},
            status=201,
            caption="A person's key: with their email a magic link can sign them in",
        )
        self.r.call(
            "POST /api/sign-in/link",
            body={"email": email},
            key=False,
            status=202,
            caption="The console's other sign-in: a link, emailed; the answer is the same for any address",
        )
        text = [
            o for o in self.api.get("/_local/outbox").body["items"] if o.get("subject") == SIGN_IN_SUBJECT
        ][-1]["body"]["Text"]
        token = re.search(r"#/signin/link/(\S+)", text)
        if not token:
            raise TourFailed(f"no sign-in link in the email to {email}")
        self.r.shell(
            "The link's token, from the email (locally in `/_local/outbox`)",
            'LINK_TOKEN=$(curl -s "$VIGIL/_local/outbox" | jq -r \\\n'
            '  \'[.items[] | select(.subject == "Sign in to Vigil")][-1].body.Text\n'
            '   | capture("#/signin/link/(?<t>\\\\S+)").t\')',
            {"LINK_TOKEN": token.group(1)},
        )
        redeem = {"token": token.group(1)}
        self.r.call("POST /api/sign-in/redeem", body=redeem, key=False, cookies="save")
        self.r.call(
            "POST /api/sign-in/redeem", body=redeem, key=False, status=401, caption="A link works once: 401"
        )

    def config_as_code(self) -> None:
        live = self.r.call("GET /api/config", save={"VERSION": ".version"})
        self.masker.literals[live["version"]] = "0123456789abcdef"
        self.r.call("GET /api/config/schema")
        rules = {**live["config"]["assignment_rules"]}
        rules["by_category"] = {**rules["by_category"], "payments": "payments"}
        proposed = {"assignment_rules": rules}
        self.r.call(
            "POST /api/config/plan",
            body={"config": proposed},
            caption="Only the sections a document has are managed: here, the assignment rules",
        )
        applied = self.r.call("POST /api/config/apply", body={"version": live["version"], "config": proposed})
        self.masker.literals[applied["version"]] = "fedcba9876543210"
        self.r.call(
            "POST /api/config/apply",
            body={"version": live["version"], "config": proposed},
            status=409,
            caption="The same apply again: the live version moved, so it is refused",
        )
        self.r.call("GET /api/config/changes", "/api/config/changes?limit=2")
        silence = {
            "matchers": [{"name": "labels.host", "value": "web-3"}],
            "starts_at": "2026-01-01T00:00:00Z",
            "ends_at": "2099-01-01T00:00:00Z",
            "comment": "web-3 is being rebuilt",
        }
        self.r.call(
            "POST /api/replay",
            body={"config": {"silences": [silence]}, "since": "1h"},
            caption="The last hour's alerts again, with web-3 silenced: nothing is sent or written",
        )

    def heartbeats(self) -> None:
        body = {"name": "nightly backup", "interval_seconds": 86400, "grace_seconds": 3600}
        save = {"HEARTBEAT_ID": ".heartbeat_id", "HB_TOKEN": ".token"}
        created = self.r.call("POST /api/heartbeats", body=body, status=201, save=save)
        path, ping = f"/api/heartbeats/{created['heartbeat_id']}", f"/api/heartbeats/{created['token']}/ping"
        self.r.call(
            "POST /api/heartbeats",
            body={"name": "etl", "interval_seconds": 5},
            status=400,
            caption="An interval under a minute: 400 naming the field",
        )
        self.r.call("GET /api/heartbeats")
        self.r.call(
            "POST /_local/schedule/{function}",
            "/_local/schedule/HeartbeatsFunction",
            {"time": "2099-01-01T00:00:00Z"},
            caption="Locally, the minute's check at once, as if run when the backup is long overdue "
            "(on AWS the schedule runs it every minute): the miss opens an incident, which pages",
        )
        self.r.settle()
        self.r.call("GET /api/heartbeats/{heartbeat_id}", path, caption="Missed, until its next ping")
        self.r.call(
            "GET /api/heartbeats/{token}/ping",
            ping,
            key=False,
            caption="The job pings (no API key: the token is in the path); this ping ends the miss and "
            "resolves the incident",
        )
        self.r.call("POST /api/heartbeats/{token}/ping", ping, key=False)
        self.r.call(
            "POST /api/heartbeats/{token}/ping",
            "/api/heartbeats/vgh_not_a_token/ping",
            status=401,
            key=False,
            caption="An unknown token: 401",
        )
        self.r.call("DELETE /api/heartbeats/{heartbeat_id}", path)

    def wrap_up(self) -> None:
        path = f"/api/integrations/{self.ids['integration']}"
        self.r.call(
            "POST /api/integrations/{integration_id}/rotate", f"{path}/rotate", {"grace_seconds": 3600}
        )
        patch = {
            "name": "Alertmanager (prod, eu-west-1)",
            "settings": {"correlation_window_seconds": 900, "rate_limit_per_minute": 300},
        }
        self.r.call("PATCH /api/integrations/{integration_id}", path, patch)
        self.r.call("DELETE /api/integrations/{integration_id}", path)
        self.r.call("DELETE /api/teams/{name}", "/api/teams/payments")


FORM = "application/x-www-form-urlencoded"
SCHEDULE: dict[str, Any] = {
    "name": "Payments",
    "time_zone": "America/New_York",
    "layers": [
        {
            "name": "weekly",
            "participants": ["ann", "bob"],
            "rotation": "weekly",
            "handoff_time": "09:00:00",
            "start": "2026-03-02T14:00:00Z",
        }
    ],
}


def person(user_id: str, name: str, phone: str) -> dict[str, Any]:
    return {
        "name": name,
        "email": f"{user_id}@example.com",
        "time_zone": "America/New_York",
        "contact_methods": [
            {"id": "mail", "type": "email", "address": f"{user_id}@example.com"},
            {"id": "phone", "type": "sms", "address": phone},
        ],
        "notification_rules": {
            "high": [
                {"contact_method_id": "phone", "after_minutes": 0},
                {"contact_method_id": "mail", "after_minutes": 0},
                {"contact_method_id": "phone", "after_minutes": 5},
            ],
            "low": [{"contact_method_id": "mail", "after_minutes": 0}],
        },
    }


POLICY: dict[str, Any] = {
    "rules": [
        {
            "condition": "severity == 'critical' OR severity == 'emergency'",
            "escalation_level": 1,
            "escalate_to": "senior_engineers",
            "escalate_after_minutes": 5,
            "notification_channels": ["email", "slack"],
        },
        {
            "condition": "severity == 'high'",
            "escalation_level": 1,
            "escalate_to": "on_call_engineer",
            "escalate_after_minutes": 15,
            "notification_channels": ["email", "sms"],
        },
        {
            "condition": "category == 'database'",
            "escalation_level": 2,
            "escalate_to": "database_team",
            "escalate_after_minutes": 30,
            "notification_channels": ["email"],
        },
    ],
    "repeat": 1,
    "repeat_after_seconds": 1800,
    "fallback_target": "platform_team",
}


def playbook(diagnostics_url: str) -> dict[str, Any]:
    return {
        "playbook_id": "orders-db-connections",
        "title": "orders-db connection exhaustion",
        "description": "Checkout cannot get connections from orders-db.",
        "match": {"categories": ["database"], "title_keywords": ["orders-db"]},
        "steps": [
            {
                "title": "Compare open connections with max_connections",
                "description": "SELECT count(*) FROM pg_stat_activity;",
            },
            {
                "type": "automated",
                "title": "Collect diagnostics",
                "action": "webhook",
                "url": diagnostics_url,
            },
            {"title": "Recycle the checkout pods", "description": "kubectl rollout restart deploy/checkout"},
        ],
        "estimated_duration_minutes": 20,
        "required_skills": ["postgres", "kubernetes"],
    }


def disk_alert(host: str, percent: int) -> dict[str, Any]:
    return {
        "title": f"Disk {percent}% full on {host}",
        "severity": "medium",
        "category": "system",
        "source": "node-exporter",
        "labels": {"host": host, "mount": "/var"},
    }


def link_token(outbox: list[dict[str, Any]], incident_id: str) -> str:
    """The acknowledge link's token, from the email that paged `incident_id`."""
    email = next(o for o in outbox if o["channel"] == "email" and incident_id in o["body"]["Text"])
    link = re.search(r"Acknowledge: (\S+)", email["body"]["Text"])
    if not link:
        raise TourFailed(f"no acknowledge link in the email for {incident_id}")
    return urllib.parse.parse_qs(urllib.parse.urlsplit(link.group(1)).query)["token"][0]


SIGN_IN_SUBJECT = "Sign in to Vigil"


# ----------------------------------------------------------------------------- the document
METHODS = ("get", "put", "post", "patch", "delete")
INTRO = """# Vigil API by example

Generated by `make api-docs` (`local/api_tour.py`) from real calls to the local runtime, in
the order an operator would make them: do not edit by hand. The routes, their tags and their
summaries are those of [openapi.json](openapi.json).

## Conventions

- `$VIGIL` is the base URL (`http://127.0.0.1:3000` with `make run`, the stack's `PublicUrl`
  once deployed) and `$KEY` an API key (`make run` prints its fixed local key; deployed,
  `make api-key` creates one).
- Every example runs as written, in order, in a shell (bash, with `curl`, `jq` and
  `openssl`) against a fresh `make run`; `tests/e2e/test_docs_run.py` does exactly that.
  Values a later example needs are kept in shell variables (`$INCIDENT_ID`, `$AM_TOKEN`, ...).
  Webhook receivers are the local runtime's stand-in, `$VIGIL/_local/sink/{name}`: use your
  own URLs against a deployed stack.
- Management routes need `Authorization: Bearer <api key>`. Ingestion routes are
  authenticated by the integration's token instead: as `Authorization: Bearer <token>` of
  `POST /api/hooks` (preferred), in the path of `POST /api/hooks/{token}`, as `routing_key` of
  `POST /v2/enqueue` and `POST /v2/change/enqueue`. `GET /api/health` is open; `/api/actions` (signed
  links) and `/api/slack/actions` (Slack's request signature) carry their own proof.
- Bodies are JSON. In the answers shown, values that differ on every run are placeholders: ids
  such as `inc_…`, tokens such as `vgi_…`, times `2026-01-01T00:00:00.000Z`, measured
  durations `123.456`. Lists of more than @ITEMS@ objects (or @VALUES@ values) and strings
  longer than @CHARS@ characters are cut, saying how much was left out.

```sh
export VIGIL=http://127.0.0.1:3000 KEY=@KEY@
```

## Errors

Every error is JSON, with the status below:

```json
{"error": {"code": "invalid_input", "message": "body.title: String should have at least 1 character",
           "details": [{"field": "body.title", "message": "String should have at least 1 character"}]}}
```

| status | code | when |
|---|---|---|
| 400 | `invalid_input` | the body, a parameter or a header is invalid; `details` names each field |
| 401 | `unauthorized` | no key, or an unknown or revoked key, token, link or signature |
| 403 | `forbidden` | the key's scope does not allow it, or a console change lacks its CSRF token |
| 404 | `not_found` | no such incident, team, alert, ... (or route) |
| 409 | `conflict` | the `version` sent is stale, the target is read-only, or `force=true` is needed |
| 413 | `payload_too_large` | the body is larger than the route accepts |
| 422 | `invalid_transition` | not allowed in the current state (e.g. acknowledging a resolved incident) |
| 429 | `rate_limited` | too many alerts for this integration; retry after `Retry-After` seconds |
| 502 | `upstream_unavailable` | a service Vigil depends on did not answer; nothing was stored, retry |
"""


def operations(spec: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """{"METHOD /path": (tag, summary)} of every operation in the OpenAPI document."""
    return {
        f"{method.upper()} {path}": ((op.get("tags") or ["other"])[0], op.get("summary", ""))
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if method in METHODS
    }


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading (before de-duplication)."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def render(examples: list[Example], spec: dict[str, Any], masker: Masker) -> str:
    ops = operations(spec)
    unknown = sorted({e.route for e in examples if e.route and not is_local(e)} - set(ops))
    if unknown:
        raise TourFailed(f"routes not in docs/openapi.json: {', '.join(unknown)}")
    acts = list(dict.fromkeys(e.act for e in examples))
    sections = [act_section(act, [e for e in examples if e.act == act], ops, masker) for act in acts]
    missing = sorted(set(ops) - {e.route for e in examples})
    if missing:
        sections.append(
            "## Routes without an example\n\n" + "".join(f"### {r}\n\n{NOT_YET}\n\n" for r in missing)
        )
    body = "\n".join(sections)
    return "\n".join([intro(ops, body), body])


def intro(ops: dict[str, tuple[str, str]], body: str) -> str:
    text = INTRO.replace("@ITEMS@", str(MAX_ITEMS)).replace("@CHARS@", str(MAX_CHARS))
    text = text.replace("@VALUES@", str(MAX_VALUES)).replace("@KEY@", LOCAL_ADMIN_KEY)
    first_anchor = first_anchors(body)
    by_tag: dict[str, list[str]] = {}
    for route, (tag, _) in sorted(ops.items(), key=lambda item: (tag_rank(item[1][0]), item[0])):
        by_tag.setdefault(tag, []).append(f"[{route}](#{first_anchor.get(route, anchor(route))})")
    index = "\n".join(
        f"- {tag.capitalize()}\n" + "\n".join(f"  - {link}" for link in links)
        for tag, links in by_tag.items()
    )
    return f"{text}\n## Routes by tag\n\n{index}\n"


def first_anchors(body: str) -> dict[str, str]:
    """The anchor of each route's first heading, with GitHub's -1, -2 ... for repeats."""
    seen: dict[str, int] = {}
    first: dict[str, str] = {}
    for line in body.splitlines():
        if not line.startswith("#"):
            continue
        heading = line.lstrip("#").strip()
        base = anchor(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        first.setdefault(heading, base if count == 0 else f"{base}-{count}")
    return first


def tag_rank(tag: str) -> tuple[int, str]:
    return (TAG_ORDER.index(tag) if tag in TAG_ORDER else len(TAG_ORDER), tag)


def is_local(example: Example) -> bool:
    return example.route.split(" ", 1)[-1].startswith("/_local/")


def act_section(act: str, examples: list[Example], ops: dict[str, tuple[str, str]], masker: Masker) -> str:
    parts, previous = [f"## {act}\n"], None
    for example in examples:
        if example.route and example.route != previous and not is_local(example):
            summary = ops[example.route][1]
            parts.append(f"### {example.route}\n\n{summary}.\n" if summary else f"### {example.route}\n")
        previous = example.route or previous
        parts.append(example_text(example, masker))
    return "\n".join(parts)


def example_text(example: Example, masker: Masker) -> str:
    caption = f"{example.caption}:\n\n" if example.caption else ""
    if example.script is not None:
        return f"{caption}```sh\n{example.script}\n```\n"
    status = HTTPStatus(example.status)
    return (
        f"{caption}```sh\n{curl(example, masker)}\n```\n\n"
        f"`{status.value} {status.phrase}`\n\n{response_block(example.shown(), masker)}\n"
    )


def curl(example: Example, masker: Masker) -> str:
    """The request as a curl command; values saved earlier appear as their shell variables."""
    method = "" if example.method == "GET" else f" -X {example.method}"
    lines = [f'curl{method} "$VIGIL{masker.request(example.path)}"']
    if example.key:
        lines.append('-H "Authorization: Bearer $KEY"')
    if example.cookies:
        lines.append(f"-{'c' if example.cookies == 'save' else 'b'} /tmp/vigil-cookies")
    shown = {k: v for k, v in example.headers.items() if k not in ("Content-Type", "Cookie")}
    lines += [f'-H "{name}: {masker.request(value)}"' for name, value in shown.items()]
    if example.form is not None:
        lines += form_lines(example.form, masker)
    elif example.body is not None:
        body = json.dumps(masker.request_body(example.body), indent=2, ensure_ascii=False)
        body = re.sub(r'"@@(\w+)@@"', r"${\1}", body)
        quoted = "JSON" if "${" in body else "'JSON'"
        lines += ['-H "Content-Type: application/json"', f"--data-binary @- <<{quoted}"]
        return saving(" \\\n  ".join(lines) + f"\n{body}\nJSON", example)
    return saving(" \\\n  ".join(lines), example)


def form_lines(form: str, masker: Masker) -> list[str]:
    if form in masker.variables:
        return [f'-H "Content-Type: {FORM}"', f'--data-binary "{masker.request(form)}"']
    pairs = urllib.parse.parse_qsl(form)
    return [f'--data-urlencode "{k}={masker.request(v)}"' for k, v in pairs]


def saving(command: str, example: Example) -> str:
    """A command whose answer a later example needs keeps it: shown, then picked apart."""
    if not example.saves:
        return command
    picks = "\n".join(f"{var}=$(jq -r '{path}' <<<\"$REPLY\")" for var, path in example.saves.items())
    return f'REPLY=$({command}\n)\necho "$REPLY"\n{picks}'


def response_block(response: Any, masker: Masker) -> str:
    if isinstance(response, str) and response.startswith("BEGIN:VCALENDAR"):
        first_event = response.split("END:VEVENT", 1)[0] + "END:VEVENT\r\n…"
        return f"```text\n{masker.text(first_event).replace(chr(13), '').strip()}\n```"
    if isinstance(response, str):
        return f"```html\n{masker.text(response).strip()}\n```"
    if response is None:
        return "(no body)"
    return f"```json\n{json.dumps(shortened(masker.value(response)), indent=2, ensure_ascii=False)}\n```"


# ----------------------------------------------------------------------------- running it
def main() -> int:
    """The document on stdout; everything the stack logs goes to stderr."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        document = build()
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
    sys.stdout.write(document)
    return 0


def build() -> str:
    from local.runtime import start_runtime

    runtime = start_runtime("127.0.0.1", 0, api_key=LOCAL_ADMIN_KEY)
    try:
        examples, masker = walk(runtime)
    finally:
        runtime.close()
    spec = json.loads(OPENAPI.read_text())
    for route in sorted(set(operations(spec)) - {e.route for e in examples}):
        print(f"api_tour: no example of {route}", file=sys.stderr)
    return render(examples, spec, masker)


def walk(runtime: Any) -> tuple[list[Example], Masker]:
    api = ApiClient(runtime.url, runtime.api_key)
    stack = runtime.stack
    variables = {runtime.url: "VIGIL", runtime.api_key: "KEY"}
    recorder = Recorder(api, lambda: sum(stack.calls.values()), variables=variables)
    host = runtime.url.removeprefix("http://")
    literals = {runtime.url: PUBLIC_URL, host: PUBLIC_URL.removeprefix("https://")}
    masker = Masker(literals, recorder.variables, recorder.numbers)
    Tour(recorder, api, runtime.url, masker).run()
    return recorder.examples, masker


if __name__ == "__main__":
    sys.exit(main())
