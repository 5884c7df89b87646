"""Shared fixtures: the stack of template.yaml on moto (one per test worker), its HTTP front
door, an API key, a loopback webhook receiver and the real payloads."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.client import ApiClient
from tests.helpers.receiver import Receiver

PAYLOADS = Path(__file__).resolve().parent / "fixtures" / "payloads"


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


@pytest.fixture(scope="session")
def runtime() -> Iterator[Any]:
    from local.runtime import start_runtime

    rt = start_runtime("127.0.0.1", 0, api_key=f"vgk_test_{secrets.token_hex(8)}")
    yield rt
    rt.close()


@pytest.fixture(scope="session")
def stack(runtime: Any) -> Any:
    return runtime.stack


@pytest.fixture
def api(runtime: Any) -> ApiClient:
    return ApiClient(runtime.url, runtime.api_key)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def fresh_policy(stack: Any) -> Iterator[None]:
    """Tests that change the escalation policy get the default back afterwards."""
    from vigil.adapters import dynamo

    yield
    dynamo.delete("CONFIG#escalation", "CURRENT")
