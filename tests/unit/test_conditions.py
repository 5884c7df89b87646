"""User-written conditions are evaluated safely and refused when invalid."""

from __future__ import annotations

import pytest
from vigil.domain.conditions import evaluate, validate_condition
from vigil.domain.errors import InvalidInput


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        ("severity == 'critical' AND status == 'open'", {"severity": "critical", "status": "open"}, True),
        (
            "severity == 'critical' AND status == 'open'",
            {"severity": "critical", "status": "resolved"},
            False,
        ),
        (
            "severity in ['critical', 'emergency'] or category == 'security'",
            {"severity": "low", "category": "security"},
            True,
        ),
        ("NOT (severity == 'info')", {"severity": "info"}, False),
        ("title == 'AND OR NOT'", {"title": "AND OR NOT"}, True),
        ("labels.env == 'prod'", {"labels": {"env": "prod"}}, True),
        ("", {}, True),
    ],
)
def test_conditions_evaluate(condition: str, context: dict[str, object], expected: bool) -> None:
    assert evaluate(condition, context) is expected


@pytest.mark.parametrize(
    "condition",
    [
        "severity ==",
        "sevrity == 'x'",
        "__import__('os').system('id') == 0",
        "severity",
        "().__class__",
        "severity == 'x' " * 40,
    ],
)
def test_invalid_or_unsafe_conditions_are_refused(condition: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_condition(condition, field="rules[0].condition")
    assert raised.value.field == "rules[0].condition"
