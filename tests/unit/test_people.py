"""People and their personal notification rules: validation, and which steps are due when."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from vigil.domain.people import (
    ContactMethod,
    Person,
    due_steps,
    next_step_after,
    notification_steps,
)

METHODS = [
    {"id": "phone", "type": "sms", "address": "+15551234567"},
    {"id": "work", "type": "email", "address": "ann@example.com"},
    {"id": "home", "type": "email", "address": "ann@example.org"},
    {"id": "chat", "type": "slack", "address": "U024BE7LH"},
    {"id": "hook", "type": "webhook", "address": "https://hooks.example.com/ann"},
]


def ann(**rules: Any) -> Person:
    return Person.model_validate(
        {
            "user_id": "ann",
            "name": "Ann Example",
            "email": "ann@example.com",
            "time_zone": "America/New_York",
            "contact_methods": METHODS,
            "notification_rules": rules,
        }
    )


PAGERDUTY_LIKE = {
    # SMS at 0, every email at 0, SMS again at 5, Slack at 10.
    "high": [
        {"contact_method_id": "phone", "after_minutes": 0},
        {"contact_type": "email", "after_minutes": 0},
        {"contact_method_id": "phone", "after_minutes": 5},
        {"contact_method_id": "chat", "after_minutes": 10},
    ],
    "low": [{"contact_method_id": "work", "after_minutes": 0}],
}


def keys(steps: list[Any]) -> list[str]:
    return [step.key for step in steps]


def test_a_high_urgency_page_runs_the_rules_in_time_order() -> None:
    person = ann(**PAGERDUTY_LIKE)
    assert keys(due_steps(person, "high", 0)) == ["high:0:phone", "high:1:work", "high:1:home"]
    assert keys(due_steps(person, "high", 4.9)) == ["high:0:phone", "high:1:work", "high:1:home"]
    assert keys(due_steps(person, "high", 5)) == [
        "high:0:phone",
        "high:1:work",
        "high:1:home",
        "high:2:phone",
    ]
    assert keys(due_steps(person, "high", 60))[-1] == "high:3:chat"


def test_an_acknowledgement_stops_the_rules() -> None:
    person = ann(**PAGERDUTY_LIKE)
    assert keys(due_steps(person, "high", 30, acknowledged_after_minutes=3)) == [
        "high:0:phone",
        "high:1:work",
        "high:1:home",
    ]
    # Acknowledged the minute the SMS was due again: that step never goes.
    assert "high:2:phone" not in keys(due_steps(person, "high", 30, acknowledged_after_minutes=5))


def test_low_urgency_has_its_own_rules_and_no_rules_means_no_steps() -> None:
    person = ann(**PAGERDUTY_LIKE)
    assert keys(due_steps(person, "low", 100)) == ["low:0:work"]
    assert due_steps(ann(), "high", 100) == []
    assert next_step_after(ann(), "high", 0) is None


def test_the_next_step_says_when_to_wake_up() -> None:
    person = ann(**PAGERDUTY_LIKE)
    assert next_step_after(person, "high", 0) == 5
    assert next_step_after(person, "high", 5) == 10
    assert next_step_after(person, "high", 10) is None


def test_steps_carry_the_contact_method_and_keep_the_given_order_within_a_minute() -> None:
    rules = {
        "high": [
            {"contact_method_id": "hook", "after_minutes": 2},
            {"contact_method_id": "chat", "after_minutes": 0},
            {"contact_method_id": "phone", "after_minutes": 2},
        ]
    }
    steps = notification_steps(ann(**rules), "high")
    assert [(s.rule_index, s.after_minutes, s.contact_method.id) for s in steps] == [
        (1, 0, "chat"),
        (0, 2, "hook"),
        (2, 2, "phone"),
    ]
    assert steps[1].contact_method.address == "https://hooks.example.com/ann"


@pytest.mark.parametrize(
    ("kind", "address"),
    [
        ("email", "not-an-email"),
        ("sms", "5551234567"),
        ("slack", "https://hooks.slack.com/services/T/B/x"),
        ("webhook", "http://insecure.example.com"),
    ],
)
def test_addresses_must_fit_their_type(kind: str, address: str) -> None:
    with pytest.raises(ValidationError):
        ContactMethod(id="m", type=kind, address=address)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"time_zone": "Mars/Olympus_Mons"},
        {"time_zone": "EST+5"},
        {"email": "ann"},
        {"user_id": "has space"},
        {"contact_methods": [*METHODS, METHODS[0]]},
        {"notification_rules": {"high": [{"contact_method_id": "pager", "after_minutes": 0}]}},
        {"notification_rules": {"high": [{"after_minutes": 0}]}},
        {
            "notification_rules": {
                "high": [{"contact_method_id": "phone", "contact_type": "sms", "after_minutes": 0}]
            }
        },
        {"notification_rules": {"high": [{"contact_method_id": "phone", "after_minutes": -1}]}},
        {
            "contact_methods": METHODS[:1],
            "notification_rules": {"low": [{"contact_type": "email", "after_minutes": 0}]},
        },
    ],
)
def test_inconsistent_people_are_refused(change: dict[str, Any]) -> None:
    fields = {"user_id": "ann", "name": "Ann", "email": "ann@example.com", "contact_methods": METHODS}
    with pytest.raises(ValidationError):
        Person.model_validate({**fields, **change})


def test_a_person_defaults_to_utc_and_round_trips_as_json() -> None:
    person = ann(**PAGERDUTY_LIKE)
    assert Person.model_validate_json(person.model_dump_json()) == person
    assert Person(user_id="bob", name="Bob", email="bob@example.com").time_zone == "UTC"
