"""The configuration document: its published schema, the plan between two documents, and the
registry that gives every section an export and an apply."""

from __future__ import annotations

import json
from pathlib import Path

from vigil.domain.config_code import ConfigDocument, plan, version_of
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
