"""Playbooks in the domain: validation with field paths, scoring and its explanation, progress;
and the two service promises that need no table: attaching never raises, SSM is not faked."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, get_args

import pytest
from pydantic import ValidationError
from vigil.domain import playbooks as book
from vigil.domain.builtin_playbooks import built_in_playbooks
from vigil.domain.clock import iso
from vigil.domain.errors import Conflict, InvalidInput, NotFound
from vigil.domain.incidents import StoredIncident, hypothetical
from vigil.domain.parsers._common import CATEGORIES
from vigil.domain.playbooks import Playbook, PlaybookCreate, PlaybookIn

DOCS = Path(__file__).resolve().parents[2] / "docs" / "playbooks.md"
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
SEED_DATABASE_STEPS = [
    "Check database server status",
    "Verify network connectivity",
    "Check connection pool settings",
    "Review recent database logs",
    "Restart database service if needed",
    "Update incident with findings",
]


def playbook(playbook_id: str = "custom", *, built_in: bool = False, **match: Any) -> Playbook:
    return Playbook(
        playbook_id=playbook_id,
        built_in=built_in,
        title=f"{playbook_id} playbook",
        match=book.MatchRules(**match),
        steps=[book.Step(title="look"), book.Step(title="fix")],
        estimated_duration_minutes=10,
    )


def incident(title: str = "something odd", **fields: Any) -> StoredIncident:
    return hypothetical(title=title, **{"severity": "high", "category": None, "labels": {}, **fields})


def error_locations(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as raised:
        PlaybookIn.model_validate(body)
    return [tuple(e["loc"]) for e in raised.value.errors()]


def valid_body(**overrides: Any) -> dict[str, Any]:
    return {"title": "t", "steps": [{"title": "s"}], "estimated_duration_minutes": 5, **overrides}


# ----------------------------------------------------------------------------- built-ins
def test_the_four_seed_playbooks_are_built_in_with_six_steps_duration_and_skills() -> None:
    assert set(built_in_playbooks()) == {
        "database-connection-failure",
        "high-error-rate",
        "security-incident",
        "performance-degradation",
    }
    for found in built_in_playbooks().values():
        assert found.built_in
        assert len(found.steps) == 6, found.playbook_id
        assert found.estimated_duration_minutes > 0 and found.required_skills
        assert all(step.type == "manual" and step.description for step in found.steps)


def test_database_playbook_keeps_the_seed_steps_verbatim() -> None:
    database = built_in_playbooks()["database-connection-failure"]
    assert [s.title for s in database.steps] == SEED_DATABASE_STEPS
    assert database.title == "Database Connection Failure Response"
    assert database.estimated_duration_minutes == 30
    assert database.required_skills == ["database_admin", "system_admin"]


def test_match_categories_are_the_ones_alerts_are_given() -> None:
    assert set(get_args(book.Category)) == set(CATEGORIES)


@pytest.mark.parametrize(
    ("expected", "fields"),
    [
        ("database-connection-failure", {"title": "Postgres connections exhausted", "category": "database"}),
        ("database-connection-failure", {"title": "RDS writer unreachable"}),
        ("high-error-rate", {"title": "High error rate on checkout API (5xx)"}),
        ("security-incident", {"title": "GuardDuty: unauthorized API calls", "category": "security"}),
        ("performance-degradation", {"title": "p99 latency above 2s", "category": "performance"}),
    ],
)
def test_each_kind_of_incident_gets_its_built_in(expected: str, fields: dict[str, Any]) -> None:
    best = book.best_match(built_in_playbooks().values(), incident(**fields))
    assert best is not None and best.playbook.playbook_id == expected


def test_an_unrelated_incident_gets_no_built_in() -> None:
    assert (
        book.best_match(built_in_playbooks().values(), incident("BGP session flapping", category="network"))
        is None
    )


# ----------------------------------------------------------------------------- validation
def test_the_documented_example_is_a_valid_playbook() -> None:
    example = re.search(r"## Writing one: a full example\s+```json\n(.*?)```", DOCS.read_text(), re.DOTALL)
    assert example, "docs/playbooks.md lost its full example"
    created = PlaybookCreate.model_validate(json.loads(example.group(1)))
    assert [s.type for s in created.steps].count("automated") == 2
    assert created.match.labels == {"service": "payments"}


@pytest.mark.parametrize(
    ("body", "location"),
    [
        (valid_body(steps=[]), ("steps",)),
        (valid_body(steps=[{"title": f"s{i}"} for i in range(51)]), ("steps",)),
        (valid_body(steps=[{"type": "script", "title": "s"}]), ("steps", 0, "type")),
        (valid_body(steps=[{"title": "  "}]), ("steps", 0, "title")),
        (valid_body(steps=[{"type": "automated", "title": "s"}]), ("steps", 0, "action")),
        (valid_body(steps=[{"type": "automated", "title": "s", "action": "email"}]), ("steps", 0, "action")),
        (
            valid_body(steps=[{"title": "s", "action": "webhook", "url": "https://x.test"}]),
            ("steps", 0, "action"),
        ),
        (valid_body(steps=[{"type": "automated", "title": "s", "action": "webhook"}]), ("steps", 0, "url")),
        (
            valid_body(
                steps=[{"type": "automated", "title": "s", "action": "webhook", "url": "ftp://x.test"}]
            ),
            ("steps", 0, "url"),
        ),
        (valid_body(steps=[{"title": "s", "url": "https://x.test"}]), ("steps", 0, "url")),
        (
            valid_body(steps=[{"type": "automated", "title": "s", "action": "ssm_automation"}]),
            ("steps", 0, "document_name"),
        ),
        (
            valid_body(
                steps=[
                    {
                        "type": "automated",
                        "title": "s",
                        "action": "webhook",
                        "url": "https://x.test",
                        "parameters": {"A": ["b"]},
                    }
                ]
            ),
            ("steps", 0, "parameters"),
        ),
        (valid_body(match={"categories": ["databse"]}), ("match", "categories", 0)),
        (valid_body(match={"severities": ["urgent"]}), ("match", "severities", 0)),
        (valid_body(match={"title_keywords": ["db", " "]}), ("match", "title_keywords", 1)),
        (valid_body(match={"keywords": ["db"]}), ("match", "keywords")),
        (valid_body(estimated_duration_minutes=0), ("estimated_duration_minutes",)),
    ],
)
def test_invalid_playbooks_name_the_field(body: dict[str, Any], location: tuple[Any, ...]) -> None:
    assert location in error_locations(body)


def test_a_manual_step_needs_only_a_title_and_automated_ones_validate() -> None:
    parsed = PlaybookIn.model_validate(
        valid_body(
            steps=[
                {"title": "check"},
                {"type": "automated", "title": "hook", "action": "webhook", "url": "https://x.test/h"},
                {
                    "type": "automated",
                    "title": "ssm",
                    "action": "ssm_automation",
                    "document_name": "AWS-Restart",
                },
            ]
        )
    )
    assert [s.type for s in parsed.steps] == ["manual", "automated", "automated"]
    assert parsed.steps[2].document_name == "AWS-Restart"


# ----------------------------------------------------------------------------- scoring
def test_score_adds_category_labels_keywords_and_severity_and_explains_each() -> None:
    rules = {
        "categories": ["database"],
        "labels": {"service": "payments"},
        "title_keywords": ["postgres", "pool"],
        "severities": ["critical"],
    }
    found = book.score(
        playbook(**rules),
        incident(
            "Postgres pool exhausted",
            severity="critical",
            category="database",
            labels={"service": "Payments"},
        ),
    )
    assert found.score == 4 + 3 + 2 * 2 + 1
    assert found.reasons == (
        "category is database",
        "label service=payments",
        "title mentions 'postgres', 'pool'",
        "severity is critical",
    )
    assert found.explain() == "; ".join(found.reasons)


def test_severities_are_a_gate_that_says_why() -> None:
    found = book.score(
        playbook(categories=["database"], severities=["critical", "emergency"]),
        incident("db down", category="database", severity="low"),
    )
    assert found.score == 0
    assert found.reasons == ("severity low is not one of critical, emergency",)


def test_keywords_match_whole_words_and_phrases_case_insensitively() -> None:
    assert book.mentions("DB down in eu-west-1", "db")
    assert not book.mentions("mongodb down", "db")
    assert book.mentions("High Error   Rate on checkout", "error rate")
    assert not book.mentions("error-prone rates", "error rate")
    assert book.mentions("p99 > 2s", "p99")


def test_keyword_points_are_capped_so_a_category_still_counts() -> None:
    stuffed = playbook("stuffed", title_keywords=["a", "b", "c", "d", "e"])
    assert book.score(stuffed, incident("a b c d e")).score == book.KEYWORD_POINTS * book.MAX_KEYWORD_HITS


def test_a_playbook_without_rules_is_never_attached_automatically() -> None:
    assert book.score(playbook("bare"), incident("anything", category="database")).score == 0
    assert book.best_match([playbook("bare")], incident("anything")) is None


def test_best_first_and_a_teams_own_playbook_wins_a_tie_with_a_built_in() -> None:
    built_in = playbook("aaa-built-in", built_in=True, categories=["database"])
    own = playbook("zzz-own", categories=["database"])
    stronger = playbook("stronger", categories=["database"], title_keywords=["replica"])
    subject = incident("replica lag", category="database")
    assert [m.playbook.playbook_id for m in book.ranked([built_in, own, stronger], subject)] == [
        "stronger",
        "zzz-own",
        "aaa-built-in",
    ]


# ----------------------------------------------------------------------------- progress
def attached(**fields: Any) -> dict[str, Any]:
    progress = book.new_progress(
        built_in_playbooks()["database-connection-failure"], attachment=1, actor="system", reason="r", now=NOW
    )
    return {**progress, **fields}


def test_attaching_copies_the_steps_numbered_from_one_and_pending() -> None:
    progress = attached()
    assert [s["number"] for s in progress["steps"]] == [1, 2, 3, 4, 5, 6]
    assert {s["status"] for s in progress["steps"]} == {"pending"}
    assert progress["steps"][0]["title"] == SEED_DATABASE_STEPS[0]


def test_view_counts_progress_and_compares_elapsed_with_the_estimate() -> None:
    progress = attached()
    steps = progress["steps"]
    steps[0] = book.marked(steps[0], "done", "ok", actor="key:ann", now=NOW + timedelta(minutes=5))
    steps[1] = book.marked(steps[1], "skipped", "", actor="key:ann", now=NOW + timedelta(minutes=6))
    view = book.progress_view(progress, NOW + timedelta(minutes=45))
    assert (view.done, view.skipped, view.failed, view.total, view.complete) == (1, 1, 0, 6, False)
    assert view.elapsed_minutes == 45.0 and view.estimated_minutes == 30 and view.over_estimate
    assert view.steps[0].note == "ok" and view.steps[0].by == "key:ann"


def test_elapsed_stops_when_every_step_is_finished() -> None:
    progress = attached()
    progress["steps"] = [
        book.marked(s, "done", "", actor="a", now=NOW + timedelta(minutes=i))
        for i, s in enumerate(progress["steps"])
    ]
    view = book.progress_view(progress, NOW + timedelta(days=1))
    assert view.complete and view.done == 6
    assert view.elapsed_minutes == 5.0 and not view.over_estimate


def test_the_view_leaves_out_urls_and_parameters() -> None:
    custom = Playbook.model_validate(
        {
            **valid_body(
                steps=[
                    {"type": "automated", "title": "h", "action": "webhook", "url": "https://x.test/secret"}
                ]
            ),
            "playbook_id": "hooked",
        }
    )
    progress = book.new_progress(custom, attachment=1, actor="a", reason="r", now=NOW)
    assert "secret" not in book.progress_view(progress, NOW).model_dump_json()


def test_steps_are_numbered_from_one_and_bounded() -> None:
    assert book.step_of(attached(), 6)["title"] == SEED_DATABASE_STEPS[5]
    for number in (0, 7):
        with pytest.raises(NotFound):
            book.step_of(attached(), number)


def test_only_automated_steps_run_and_not_twice_at_once() -> None:
    with pytest.raises(InvalidInput) as manual:
        book.check_runnable(attached()["steps"][0], NOW)
    assert manual.value.field == "status"
    step = {"number": 2, "type": "automated", "title": "hook", "action": "webhook", "url": "https://x.test"}
    running = book.claimed(step, "run_1", "", actor="a", now=NOW)
    with pytest.raises(Conflict):
        book.check_runnable(running, NOW + timedelta(seconds=5))
    book.check_runnable(running, NOW + book.RUN_LEASE + timedelta(seconds=1))  # a lapsed run may restart


@pytest.mark.parametrize(
    ("status", "error", "expected", "says"),
    [
        (200, None, "done", "answered HTTP 200"),
        (204, None, "done", "answered HTTP 204"),
        (500, None, "failed", "failed: HTTP 500"),
        (302, None, "failed", "failed: HTTP 302"),
        (None, "ConnectionRefusedError: [Errno 111]", "failed", "failed: ConnectionRefusedError"),
        (200, "response larger than 65536 bytes refused", "failed", "HTTP 200: response larger"),
    ],
)
def test_webhook_outcome(status: int | None, error: str | None, expected: str, says: str) -> None:
    outcome = book.webhook_outcome(status, error, "hooks.example.com")
    assert outcome.status == expected
    assert says in outcome.summary
    assert outcome.result["http_status"] == status and outcome.result["error"] == error


def test_automation_outcome_never_claims_success_it_cannot_see() -> None:
    started = book.automation_outcome("AWS-Restart", "exec-1", None)
    assert started.status == "running" and started.result["execution_id"] == "exec-1"
    refused = book.automation_outcome("AWS-Restart", None, "AccessDenied")
    assert refused.status == "failed" and "AccessDenied" in refused.summary


def test_step_event_carries_the_incident_not_the_table_keys() -> None:
    record = hypothetical(
        pk="INCIDENT#inc_1", incident_id="inc_1", title="t", severity="high", labels={"a": "b"}, version=3
    )
    step = {"number": 2, "title": "hook", "run_id": "run_1"}
    event = book.step_event(record, attached(), step, actor="key:ann")
    assert event["incident"]["incident_id"] == "inc_1" and event["incident"]["labels"] == {"a": "b"}
    assert "pk" not in event["incident"]
    assert event["step"] == {"number": 2, "title": "hook"} and event["run_id"] == "run_1"


def test_marking_keeps_the_last_run_result_and_drops_the_run_claim() -> None:
    step = {"number": 1, "type": "automated", "title": "h", "action": "webhook", "url": "https://x.test"}
    failed = book.ran(
        book.claimed(step, "run_1", "", actor="a", now=NOW), book.webhook_outcome(500, None, "x"), now=NOW
    )
    assert failed["status"] == "failed" and failed["run_id"] == "run_1"
    redone = book.marked(failed, "done", "ran it by hand", actor="b", now=NOW)
    assert "run_id" not in redone and redone["result"]["http_status"] == 500
    assert redone["at"] == iso(NOW)


# ----------------------------------------------------------------------------- services
def test_choosing_a_playbook_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    from vigil.services import playbooks

    def broken() -> list[Playbook]:
        raise RuntimeError("table unavailable")

    monkeypatch.setattr(playbooks, "list_playbooks", broken)
    record = hypothetical(incident_id="inc_x", title="db down", severity="high")
    assert playbooks.choose_for(record) is None  # logged, not raised


def test_ssm_automation_is_not_faked_in_the_local_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    from vigil.adapters import automation

    monkeypatch.setattr(automation, "settings", lambda: SimpleNamespace(ssm_automation=False))
    monkeypatch.setattr(automation, "client", lambda _: pytest.fail("no AWS call locally"))
    started = automation.start_automation("AWS-Restart", {}, run_id="run_1")
    assert started.execution_id is None
    assert started.error is not None and "not available in the local runtime" in started.error
