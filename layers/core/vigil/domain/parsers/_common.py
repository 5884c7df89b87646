"""Small pure helpers shared by the webhook parsers.

Paths: every helper takes the JSON path of the value it reads (``alerts[0].labels``) so that an
error names the offending field. The empty path is the request body itself and is reported as
``body``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError

from vigil.domain.alerts import NormalizedAlert, Severity
from vigil.domain.errors import InvalidInput
from vigil.domain.vocabulary import CATEGORIES

MAX_KEY_LENGTH = 512
MAX_TITLE_LENGTH = 512

SEVERITY_WORDS: dict[str, Severity] = {
    "emergency": Severity.EMERGENCY,
    "emerg": Severity.EMERGENCY,
    "disaster": Severity.EMERGENCY,
    "critical": Severity.CRITICAL,
    "crit": Severity.CRITICAL,
    "page": Severity.CRITICAL,
    "fatal": Severity.CRITICAL,
    "alert": Severity.CRITICAL,
    "high": Severity.HIGH,
    "error": Severity.HIGH,
    "err": Severity.HIGH,
    "major": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "warning": Severity.MEDIUM,
    "warn": Severity.MEDIUM,
    "average": Severity.MEDIUM,
    "low": Severity.LOW,
    "minor": Severity.LOW,
    "notice": Severity.LOW,
    "info": Severity.INFO,
    "informational": Severity.INFO,
    "information": Severity.INFO,
    "debug": Severity.INFO,
}

_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*([Zz]|[+-]\d{2}:?\d{2})?$"
)
_EPOCH_MS_THRESHOLD = 100_000_000_000  # numbers above this are milliseconds (year 5138+ in s)


# --- paths ---------------------------------------------------------------------------------


def child(path: str, key: str | int) -> str:
    """The JSON path of `key` inside the value at `path`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def field_name(path: str) -> str:
    return path or "body"


# --- typed access ----------------------------------------------------------------------------


def as_dict(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(field_name(path), "expected a JSON object")
    return value


def as_list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput(field_name(path), "expected a JSON array")
    return value


def opt_dict(obj: Mapping[str, Any], key: str, path: str) -> dict[str, Any]:
    """The object at `key`, or {} when it is absent or null."""
    value = obj.get(key)
    return {} if value is None else as_dict(value, child(path, key))


def req_dict(obj: Mapping[str, Any], key: str, path: str) -> dict[str, Any]:
    """The object at `key`, which must be present."""
    if obj.get(key) is None:
        raise InvalidInput(child(path, key), "is required")
    return as_dict(obj[key], child(path, key))


def opt_list(obj: Mapping[str, Any], key: str, path: str) -> list[Any]:
    """The array at `key`, or [] when it is absent or null."""
    value = obj.get(key)
    return [] if value is None else as_list(value, child(path, key))


def opt_str(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    """The string at `key`; None when absent or null; InvalidInput for any other type."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(child(path, key), "expected a string")
    return value


def req_str(obj: Mapping[str, Any], key: str, path: str) -> str:
    """A required, non-blank string."""
    value = opt_str(obj, key, path)
    if value is None or not value.strip():
        raise InvalidInput(child(path, key), "is required")
    return value


def first_str(obj: Mapping[str, Any], keys: Iterable[str], path: str) -> str | None:
    """The first non-blank string among `keys` (each must be a string when present)."""
    for key in keys:
        value = opt_str(obj, key, path)
        if value is not None and value.strip():
            return value
    return None


def scalar_text(value: object, path: str) -> str:
    """A JSON scalar as text: strings as is, numbers in decimal, booleans as true/false."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        try:
            return str(value)
        except ValueError:  # int too large to print (sys.set_int_max_str_digits)
            raise InvalidInput(field_name(path), "number is too large") from None
    raise InvalidInput(field_name(path), "expected a string or a number")


def opt_id(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    """An identifier given as a string or an integer; None when absent, null or blank."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(child(path, key), "expected a string or an integer")
    text = scalar_text(value, child(path, key)).strip()
    return text or None


def req_id(obj: Mapping[str, Any], key: str, path: str) -> str:
    value = opt_id(obj, key, path)
    if value is None:
        raise InvalidInput(child(path, key), "is required")
    return value


def str_map(value: object, path: str) -> dict[str, str]:
    """A flat JSON object as str -> str (scalars converted, nulls dropped)."""
    if value is None:
        return {}
    result: dict[str, str] = {}
    for key, item in as_dict(value, path).items():
        if item is None:
            continue
        result[key] = scalar_text(item, child(path, key))
    return result


def tag_labels(value: object, path: str) -> dict[str, str]:
    """Tags ("service:api,env:prod" or a list of strings) as labels; a bare tag maps to ""."""
    if value is None:
        return {}
    items: list[Any] = value.split(",") if isinstance(value, str) else as_list(value, path)
    labels: dict[str, str] = {}
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise InvalidInput(child(path, i), "expected a string")
        key, _, tag_value = item.strip().partition(":")
        if key:
            previous = labels.get(key)
            labels[key] = tag_value if not previous else f"{previous},{tag_value}"
    return labels


def enum_value(obj: Mapping[str, Any], key: str, path: str, mapping: Mapping[str, Any]) -> Any:
    """Look a required string up case-insensitively in `mapping`."""
    text = req_str(obj, key, path)
    try:
        return mapping[text.strip().lower()]
    except KeyError:
        allowed = ", ".join(sorted(mapping))
        raise InvalidInput(child(path, key), f"must be one of: {allowed}") from None


# --- values ------------------------------------------------------------------------------------


def stable_hash(value: object) -> str:
    """First 32 hex chars of sha256 over canonical JSON: independent of dict key order."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def fit_key(key: str) -> str:
    """A dedup/correlation key that fits the model: over-long keys are replaced by their hash."""
    key = key.strip()
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return f"sha256:{stable_hash(key)}"


def fit_title(text: str) -> str:
    """A title that fits the model: surrounding blanks stripped, cut at 512 characters."""
    text = text.strip()
    if len(text) <= MAX_TITLE_LENGTH:
        return text
    return text[: MAX_TITLE_LENGTH - 1] + "…"


def severity_from(value: object, default: Severity = Severity.HIGH) -> Severity:
    """Map a tool's severity word (critical, warning, page, P1 ...) to a Vigil Severity."""
    if not isinstance(value, str):
        return default
    return SEVERITY_WORDS.get(value.strip().lower(), default)


def category_from(value: object) -> str | None:
    if isinstance(value, str) and value.strip().lower() in CATEGORIES:
        return value.strip().lower()
    return None


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text or epoch seconds/milliseconds; None if unusable.

    Naive ISO text is taken as UTC. The Go zero time (year 1) means "no time" and maps to None.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _from_epoch(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.isdigit():
        return _from_epoch(int(text)) if len(text) <= 20 else None
    return _from_iso(text)


def _from_epoch(number: float) -> datetime | None:
    try:
        seconds = number / 1000 if abs(number) >= _EPOCH_MS_THRESHOLD else number
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _from_iso(text: str) -> datetime | None:
    match = _ISO_RE.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        parsed = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=_tz(offset),
        )
        if parsed.year <= 1:
            return None  # Go's zero time.Time: "0001-01-01T00:00:00Z"
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _tz(offset: str | None) -> timezone:
    if offset is None or offset in {"Z", "z"}:
        return UTC
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(-delta if offset[0] == "-" else delta)


# --- building ----------------------------------------------------------------------------------


def build_alert(**fields: Any) -> NormalizedAlert:
    """Construct the model; a model validation failure becomes InvalidInput, never escapes."""
    try:
        return NormalizedAlert(**fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = ".".join(str(part) for part in error.get("loc", ())) or "body"
        raise InvalidInput(location, str(error.get("msg", "invalid value"))) from None
