"""The layering rules of docs/design.md, checked on the import graph of the deployed code
(layers/core/vigil and functions/). `make lint` runs this file.

domain ← services ← api ← functions, with adapters (and their stores) beside services:
- only adapters touch boto3, HTTP clients or template loading;
- the domain imports nothing of services, adapters, api, functions or the settings, and reads
  neither the environment nor the clock;
- adapters import no services or api; api imports no adapters; services import no api or
  functions and no settings (they are given values);
- nothing deployed imports local/ or tests/; services import each other without cycles;
- only vigil/config.py reads os.environ.

Each contract is a function of an import graph, and each has a test that feeds it a graph
with one violating import, proving that the contract would catch it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "layers" / "core"
FUNCTIONS = ROOT / "functions"
IO_MODULES = {"boto3", "botocore", "urllib3", "requests", "http.client", "urllib.request", "socket", "ssl"}
SETTINGS = "vigil.config"

Graph = dict[str, set[str]]


# ----------------------------------------------------------------------------- the graph
def _module_name(path: Path) -> str:
    base = CORE if CORE in path.parents else ROOT
    parts = list(path.relative_to(base).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _deployed_files() -> list[Path]:
    return sorted([*CORE.rglob("*.py"), *FUNCTIONS.rglob("*.py")])


def _imports(path: Path, known: set[str]) -> set[str]:
    """Every module a file imports, at the top or inside a function (a hidden import counts)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in known)
    return names


def import_graph() -> Graph:
    files = _deployed_files()
    known = {_module_name(path) for path in files}
    return {_module_name(path): _imports(path, known) for path in files}


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


# ----------------------------------------------------------------------------- the contracts
def forbidden(layer: str, *banned: str) -> Callable[[Graph], list[str]]:
    def check(graph: Graph) -> list[str]:
        return sorted(
            f"{module} imports {name}"
            for module, names in graph.items()
            if _within(module, layer)
            for name in names
            if any(_within(name, b) for b in banned)
        )

    check.__name__ = f"{layer} must not import {', '.join(banned)}"
    return check


def no_local_or_tests(graph: Graph) -> list[str]:
    return sorted(
        f"{module} imports {name}"
        for module, names in graph.items()
        for name in names
        if _within(name, "local") or _within(name, "tests")
    )


def service_cycles(graph: Graph) -> list[str]:
    """Each cycle among vigil.services modules, as 'a -> b -> a'."""
    edges = {
        m: {n for n in names if _within(n, "vigil.services") and n in graph and n != m}
        for m, names in graph.items()
        if _within(m, "vigil.services")
    }
    cycles: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        for nxt in edges.get(module, ()):
            if nxt in path:
                loop = path[path.index(nxt) :]
                start = loop.index(min(loop))
                cycles.add(" -> ".join([*loop[start:], *loop[:start], min(loop)]))
            elif len(path) < 12:
                visit(nxt, [*path, nxt])

    for module in edges:
        visit(module, [module])
    return sorted(cycles)


CONTRACTS: dict[str, Callable[[Graph], list[str]]] = {
    "domain": forbidden(
        "vigil.domain", "vigil.services", "vigil.adapters", "vigil.api", "functions", SETTINGS
    ),
    "adapters": forbidden("vigil.adapters", "vigil.services", "vigil.api"),
    "api": forbidden("vigil.api", "vigil.adapters"),
    "services": forbidden("vigil.services", "vigil.api", "functions", SETTINGS),
    "deployed": no_local_or_tests,
    "service cycles": service_cycles,
}

# One import that breaks each contract.
VIOLATIONS: dict[str, tuple[str, str]] = {
    "domain": ("vigil.domain.incidents", "vigil.adapters.stores.incidents"),
    "adapters": ("vigil.adapters.stores.incidents", "vigil.services.timeline"),
    "api": ("vigil.api.ingest", "vigil.adapters.aws"),
    "services": ("vigil.services.ingest.dedup", "vigil.config"),
    "deployed": ("vigil.services.ingest.dedup", "tests.helpers.client"),
    "service cycles": ("vigil.services.timeline", "vigil.services.incidents"),
}


@pytest.fixture(scope="module")
def graph() -> Graph:
    return import_graph()


@pytest.mark.parametrize("name", CONTRACTS)
def test_contract_holds(graph: Graph, name: str) -> None:
    assert CONTRACTS[name](graph) == []


@pytest.mark.parametrize("name", CONTRACTS)
def test_contract_catches_a_violating_import(graph: Graph, name: str) -> None:
    module, imported = VIOLATIONS[name]
    assert module in graph, f"the example importer {module} no longer exists"
    broken = {**graph, module: graph[module] | {imported}}
    assert any(imported in v or module in v for v in CONTRACTS[name](broken))


def test_the_graph_sees_imports_hidden_inside_functions(tmp_path: Path) -> None:
    hidden = tmp_path / "hidden.py"
    hidden.write_text("def f():\n    from vigil.services import incidents\n")
    assert "vigil.services.incidents" in _imports(hidden, {"vigil.services.incidents"})


# ----------------------------------------------------------------------------- environment, I/O, clock
def environment_readers(files: Iterable[Path]) -> list[str]:
    return sorted(
        str(path)
        for path in files
        if path.name != "config.py"
        and any(s in path.read_text() for s in ("os.environ", "getenv", "environ["))
    )


def test_only_the_settings_module_reads_the_environment() -> None:
    assert environment_readers(_deployed_files()) == []


def test_reading_the_environment_elsewhere_is_caught(tmp_path: Path) -> None:
    reader = tmp_path / "reader.py"
    reader.write_text("import os\nTABLE = os.environ['VIGIL_TABLE']\n")
    assert environment_readers([reader]) == [str(reader)]


def _touches_io(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in IO_MODULES)


def test_only_adapters_import_aws_or_http_clients(graph: Graph) -> None:
    offenders = [
        f"{module}: {name}"
        for module, names in graph.items()
        if not _within(module, "vigil.adapters")
        for name in names
        if _touches_io(name) or name == "jinja2.loaders"
    ]
    assert offenders == []
    assert not [
        p for p in _deployed_files() if "adapters" not in p.parts and "FileSystemLoader" in p.read_text()
    ]


def test_domain_reads_no_environment_and_no_clock() -> None:
    for path in (CORE / "vigil" / "domain").rglob("*.py"):
        assert "os" not in _imports(path, set()), path
        assert "datetime.now(" not in path.read_text() or path.name == "clock.py", path
