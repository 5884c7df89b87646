"""docs/design.md, layers and rules: only vigil.adapters touch boto3, HTTP clients or template loading;
the domain does no I/O and reads neither the environment nor the clock."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "layers" / "core" / "vigil"
IO_MODULES = {"boto3", "botocore", "urllib3", "requests", "http.client", "urllib.request", "socket", "ssl"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _touches_io(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in IO_MODULES)


def test_only_adapters_import_aws_or_http_clients() -> None:
    offenders = [
        f"{path.relative_to(CORE)}: {name}"
        for path in CORE.rglob("*.py")
        if "adapters" not in path.parts
        for name in _imports(path)
        if _touches_io(name) or name == "jinja2.loaders" or "FileSystemLoader" in path.read_text()
    ]
    assert offenders == []


def test_domain_reads_no_environment_and_no_adapters() -> None:
    for path in (CORE / "domain").rglob("*.py"):
        text = path.read_text()
        imports = _imports(path)
        assert "os" not in imports, path
        assert not any(n.startswith(("vigil.adapters", "vigil.services", "vigil.http")) for n in imports), (
            path
        )
        assert "datetime.now(" not in text or path.name == "clock.py", path


def test_services_do_not_depend_on_the_http_edge() -> None:
    for path in (CORE / "services").rglob("*.py"):
        assert not any(n.startswith("vigil.http") for n in _imports(path)), path
