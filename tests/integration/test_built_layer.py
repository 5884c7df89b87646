"""The core layer as `sam build` builds it (layers/core/Makefile, here for this machine's
platform): Python 3.13 runs the bytecode it ships as it is, from a code directory it does not
write to, as Lambda's read-only one, so a cold start compiles nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.cold_start import ROOT, build_layer, python313

pytestmark = pytest.mark.slow
UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, the source is not checked
TAMPERED = 'raise ImportError("compiled from its source, not run from the shipped bytecode")\n'
# Reading a lazily loaded module's `__file__` runs it (vigil/lazy.py): the listing goes on until
# nothing new was loaded, so that the modules the ingest function defers are checked too.
LIST_LOADED = (
    "import json, sys; import functions.ingest.app; seen = {}\n"
    "while len(seen) < len(sys.modules):\n"
    "    seen = {n: getattr(m, '__file__', None) for n, m in list(sys.modules.items())}\n"
    "print(json.dumps(seen))"
)


def _bytecode_of(source: Path) -> Path:
    return source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"


@pytest.fixture(scope="module")
def layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_layer(tmp_path_factory.mktemp("built"))


def test_every_module_of_vigil_and_boto3_ships_unchecked_hash_bytecode(layer: Path) -> None:
    sources = [s for package in ("vigil", "boto3", "botocore") for s in (layer / package).rglob("*.py")]
    assert len(sources) > 100
    assert [s for s in sources if not _bytecode_of(s).exists()] == []
    flags = {int.from_bytes(_bytecode_of(s).read_bytes()[4:8], "little") for s in sources}
    assert flags == {UNCHECKED_HASH}


def test_the_ingest_function_imports_from_the_shipped_bytecode_alone(layer: Path, tmp_path: Path) -> None:
    shipped = tmp_path / "python"
    shutil.copytree(layer, shipped)
    compiled = [s for s in shipped.rglob("*.py") if _bytecode_of(s).exists()]
    for source in compiled:  # any module compiled from its source now fails to import
        source.write_text(TAMPERED)
    bytecode_before = sorted(shipped.rglob("*.pyc"))
    result = subprocess.run(
        [python313(), "-S", "-c", LIST_LOADED],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": f"{shipped}:{ROOT}",
            "PYTHONDONTWRITEBYTECODE": "1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
        },
    )
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    from_layer = {name: file for name, file in loaded.items() if file and file.startswith(str(shipped))}
    assert {
        "vigil.services.ingest.dedup",
        "vigil.services.incidents",
        "pydantic",
        "aws_lambda_powertools",
    } <= (from_layer.keys())
    assert len(from_layer) > 100
    assert [f for f in from_layer.values() if f.endswith(".py") and not _bytecode_of(Path(f)).exists()] == []
    assert sorted(shipped.rglob("*.pyc")) == bytecode_before  # nothing compiled, nothing written
