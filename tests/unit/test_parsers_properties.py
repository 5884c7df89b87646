"""Property tests of the webhook parsers: robustness and dedup-key stability.

- random JSON, and real payloads with one random node replaced or deleted, raise nothing but
  InvalidInput for every kind;
- shuffling dict key order (also inside JSON-in-a-string fields such as SNS ``Message``) gives
  the very same alerts;
- changing only timestamps never changes a dedup key (nor a correlation key or a status).
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vigil.domain.alerts import NormalizedAlert
from vigil.domain.errors import InvalidInput
from vigil.domain.parsers import KINDS, parse

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"

PROPERTY = settings(
    database=None,  # never write a .hypothesis directory into the repository
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# The integration kind each payload file is sent to (by file-name prefix).
_KIND_BY_PREFIX = {
    "alertmanager_": "alertmanager",
    "grafana_": "grafana",
    "cloudwatch_": "cloudwatch",
    "eventbridge_": "cloudwatch",
    "sns_": "cloudwatch",
    "datadog_": "datadog",
    "pagerduty_events_": "pagerduty",
    "gcp_": "generic",
    "opsgenie_": "generic",
    "pingdom_": "generic",
    "sentry_": "generic",
    "zabbix_": "generic",
}
# Fields whose value is a JSON document serialized into a string.
_EMBEDDED_KEYS = frozenset({"Message", "reasonData"})
_TIMESTAMP_KEYS = frozenset(
    {
        "startsAt",
        "endsAt",
        "StateChangeTime",
        "Timestamp",
        "timestamp",
        "time",
        "last_updated",
        "date",
        "state_changed_timestamp",
        "state_changed_utc_time",
        "started_at",
        "ended_at",
        "queryDate",
        "startDate",
    }
)


def _kind_of(name: str) -> str | None:
    return next((kind for prefix, kind in _KIND_BY_PREFIX.items() if name.startswith(prefix)), None)


def load(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


PAYLOAD_FILES = sorted(
    (kind, path.name)
    for path in PAYLOADS.glob("*.json")
    if (kind := _kind_of(path.name)) is not None  # skips API Gateway events, PD webhook v3
)
ALERT_FILES = [(kind, name) for kind, name in PAYLOAD_FILES if parse(kind, load(name))]


def test_the_corpus_is_all_there() -> None:
    assert len(PAYLOAD_FILES) == 38  # all but the two API Gateway events and PD webhook v3
    assert {kind for kind, _ in PAYLOAD_FILES} == set(KINDS)
    assert len(ALERT_FILES) == 37  # all but the SNS subscription confirmation


# --- strategies --------------------------------------------------------------------------------

_FIELD_NAMES = [
    "alerts", "labels", "annotations", "status", "fingerprint", "groupKey", "startsAt",
    "generatorURL", "ruleId", "state", "evalMatches", "orgId", "tags", "Records", "Sns", "Type",
    "Message", "AlarmName", "AlarmArn", "NewStateValue", "Trigger", "Dimensions", "Metrics",
    "detail", "detail-type", "resources", "alarmData", "alarmName", "value", "configuration",
    "metrics", "metricStat", "metric", "dimensions", "actionsSuppressedBy", "monitor_id",
    "alert_id", "alert_transition", "alert_type", "scopes", "title", "body", "date",
    "event_action", "dedup_key", "payload", "summary", "source", "severity", "links", "incident",
    "incident_id", "check_id", "current_state", "check_params", "alert_uid", "culprit",
    "project", "event", "id", "message", "alias", "priority", "details", "category",
]  # fmt: skip
_WORDS = [
    "firing", "resolved", "ALARM", "OK", "INSUFFICIENT_DATA", "Notification",
    "SubscriptionConfirmation", "CloudWatch Alarm State Change", "trigger", "acknowledge",
    "resolve", "critical", "P1", "Triggered", "Recovered", "Warn", "alerting", "ok", "no_data",
    "open", "closed", "DOWN", "UP", "", " ", "0001-01-01T00:00:00Z",
    "2019-02-15T23:53:45.093+0000", "1733930912000", "{", "[]", "null",
    "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x",
    '{"AlarmName": "a", "NewStateValue": "ALARM", "Trigger": {"MetricName": "m"}}',
    '{"detail": {"alarmName": "a", "state": {"value": "OK"}}}',
]  # fmt: skip

_keys = st.one_of(st.sampled_from(_FIELD_NAMES), st.text(max_size=12))
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=40),
    st.sampled_from(_WORDS),
)
json_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(_keys, children, max_size=6),
    ),
    max_leaves=30,
)


# --- JSON documents with embedded JSON strings -------------------------------------------------


@dataclass
class Embedded:
    """A JSON document that travels serialized in a string field (SNS Message)."""

    value: Any


def expand(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _expand_field(key, value) for key, value in node.items()}
    if isinstance(node, list):
        return [expand(item) for item in node]
    return node


def _expand_field(key: str, value: Any) -> Any:
    if key in _EMBEDDED_KEYS and isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        if isinstance(decoded, dict):
            return Embedded(expand(decoded))
    return expand(value)


def collapse(node: Any) -> Any:
    if isinstance(node, Embedded):
        return json.dumps(collapse(node.value))
    if isinstance(node, dict):
        return {key: collapse(value) for key, value in node.items()}
    if isinstance(node, list):
        return [collapse(item) for item in node]
    return node


def _container(node: Any) -> Any:
    return node.value if isinstance(node, Embedded) else node


def node_paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every node below `node` (Embedded documents are entered transparently)."""
    inner = _container(node)
    if isinstance(inner, dict):
        steps: Iterable[Any] = inner.keys()
    else:
        steps = range(len(inner)) if isinstance(inner, list) else ()
    for step in steps:
        yield (*prefix, step)
        yield from node_paths(inner[step], (*prefix, step))


def mutate(root: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    root = copy.deepcopy(root)
    parent = root
    for step in path[:-1]:
        parent = _container(parent)[step]
    parent = _container(parent)
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return root


def shuffle_keys(node: Any, rnd: random.Random) -> Any:
    if isinstance(node, Embedded):
        return Embedded(shuffle_keys(node.value, rnd))
    if isinstance(node, dict):
        items = list(node.items())
        rnd.shuffle(items)
        return {key: shuffle_keys(value, rnd) for key, value in items}
    if isinstance(node, list):
        return [shuffle_keys(item, rnd) for item in node]
    return node


def _timestamp_like(original: Any) -> st.SearchStrategy[Any]:
    seconds = st.integers(min_value=0, max_value=4_102_444_800)
    if isinstance(original, bool) or original is None:
        return st.just(original)
    if isinstance(original, int):
        return seconds
    if isinstance(original, float):
        return st.floats(min_value=0, max_value=4.1e9)
    if isinstance(original, str) and original.isdigit():
        return seconds.map(lambda s: str(s * 1000))
    offsets: list[tzinfo] = [UTC, timezone(timedelta(hours=-4)), timezone(timedelta(hours=5))]
    aware = st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from(offsets),
    )
    return st.one_of(
        aware.map(lambda d: d.isoformat()),
        aware.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%f%z")),
        st.sampled_from(["0001-01-01T00:00:00Z", "garbage", ""]),
    )


def retime(node: Any, data: st.DataObject) -> Any:
    """`node` with every timestamp field given another (random) time."""
    if isinstance(node, Embedded):
        return Embedded(retime(node.value, data))
    if isinstance(node, dict):
        return {key: _retime_field(key, value, data) for key, value in node.items()}
    if isinstance(node, list):
        return [retime(item, data) for item in node]
    return node


def _retime_field(key: str, value: Any, data: st.DataObject) -> Any:
    return data.draw(_timestamp_like(value)) if key in _TIMESTAMP_KEYS else retime(value, data)


def parse_or_invalid(kind: str, payload: object) -> list[NormalizedAlert] | None:
    """The alerts, or None when the payload is rejected; any other exception fails the test."""
    try:
        alerts = parse(kind, payload)
    except InvalidInput as exc:
        assert isinstance(exc.field, str) and exc.field
        return None
    assert isinstance(alerts, list)
    assert all(isinstance(alert, NormalizedAlert) for alert in alerts)
    return alerts


def keys_of(alerts: list[NormalizedAlert]) -> list[tuple[str, str | None, str]]:
    return [(a.dedup_key, a.correlation_key, a.status.value) for a in alerts]


# --- properties --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@settings(PROPERTY, max_examples=300)
@given(payload=json_values)
def test_random_json_raises_nothing_but_invalid_input(kind: str, payload: Any) -> None:
    parse_or_invalid(kind, payload)


@PROPERTY
@given(kind=st.sampled_from(KINDS), payload=st.lists(json_values, max_size=4))
def test_random_json_arrays_raise_nothing_but_invalid_input(kind: str, payload: Any) -> None:
    parse_or_invalid(kind, payload)


@pytest.mark.parametrize(("kind", "name"), PAYLOAD_FILES)
@PROPERTY
@given(data=st.data())
def test_mutated_real_payloads_raise_nothing_but_invalid_input(
    kind: str, name: str, data: st.DataObject
) -> None:
    original = expand(load(name))
    path = data.draw(st.sampled_from(list(node_paths(original))), label="path")
    delete = data.draw(st.booleans(), label="delete")
    value = None if delete else data.draw(json_values, label="value")
    parse_or_invalid(kind, collapse(mutate(original, path, value, delete)))


@pytest.mark.parametrize(("kind", "name"), ALERT_FILES)
@PROPERTY
@given(rnd=st.randoms(use_true_random=False))
def test_key_order_does_not_matter(kind: str, name: str, rnd: random.Random) -> None:
    original = load(name)
    shuffled = collapse(shuffle_keys(expand(original), rnd))
    assert parse(kind, shuffled) == parse(kind, original)


@pytest.mark.parametrize(("kind", "name"), ALERT_FILES)
@PROPERTY
@given(data=st.data())
def test_timestamps_never_change_dedup_keys(kind: str, name: str, data: st.DataObject) -> None:
    original = load(name)
    retimed = collapse(retime(expand(original), data))
    assert keys_of(parse(kind, retimed)) == keys_of(parse(kind, original))


_label_maps = st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=10), max_size=6)
_titles = st.text(min_size=1, max_size=60).filter(str.strip)


@PROPERTY
@given(title=_titles, labels=_label_maps, rnd=st.randoms(use_true_random=False), data=st.data())
def test_generic_derived_key_ignores_label_order_and_time(
    title: str, labels: dict[str, str], rnd: random.Random, data: st.DataObject
) -> None:
    body = {"title": title, "labels": labels, "starts_at": "2024-01-01T00:00:00Z"}
    expected = parse("generic", body)[0].dedup_key
    reordered = shuffle_keys(body, rnd)
    reordered["starts_at"] = data.draw(_timestamp_like("2024-01-01T00:00:00Z"))
    assert parse("generic", reordered)[0].dedup_key == expected
    assert parse("generic", [reordered, body])[1].dedup_key == expected


@PROPERTY
@given(labels=_label_maps.filter(bool), rnd=st.randoms(use_true_random=False), data=st.data())
def test_alertmanager_label_hash_ignores_label_order_and_time(
    labels: dict[str, str], rnd: random.Random, data: st.DataObject
) -> None:
    element = {"status": "firing", "labels": {**labels, "alertname": "A"}}
    expected = parse("alertmanager", {"alerts": [element]})[0].dedup_key
    moved = shuffle_keys(element, rnd)
    moved["startsAt"] = data.draw(_timestamp_like("2024-01-01T00:00:00Z"))
    moved["endsAt"] = data.draw(_timestamp_like("2024-01-01T00:00:00Z"))
    assert parse("alertmanager", {"alerts": [moved]})[0].dedup_key == expected
