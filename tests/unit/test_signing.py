"""The signing secret is read through Powertools' SecretsProvider and kept for MAX_AGE_SECONDS:
a botocore Stubber answers GetSecretValue, and refuses any call it was not told to expect."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parameters import base
from botocore.session import get_session
from botocore.stub import Stubber
from vigil.adapters import signing
from vigil.config import Settings
from vigil.domain.errors import Throttled

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:vigil/test/signing"


class Later(datetime):
    """Powertools' cache clock, moved on by `shift` (it reads datetime.now() of its module)."""

    shift = timedelta(0)

    @classmethod
    def now(cls, tz: Any = None) -> Later:  # type: ignore[override]
        return super().now(tz) + cls.shift


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    client = get_session().create_client(
        "secretsmanager", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    monkeypatch.setattr(signing, "client", lambda service: client)
    monkeypatch.setattr(signing, "settings", lambda: Settings(signing_secret_arn=ARN))
    monkeypatch.setattr(signing, "_provider", None)
    monkeypatch.setattr(signing, "_last_reread", float("-inf"))
    monkeypatch.setattr(base, "datetime", Later)
    monkeypatch.setattr(Later, "shift", timedelta(0))
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _stored(stubber: Stubber, **value: str) -> None:
    answer = {"ARN": ARN, "Name": "vigil/test/signing", "SecretString": json.dumps(value)}
    stubber.add_response("get_secret_value", answer, {"SecretId": ARN})


def test_reads_within_the_max_age_make_one_get_secret_value(secrets: Stubber) -> None:
    _stored(secrets, current="k1", previous="k0", slack_signing_secret="s1")
    assert signing.signing_keys() == [b"k1", b"k0"]
    assert signing.signing_keys() == [b"k1", b"k0"]
    assert signing.slack_signing_secret() == b"s1"  # the same read serves Slack's secret


def test_after_the_max_age_the_secret_is_read_again(secrets: Stubber) -> None:
    _stored(secrets, current="k1")
    _stored(secrets, current="k2", previous="k1")
    assert signing.signing_keys() == [b"k1"]
    Later.shift = timedelta(seconds=signing.MAX_AGE_SECONDS - 1)
    assert signing.signing_keys() == [b"k1"]
    Later.shift = timedelta(seconds=signing.MAX_AGE_SECONDS + 1)
    assert signing.signing_keys() == [b"k2", b"k1"]


def test_a_slack_reread_reads_now_but_not_again_within_its_floor(secrets: Stubber) -> None:
    _stored(secrets, current="k1", slack_signing_secret="old")
    _stored(secrets, current="k1", slack_signing_secret="new")
    assert signing.slack_signing_secret() == b"old"
    assert signing.reread_slack_signing_secret() == b"new"
    assert signing.reread_slack_signing_secret() is None  # a flood of forgeries costs no reads
    assert signing.slack_signing_secret() == b"new"


def test_a_throttled_read_is_throttled_not_a_powertools_error(secrets: Stubber) -> None:
    secrets.add_client_error("get_secret_value", service_error_code="ThrottlingException")
    with pytest.raises(Throttled):
        signing.signing_keys()


def test_a_missing_secret_leaves_as_the_sdk_error(secrets: Stubber) -> None:
    secrets.add_client_error("get_secret_value", service_error_code="ResourceNotFoundException")
    with pytest.raises(Exception, match="ResourceNotFoundException"):
        signing.signing_keys()


def test_a_new_slack_secret_holds_from_the_next_press_and_forgeries_cost_no_reads(secrets: Stubber) -> None:
    from vigil.domain.clock import utcnow
    from vigil.domain.slack import expected_signature
    from vigil.services import actions

    _stored(secrets, current="k1", slack_signing_secret="old")
    assert signing.slack_signing_secret() == b"old"  # kept by this warm instance
    _stored(secrets, current="k1", slack_signing_secret="new")  # the operator stores Slack's new secret
    stamp, body = str(int(utcnow().timestamp())), b"payload=%7B%7D"
    assert actions._signed_by_slack(stamp, expected_signature(b"new", stamp, body), body)
    assert not actions._signed_by_slack(stamp, expected_signature(b"forged", stamp, body), body)
    assert not actions._signed_by_slack(stamp, expected_signature(b"old", stamp, body), body)
