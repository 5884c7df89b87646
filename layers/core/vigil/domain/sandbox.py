"""The one sandbox every user-written expression and template runs in.

jinja2's SandboxedEnvironment stops access to Python internals but not work: `9**(9**7)` or a
loop of 25 million iterations would hold a function for seconds. This sandbox bounds what one
expression can cost, so that whatever was accepted when saved renders quickly when it fires:
powers and repetitions are capped, `range` is short, and loops nest at most twice.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

from vigil.domain.errors import InvalidInput

if TYPE_CHECKING:
    from jinja2 import nodes
    from jinja2.runtime import Context
    from jinja2.sandbox import SandboxedEnvironment

MAX_EXPONENT = 64
MAX_BASE = 2**64
MAX_REPEAT_LENGTH = 10_000  # characters or items a `*` repetition may produce
MAX_RANGE = 1_000
MAX_LOOP_NESTING = 2


class TooCostly(ValueError):
    """An expression asked for more work than a page may cost (a ValueError, so that every
    caller that refuses a bad expression refuses this one too)."""


def bounded_range(*args: int) -> range:
    numbers = range(*args)
    try:
        too_long = len(numbers) > MAX_RANGE
    except OverflowError:
        too_long = True
    if too_long:
        raise TooCostly(f"range() is limited to {MAX_RANGE} items")
    return numbers


def checked_binop(op: str, left: Any, right: Any) -> Any:
    if op == "**" and _numbers(left, right) and (abs(right) > MAX_EXPONENT or abs(left) > MAX_BASE):
        raise TooCostly(f"powers are limited to exponents of {MAX_EXPONENT}")
    if op == "*" and _repeat_length(left, right) > MAX_REPEAT_LENGTH:
        raise TooCostly(f"repetition is limited to {MAX_REPEAT_LENGTH} items")
    return {"**": operator.pow, "*": operator.mul}[op](left, right)


def _numbers(*values: Any) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _repeat_length(left: Any, right: Any) -> int:
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, str | list | tuple) and isinstance(times, int):
            return len(sequence) * times
    return 0


def environment_class() -> type[SandboxedEnvironment]:
    """SandboxedEnvironment with the bounds above (jinja2 is imported on first use)."""
    from jinja2.sandbox import SandboxedEnvironment

    class BoundedSandbox(SandboxedEnvironment):
        intercepted_binops = frozenset({"**", "*"})

        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            self.globals["range"] = bounded_range

        def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
            return checked_binop(operator, left, right)

    return BoundedSandbox


def check_loops(environment: SandboxedEnvironment, source: str, field: str) -> None:
    """Refuse a template whose loops nest deeper than MAX_LOOP_NESTING (checked when saved)."""
    from jinja2 import TemplateSyntaxError

    try:
        tree = environment.parse(source)
    except TemplateSyntaxError as error:
        raise InvalidInput(field, f"invalid template: {error}") from None
    if _nesting(tree) > MAX_LOOP_NESTING:
        raise InvalidInput(field, f"loops may nest at most {MAX_LOOP_NESTING} deep")


def _nesting(node: nodes.Node) -> int:
    from jinja2 import nodes

    inner = max((_nesting(child) for child in node.iter_child_nodes()), default=0)
    return inner + 1 if isinstance(node, nodes.For) else inner
