"""moto's log lines for a failed state: the error, and the state's name instead of the repr of
its whole parse tree; a Choice's absent path (not a failure) is dropped."""

from __future__ import annotations

import logging

from local.stack import _state_failure_lines

PAGE_REPR = (
    "(StateTaskServiceLambda| {'catch': (CatchDecl| {'next_decl': (Next| {'name': 'TimedOut'}}, "
    "'name': 'Page', 'query_language': (QueryLanguage| {...}), " + "'x': 1, " * 2000 + "}"
)


def _record(*args: object) -> logging.LogRecord:
    return logging.LogRecord("moto", logging.ERROR, __file__, 1, "%s at '%s'", args, None)


def test_a_failed_state_is_named_instead_of_dumped() -> None:
    record = _record("Exception=FailureEventException, Error=States.Timeout", PAGE_REPR)
    assert _state_failure_lines(record)
    assert record.getMessage() == "Exception=FailureEventException, Error=States.Timeout at 'state Page'"


def test_a_choice_s_absent_path_is_dropped_and_other_lines_kept_as_they_are() -> None:
    assert not _state_failure_lines(_record("Exception=NoSuchJsonPathError", "(StringJsonPath| {'$.x'})"))
    other = _record("one argument")
    assert _state_failure_lines(other)
    assert other.args == ("one argument",)
