"""docs/api.md documents every route of docs/openapi.json with a real example, and is current."""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from local.api_tour import NOT_YET

ROOT = Path(__file__).resolve().parents[2]
API_DOC = ROOT / "docs" / "api.md"
OPENAPI = ROOT / "docs" / "openapi.json"
METHODS = ("get", "put", "post", "patch", "delete")
STALE = "docs/api.md is stale: run `make api-docs`"


def documented_routes() -> list[str]:
    paths = json.loads(OPENAPI.read_text())["paths"]
    return sorted(f"{m.upper()} {p}" for p, ops in paths.items() for m in ops if m in METHODS)


def test_every_route_of_the_openapi_document_is_in_api_md() -> None:
    lines = {line.lstrip("#").strip() for line in API_DOC.read_text().splitlines()}
    missing = [route for route in documented_routes() if route not in lines]
    assert not missing, f"{STALE}; not in docs/api.md: {missing}"


def test_every_route_has_an_example() -> None:
    assert NOT_YET not in API_DOC.read_text(), "a route has no example: add one to local/api_tour.py"


@pytest.mark.slow
def test_committed_api_md_is_a_fresh_run_of_the_tour() -> None:
    env = {**os.environ, "PYTHONPATH": f"layers/core{os.pathsep}."}
    run = subprocess.run(
        [sys.executable, "-m", "local.api_tour"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    committed = API_DOC.read_text()
    if run.stdout != committed:
        diff = difflib.unified_diff(
            committed.splitlines(), run.stdout.splitlines(), "docs/api.md", "fresh run", lineterm=""
        )
        pytest.fail(f"{STALE}\n" + "\n".join(list(diff)[:60]))
