"""User-written conditions such as `severity == 'critical' AND status == 'open'`.

They are compiled by jinja2's SandboxedEnvironment as expressions (never `eval`), with
StrictUndefined so that a misspelt name is an error when the condition is saved, not when it
fires. AND / OR / NOT are accepted in any case, outside string literals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from vigil.domain.errors import InvalidInput
from vigil.domain.sandbox import environment_class

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment
_KEYWORDS = re.compile(r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|\b(AND|OR|NOT)\b", re.IGNORECASE)
MAX_LENGTH = 500

# The names a condition may use, with sample values for validation.
SAMPLE_CONTEXT: dict[str, Any] = {
    "severity": "critical",
    "status": "open",
    "category": "database",
    "title": "Database connection failure",
    "source": "alertmanager",
    "team": "database_team",
    "labels": {"env": "prod"},
    "escalation_level": 0,
}


def _normalise(text: str) -> str:
    def lower_keyword(match: re.Match[str]) -> str:
        return match.group(1) or match.group(2).lower()

    return _KEYWORDS.sub(lower_keyword, text)


@lru_cache(maxsize=2)
def sandbox(*, strict: bool = False) -> SandboxedEnvironment:
    """jinja2's sandbox, loaded on first use (it is not needed to store a duplicate alert)."""
    from jinja2 import StrictUndefined, Undefined

    return environment_class()(undefined=StrictUndefined if strict else Undefined, autoescape=False)


@lru_cache(maxsize=256)
def compile_condition(text: str) -> Callable[..., Any]:
    return sandbox(strict=True).compile_expression(_normalise(text), undefined_to_none=False)


@lru_cache(maxsize=256)
def names_in(text: str) -> frozenset[str]:
    """The context names a condition reads (all of them if it does not parse)."""
    if not text.strip():
        return frozenset()
    from jinja2 import TemplateError, meta

    try:
        return frozenset(meta.find_undeclared_variables(sandbox().parse("{{ " + _normalise(text) + " }}")))
    except TemplateError:
        return frozenset(SAMPLE_CONTEXT)


def validate_condition(text: str, *, field: str = "condition") -> str:
    """Return the condition unchanged if it compiles and evaluates on a sample; else 400."""
    if not text.strip():
        return text
    if len(text) > MAX_LENGTH:
        raise InvalidInput(field, f"longer than {MAX_LENGTH} characters")
    from jinja2 import TemplateError

    try:
        result = compile_condition(text)(**SAMPLE_CONTEXT)
    except (TemplateError, TypeError, ValueError) as error:
        raise InvalidInput(field, f"invalid condition: {error}") from None
    if not isinstance(result, bool):
        raise InvalidInput(field, "must be a comparison that is true or false, e.g. severity == 'critical'")
    return text


def evaluate(text: str, context: Mapping[str, Any]) -> bool:
    """True when the condition holds; an empty condition always holds."""
    if not text.strip():
        return True
    from jinja2 import TemplateError

    values = {**SAMPLE_CONTEXT, **{k: v for k, v in context.items() if v is not None}}
    try:
        return bool(compile_condition(text)(**values))
    except (TemplateError, TypeError, ValueError):
        return False
