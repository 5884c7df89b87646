"""docs/oncall.md runs as written: its python blocks, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[2] / "docs" / "oncall.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def test_the_examples_of_docs_oncall_run() -> None:
    blocks = BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 6
    namespace: dict[str, Any] = {}
    for number, block in enumerate(blocks, start=1):
        try:
            exec(compile(block, f"docs/oncall.md python block {number}", "exec"), namespace)  # noqa: S102
        except AssertionError as exc:
            raise AssertionError(f"docs/oncall.md python block {number} no longer holds: {exc}") from exc
