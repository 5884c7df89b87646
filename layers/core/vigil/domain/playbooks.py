"""Response playbooks: what one is, which one fits an incident and why, and the progress of
the one attached to an incident. Pure: no I/O, and the clock is passed in."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from vigil.domain.alerts import Severity
from vigil.domain.clock import iso, parse_iso
from vigil.domain.errors import Conflict, InvalidInput, NotFound
from vigil.domain.incidents import STEP_EVENT_FIELDS, Incident
from vigil.domain.model import Model
from vigil.domain.vocabulary import Category

StepType = Literal["manual", "automated"]
Action = Literal["webhook", "ssm_automation"]
StepStatus = Literal["pending", "running", "done", "skipped", "failed"]
Mark = Literal["done", "skipped", "failed"]
StepRequest = Literal["done", "skipped", "failed", "run"]
FINISHED: frozenset[str] = frozenset({"done", "skipped", "failed"})

PLAYBOOK_ID = r"^[a-z0-9][a-z0-9_\-]{0,63}$"
SSM_DOCUMENT = r"^[a-zA-Z0-9_\-.:/]{3,128}$"
MAX_STEPS = 50
# A run still "running" after this long died with its Lambda: it may be started again.
RUN_LEASE = timedelta(seconds=60)

CATEGORY_POINTS = 4
LABEL_POINTS = 3
KEYWORD_POINTS = 2
MAX_KEYWORD_HITS = 3  # so that a long keyword list cannot outweigh a category match
SEVERITY_POINTS = 1

Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class MatchRules(Model):
    """When a playbook fits an incident. Severities are a gate; the rest add to the score."""

    model_config = ConfigDict(extra="forbid")

    categories: list[Category] = Field(default_factory=list, max_length=5)
    severities: list[Severity] = Field(
        default_factory=list, max_length=6, description="if set, incidents of other severities never match"
    )
    labels: dict[Label, Label] = Field(default_factory=dict, max_length=20)
    title_keywords: list[Keyword] = Field(
        default_factory=list, max_length=50, description="whole words or phrases, case-insensitive"
    )


class Step(Model):
    """A checklist item (manual), or a webhook call or SSM Automation run (automated)."""

    model_config = ConfigDict(extra="forbid")

    type: StepType = "manual"
    title: Title
    description: str = Field(default="", max_length=2000)
    action: Action | None = Field(default=None, validate_default=True)
    url: str | None = Field(default=None, max_length=2000, validate_default=True)
    document_name: str | None = Field(default=None, pattern=SSM_DOCUMENT, validate_default=True)
    parameters: dict[str, list[str]] = Field(
        default_factory=dict, max_length=50, description="SSM Automation parameters"
    )

    @field_validator("action")
    @classmethod
    def _automated_steps_have_an_action(cls, action: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("type")
        if kind == "automated" and action is None:
            raise ValueError("an automated step needs an action: webhook or ssm_automation")
        if kind == "manual" and action is not None:
            raise ValueError("a manual step has no action (use type automated)")
        return action

    @field_validator("url")
    @classmethod
    def _webhook_steps_have_a_url(cls, url: str | None, info: ValidationInfo) -> str | None:
        _required_for_action(url, info, "webhook", "url")
        if url and not url.startswith(("https://", "http://")):
            raise ValueError("must be an absolute https URL")
        return url

    @field_validator("document_name")
    @classmethod
    def _ssm_steps_have_a_document(cls, name: str | None, info: ValidationInfo) -> str | None:
        _required_for_action(name, info, "ssm_automation", "document_name")
        return name

    @field_validator("parameters")
    @classmethod
    def _only_ssm_steps_have_parameters(
        cls, parameters: dict[str, list[str]], info: ValidationInfo
    ) -> dict[str, list[str]]:
        if parameters and "action" in info.data and info.data["action"] != "ssm_automation":
            raise ValueError("only ssm_automation steps have parameters")
        return parameters


def _required_for_action(value: object, info: ValidationInfo, action: str, field: str) -> None:
    if "action" not in info.data:  # the action itself was invalid: that error says enough
        return
    if info.data["action"] == action and not value:
        raise ValueError(f"a step with action {action} needs a {field}")
    if info.data["action"] != action and value:
        raise ValueError(f"only steps with action {action} have a {field}")


class PlaybookIn(Model):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: str = Field(default="", max_length=2000)
    match: MatchRules = Field(default_factory=MatchRules)
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)
    estimated_duration_minutes: int = Field(ge=1, le=7 * 24 * 60)
    required_skills: list[Skill] = Field(default_factory=list, max_length=20)


class PlaybookCreate(PlaybookIn):
    playbook_id: str | None = Field(
        default=None, pattern=PLAYBOOK_ID, description="chosen by the caller, or generated"
    )


class Playbook(PlaybookIn):
    playbook_id: str = Field(pattern=PLAYBOOK_ID)
    built_in: bool = Field(default=False, description="built-in playbooks are read-only")
    version: int = 1
    created_at: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None


# ----------------------------------------------------------------------------- matching
@dataclass(frozen=True)
class Match:
    playbook: Playbook
    score: int
    reasons: tuple[str, ...]

    def explain(self) -> str:
        return "; ".join(self.reasons) or "no match rule applies"


def score(playbook: Playbook, incident: Incident) -> Match:
    """How well a playbook fits an incident, with the reasons a responder can read."""
    rules = playbook.match
    severity = str(incident.severity or "")
    if rules.severities and severity not in rules.severities:
        allowed = ", ".join(s.value for s in rules.severities)
        return Match(playbook, 0, (f"severity {severity or 'unset'} is not one of {allowed}",))
    points, reasons = 0, []
    category = incident.category
    if category and category in rules.categories:
        points += CATEGORY_POINTS
        reasons.append(f"category is {category}")
    labels = incident.labels or {}
    for key, value in sorted(rules.labels.items()):
        if str(labels.get(key, "")).lower() == value.lower():
            points += LABEL_POINTS
            reasons.append(f"label {key}={value}")
    hits = [k for k in rules.title_keywords if mentions(incident.title, k)]
    if hits:
        points += KEYWORD_POINTS * min(len(hits), MAX_KEYWORD_HITS)
        reasons.append("title mentions " + ", ".join(f"'{k}'" for k in hits))
    if rules.severities:
        points += SEVERITY_POINTS
        reasons.append(f"severity is {severity}")
    return Match(playbook, points, tuple(reasons))


def mentions(text: str, phrase: str) -> bool:
    """Whole-word, case-insensitive: 'db' is in 'db down' but not in 'mongodb'."""
    pattern = r"(?<!\w)" + r"\s+".join(re.escape(word) for word in phrase.split()) + r"(?!\w)"
    return re.search(pattern, text, re.IGNORECASE) is not None


def ranked(playbooks: Iterable[Playbook], incident: Incident) -> list[Match]:
    """Matching playbooks, best first; on a tie the team's own beat the built-ins."""
    matches = [m for m in (score(p, incident) for p in playbooks) if m.score > 0]
    return sorted(matches, key=lambda m: (-m.score, m.playbook.built_in, m.playbook.playbook_id))


def best_match(playbooks: Iterable[Playbook], incident: Incident) -> Match | None:
    found = ranked(playbooks, incident)
    return found[0] if found else None


# ----------------------------------------------------------------------------- progress
def new_progress(
    playbook: Playbook, *, attachment: int, actor: str, reason: str, now: datetime
) -> dict[str, Any]:
    """The playbook as attached to an incident: a copy, so later edits of it change nothing here."""
    steps = [
        {**step.model_dump(mode="json"), "number": number, "status": "pending", "note": "", "result": {}}
        for number, step in enumerate(playbook.steps, start=1)
    ]
    return {
        "playbook_id": playbook.playbook_id,
        "title": playbook.title,
        "attachment": attachment,
        "attached_at": iso(now),
        "attached_by": actor,
        "reason": reason,
        "estimated_duration_minutes": playbook.estimated_duration_minutes,
        "required_skills": list(playbook.required_skills),
        "steps": steps,
    }


def step_of(progress: Mapping[str, Any], number: int) -> dict[str, Any]:
    steps = progress["steps"]
    if not 1 <= number <= len(steps):
        raise NotFound(f"no step {number}: the playbook has steps 1 to {len(steps)}")
    return dict(steps[number - 1])


def _definition(step: Mapping[str, Any]) -> dict[str, Any]:
    """What the playbook said about the step, without what happened to it."""
    kept = ("number", "type", "title", "description", "action", "url", "document_name", "parameters")
    return {k: step.get(k) for k in kept}


def marked(step: Mapping[str, Any], status: Mark, note: str, *, actor: str, now: datetime) -> dict[str, Any]:
    """The step after a responder marks it (the last run's result stays for reference)."""
    return {
        **_definition(step),
        "status": status,
        "note": note,
        "at": iso(now),
        "by": actor,
        "result": step.get("result") or {},
    }


def check_runnable(step: Mapping[str, Any], now: datetime) -> None:
    if step.get("type") != "automated":
        raise InvalidInput("status", f"step {step['number']} is manual: mark it done, skipped or failed")
    started = step.get("started_at")
    if step.get("status") == "running" and started and parse_iso(started) + RUN_LEASE > now:
        raise Conflict(f"step {step['number']} is already running (since {started})")


def claimed(step: Mapping[str, Any], run_id: str, note: str, *, actor: str, now: datetime) -> dict[str, Any]:
    """The step while its automation runs: `run_id` lets only this run record the result."""
    at = iso(now)
    return {
        **_definition(step),
        "status": "running",
        "note": note,
        "at": at,
        "by": actor,
        "result": {},
        "run_id": run_id,
        "started_at": at,
    }


@dataclass(frozen=True)
class RunOutcome:
    status: StepStatus
    summary: str
    result: dict[str, Any]


def webhook_outcome(status: int | None, error: str | None, target: str) -> RunOutcome:
    """Done on a clean 2xx answer; anything else (another status, an error, no answer) failed."""
    result = {"action": "webhook", "target": target, "http_status": status, "error": error}
    if error is None and status is not None and 200 <= status < 300:
        return RunOutcome("done", f"webhook to {target} answered HTTP {status}", result)
    why = ": ".join(filter(None, [f"HTTP {status}" if status is not None else "", error or ""]))
    return RunOutcome("failed", f"webhook to {target} failed: {why or 'no answer'}", result)


def automation_outcome(document_name: str, execution_id: str | None, error: str | None) -> RunOutcome:
    """A started automation keeps running in SSM: the responder marks the step when it ends."""
    result = {"action": "ssm_automation", "document_name": document_name, "execution_id": execution_id}
    if execution_id:
        summary = (
            f"SSM Automation {document_name} started (execution {execution_id}); mark the step when done"
        )
        return RunOutcome("running", summary, result)
    return RunOutcome(
        "failed", f"SSM Automation {document_name} not started: {error}", {**result, "error": error}
    )


def ran(step: Mapping[str, Any], outcome: RunOutcome, *, now: datetime) -> dict[str, Any]:
    finished = {**step, "status": outcome.status, "at": iso(now), "result": outcome.result}
    if outcome.status != "running":
        finished.pop("started_at", None)
    return finished


STEP_EVENT_SCHEMA = "vigil.playbook-step.v1"


def step_event(
    incident: Incident, progress: Mapping[str, Any], step: Mapping[str, Any], *, actor: str
) -> dict[str, Any]:
    """The body a webhook step receives: the incident, and which step of which playbook asks."""
    return {
        "schema": STEP_EVENT_SCHEMA,
        "run_id": step["run_id"],
        "requested_by": actor,
        "playbook": {"playbook_id": progress["playbook_id"], "title": progress["title"]},
        "step": {"number": step["number"], "title": step["title"]},
        "incident": incident.model_dump(include=set(STEP_EVENT_FIELDS)),
    }


# ----------------------------------------------------------------------------- the view
class StepProgress(Model):
    number: int
    title: str
    description: str = ""
    type: StepType
    action: Action | None = None
    status: StepStatus
    note: str = ""
    at: str | None = None
    by: str | None = None
    result: dict[str, Any] = {}


class PlaybookProgress(Model):
    playbook_id: str
    title: str
    attached_at: str
    attached_by: str
    reason: str
    required_skills: list[str] = []
    steps: list[StepProgress]
    done: int
    skipped: int
    failed: int
    total: int
    complete: bool = Field(description="every step done, skipped or failed")
    estimated_minutes: int
    elapsed_minutes: float = Field(description="since attached; until the last step when complete")
    over_estimate: bool


def progress_view(progress: Mapping[str, Any], now: datetime) -> PlaybookProgress:
    """Progress as a responder reads it; step URLs and parameters stay out of it."""
    steps = [StepProgress.model_validate(s) for s in progress["steps"]]
    statuses = [s.status for s in steps]
    complete = all(s in FINISHED for s in statuses)
    until = max(parse_iso(s.at) for s in steps if s.at) if complete else now
    elapsed = round(max((until - parse_iso(progress["attached_at"])).total_seconds(), 0) / 60, 1)
    estimated = int(progress["estimated_duration_minutes"])
    return PlaybookProgress(
        playbook_id=progress["playbook_id"],
        title=progress["title"],
        attached_at=progress["attached_at"],
        attached_by=progress["attached_by"],
        reason=progress["reason"],
        required_skills=progress.get("required_skills") or [],
        steps=steps,
        done=statuses.count("done"),
        skipped=statuses.count("skipped"),
        failed=statuses.count("failed"),
        total=len(steps),
        complete=complete,
        estimated_minutes=estimated,
        elapsed_minutes=elapsed,
        over_estimate=elapsed > estimated,
    )
