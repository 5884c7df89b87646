"""The configuration document: its published schema, the plan between two documents, the
registry that gives every section an export and an apply, and schedules' overrides in it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from vigil.domain.config_code import ConfigDocument, kept_overrides, plan, version_of, without_ended_overrides
from vigil.domain.schedules import Override
from vigil.services.config_code import SECTIONS

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "config.schema.json"


def test_the_committed_schema_is_fresh() -> None:
    assert json.loads(SCHEMA.read_text()) == ConfigDocument.model_json_schema(), "run `make config-schema`"


def test_every_section_of_the_document_has_an_export_and_an_apply() -> None:
    assert list(SECTIONS) == list(ConfigDocument.model_fields)


def test_a_plan_names_each_object_and_leaves_absent_sections_alone() -> None:
    live = ConfigDocument.model_validate(
        {"teams": {"a": {}, "b": {"email_list": ["b@example.com"]}}, "templates": {"sms_text": "x"}}
    )
    proposed = ConfigDocument.model_validate(
        {"teams": {"b": {"email_list": ["new@example.com"]}, "c": {}}, "assignment_rules": {}}
    )
    changes = [(c.section, c.name, c.action) for c in plan(live, proposed)]
    assert changes == [
        ("teams", "a", "delete"),
        ("teams", "b", "update"),
        ("teams", "c", "create"),
        ("assignment_rules", "default", "create"),
    ]
    assert plan(live, live) == []


def test_the_version_follows_the_content() -> None:
    one = ConfigDocument.model_validate({"teams": {"a": {}}})
    assert version_of(one) == version_of(ConfigDocument.model_validate({"teams": {"a": {}}}))
    assert version_of(one) != version_of(ConfigDocument.model_validate({"teams": {"b": {}}}))


def test_an_unknown_section_is_refused() -> None:
    try:
        ConfigDocument.model_validate({"team": {}})
    except ValueError as error:
        assert "team" in str(error)
    else:
        raise AssertionError("a misspelt section was accepted")


NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
LAYER = {
    "participants": ["ann"],
    "rotation": "weekly",
    "handoff_time": "09:00",
    "start": "2026-01-05T09:00:00Z",
}


def with_overrides(*overrides: dict[str, Any]) -> ConfigDocument:
    schedule = {
        "name": "primary",
        "time_zone": "Europe/Paris",
        "layers": [LAYER],
        "overrides": list(overrides),
    }
    return ConfigDocument.model_validate({"schedules": {"primary": schedule}})


def override(start: str, end: str, **extra: str) -> dict[str, Any]:
    return {"user_id": "bob", "start": start, "end": end, **extra}


def test_an_override_without_an_id_gets_one_from_its_content() -> None:
    one = with_overrides(override("2026-03-03T09:00:00Z", "2026-03-04T09:00:00Z"))
    same = with_overrides(override("2026-03-03T10:00:00+01:00", "2026-03-04T09:00:00Z"))
    assert one.schedules and same.schedules
    derived = one.schedules["primary"].overrides[0].id
    assert derived.startswith("ovr_") and derived == same.schedules["primary"].overrides[0].id
    assert plan(one, same) == []
    named = with_overrides(override("2026-03-03T09:00:00Z", "2026-03-04T09:00:00Z", id="ovr_given"))
    assert named.schedules and named.schedules["primary"].overrides[0].id == "ovr_given"


def test_the_same_override_twice_is_refused() -> None:
    twice = override("2026-03-03T09:00:00Z", "2026-03-04T09:00:00Z")
    with pytest.raises(ValueError, match="override ids must be unique"):
        with_overrides(twice, twice)


def test_ended_overrides_are_not_configuration() -> None:
    ended = override("2026-02-01T09:00:00Z", "2026-03-02T12:00:00Z", id="ovr_ended")
    current = override("2026-03-02T09:00:00Z", "2026-03-02T13:00:00Z", id="ovr_current")
    future = override("2026-03-09T09:00:00Z", "2026-03-10T09:00:00Z", id="ovr_future")
    document = without_ended_overrides(with_overrides(future, ended, current), NOW)
    assert document.schedules
    assert [o.id for o in document.schedules["primary"].overrides] == ["ovr_future", "ovr_current"]
    assert without_ended_overrides(ConfigDocument.model_validate({"teams": {}}), NOW).schedules is None


def test_a_plan_names_each_override_added_or_removed() -> None:
    kept = override("2026-03-09T09:00:00Z", "2026-03-10T09:00:00Z", id="ovr_kept")
    gone = override("2026-03-11T09:00:00Z", "2026-03-12T09:00:00Z", id="ovr_gone")
    added = override("2026-03-13T09:00:00Z", "2026-03-14T09:00:00Z", id="ovr_new")
    [change] = plan(with_overrides(kept, gone), with_overrides(kept, added))
    assert (change.section, change.name, change.action) == ("schedules", "primary", "update")
    assert change.details == [
        "- override ovr_gone: bob from 2026-03-11T09:00:00Z to 2026-03-12T09:00:00Z",
        "+ override ovr_new: bob from 2026-03-13T09:00:00Z to 2026-03-14T09:00:00Z",
    ]


def test_an_apply_keeps_the_overrides_that_ended_and_replaces_the_rest() -> None:
    ended = Override.model_validate(override("2026-02-01T09:00:00Z", "2026-02-02T09:00:00Z", id="ovr_ended"))
    dropped = Override.model_validate(override("2026-03-09T09:00:00Z", "2026-03-10T09:00:00Z", id="ovr_old"))
    given = Override.model_validate(override("2026-03-11T09:00:00Z", "2026-03-12T09:00:00Z", id="ovr_new"))
    assert [o.id for o in kept_overrides([ended, dropped], [given], NOW)] == ["ovr_ended", "ovr_new"]
