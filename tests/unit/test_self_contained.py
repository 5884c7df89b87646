"""The repository stands alone: nothing in it reads, cites or links outside itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Spelled in two halves so that this file does not match itself.
OUTSIDE = ("../" + "shared", "/work/" + "shared", "DESIGN" + ".md section")


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def test_no_file_refers_outside_the_repository() -> None:
    offenders = []
    for path in tracked_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        offenders += [f"{path.relative_to(ROOT)}: {o}" for o in OUTSIDE if o in text]
    assert offenders == []


def test_the_payload_corpus_is_in_the_repository_with_its_sources() -> None:
    corpus = ROOT / "tests" / "fixtures" / "payloads"
    captures = sorted(p.name for p in corpus.glob("*.json"))
    sources = (corpus / "SOURCES.md").read_text(encoding="utf-8")
    assert len(captures) >= 40
    assert [name for name in captures if name not in sources] == []
