"""The docs run as written: every ```sh block of README.md, docs/api.md, docs/local-runtime.md,
docs/cli.md, docs/config-as-code.md and docs/oncall.md is pasted, in order, into one bash against
a fresh `make run` (`python -m local` in its own process), and each block answers with the status
the doc shows.

Blocks fenced as ```console (starting the stack, deploying) are for a person at a terminal and
are not run. The docs address the runtime as http://127.0.0.1:3000; the test's runtime listens
on a free port, which is the only thing it changes in the text.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTED_URL = "http://127.0.0.1:3000"
FENCE = re.compile(r"^```(\S*)\n(.*?)^```\n(?:\n`(\d{3}) [^`]+`)?", re.MULTILINE | re.DOTALL)
WRAPPER = r"""
curl() {
  local out status
  out=$(mktemp)
  status=$(command curl -sS -o "$out" -w '%{http_code}' "$@")
  echo "$status" >> "$STATUS_LOG"
  cat "$out"
  rm -f "$out"
}
"""


@dataclass
class Block:
    script: str
    status: int | None  # the status the doc shows right after the block, if any


def runnable_blocks(markdown: str) -> list[Block]:
    return [
        Block(m.group(2), int(m.group(3)) if m.group(3) else None)
        for m in FENCE.finditer(markdown)
        if m.group(1) == "sh"
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def fresh_runtime() -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "VIGIL_API_KEY"} | {
        "VIGIL_PORT": str(port),
        "VIGIL_HTTPS_PORT": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "local"],
        cwd=ROOT,
        env=env | {"PYTHONPATH": f"layers/core{os.pathsep}."},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "`python -m local` exited"
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the local runtime did not start within 60 s")


def run_doc(name: str, url: str, tmp_path: Path) -> tuple[list[Block], list[list[int]], str]:
    """Run the doc's blocks in one bash; the blocks, the statuses each block's curls got, and
    what the shell printed."""
    blocks = runnable_blocks((ROOT / name).read_text())
    assert blocks, f"{name} has no ```sh example"
    log = tmp_path / "statuses"
    parts = ["set -e", WRAPPER]
    for index, block in enumerate(blocks):
        parts += [block.script.replace(DOCUMENTED_URL, url), f'echo "block {index}" >> "$STATUS_LOG"']
    run = subprocess.run(
        ["bash", "-c", "\n".join(parts)],
        cwd=ROOT,
        env=os.environ | {"STATUS_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, f"{name}: the shell failed\n{run.stderr[-3000:]}"
    per_block: list[list[int]] = [[]]
    for line in log.read_text().splitlines():
        if line.startswith("block "):
            per_block.append([])
        else:
            per_block[-1].append(int(line))
    return blocks, per_block[: len(blocks)], run.stdout


def assert_statuses(name: str, blocks: list[Block], statuses: list[list[int]], output: str) -> None:
    assert len(statuses) == len(blocks), f"{name}: only {len(statuses)} of {len(blocks)} blocks ran"
    for block, got in zip(blocks, statuses, strict=True):
        where = f"{name}, the block:\n{block.script}\n"
        if block.status is not None:
            assert got and got[-1] == block.status, f"{where}answered {got}, not {block.status}"
        else:
            assert all(status < 400 for status in got), f"{where}answered {got}\n{output[-2000:]}"


def outbox(url: str) -> list[dict[str, object]]:
    with urllib.request.urlopen(f"{url}/_local/outbox", timeout=5) as response:
        return list(json.loads(response.read())["items"])


@pytest.mark.slow
def test_readme_quickstart_pages_a_person(fresh_runtime: str, tmp_path: Path) -> None:
    blocks, statuses, output = run_doc("README.md", fresh_runtime, tmp_path)
    assert_statuses("README.md", blocks, statuses, output)
    emails = [o for o in outbox(fresh_runtime) if o["channel"] == "email"]
    assert [e["target"] for e in emails] == ["ann@example.com"], emails


@pytest.mark.slow
def test_api_md_runs_in_order_with_the_statuses_it_shows(fresh_runtime: str, tmp_path: Path) -> None:
    blocks, statuses, output = run_doc("docs/api.md", fresh_runtime, tmp_path)
    assert_statuses("docs/api.md", blocks, statuses, output)
    paths = json.loads((ROOT / "docs" / "openapi.json").read_text())["paths"]
    routes = sum(
        1 for ops in paths.values() for method in ops if method in {"get", "put", "post", "patch", "delete"}
    )
    assert sum(b.status is not None for b in blocks) >= routes  # every route, and then some


@pytest.mark.slow
def test_local_runtime_md_runs(fresh_runtime: str, tmp_path: Path) -> None:
    blocks, statuses, output = run_doc("docs/local-runtime.md", fresh_runtime, tmp_path)
    assert_statuses("docs/local-runtime.md", blocks, statuses, output)


@pytest.mark.slow
def test_cli_md_runs(fresh_runtime: str, tmp_path: Path) -> None:
    blocks, statuses, output = run_doc("docs/cli.md", fresh_runtime, tmp_path)
    assert_statuses("docs/cli.md", blocks, statuses, output)
    assert "orders queue backed up" in output and "exit code 1" in output


@pytest.mark.slow
def test_oncall_md_runs(fresh_runtime: str, tmp_path: Path) -> None:
    blocks, statuses, output = run_doc("docs/oncall.md", fresh_runtime, tmp_path)
    assert_statuses("docs/oncall.md", blocks, statuses, output)
    pages = [o["target"] for o in outbox(fresh_runtime) if "card payments failing" in json.dumps(o)]
    assert pages == ["bob@example.com"]  # the person on call by the override, by his first rule


def test_blocks_are_found_with_their_statuses() -> None:
    markdown = "x\n```sh\ncurl a\n```\n\n`201 Created`\n\n```console\nmake run\n```\n```sh\nB=1\n```\n"
    assert runnable_blocks(markdown) == [Block("curl a\n", 201), Block("B=1\n", None)]


@pytest.mark.slow
def test_config_as_code_md_runs(fresh_runtime: str, tmp_path: Path) -> None:
    blocks, statuses, output = run_doc("docs/config-as-code.md", fresh_runtime, tmp_path)
    assert_statuses("docs/config-as-code.md", blocks, statuses, output)
    assert output.count("exit code 1") == 2, output[-3000:]
    assert "payments" in output and "alerts that would page no one" in output, output[-3000:]
    assert "+ override ovr_" in output and "override:ovr_" in output, output[-3000:]  # planned, on call
