"""Configuration files: a folder of YAML files (or one file) holding the sections of Vigil's
configuration document, one section per file when `vigil export` writes them."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml


class FileError(Exception):
    """A configuration file that cannot be read as one (a usage error, exit 2)."""


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads 12:30 as the number 750 (base 60); a time of day must stay text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:int"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)


def read(path: Path) -> dict[str, Any]:
    """The sections of every *.yaml / *.yml file at `path` (a file or a folder)."""
    files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
    if not path.exists() or not files:
        raise FileError(f"{path}: no such file, or a folder without *.yaml files")
    document: dict[str, Any] = {}
    for file in files:
        for section, value in _sections(file).items():
            if section in document:
                raise FileError(f"{file}: section {section!r} is also in another file")
            document[section] = _plain(value)
    return document


def _sections(file: Path) -> dict[str, Any]:
    try:
        loaded = yaml.load(file.read_text(), Loader=_Loader)  # noqa: S506 (a SafeLoader)
    except (OSError, yaml.YAMLError) as error:
        raise FileError(f"{file}: {error}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise FileError(f"{file}: expected sections (a mapping) at the top level")
    return loaded


def _plain(value: Any) -> Any:
    """YAML timestamps back to the ISO 8601 text the API reads."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def write(folder: Path, config: dict[str, Any]) -> list[Path]:
    """One file per section, named after it; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for section, value in config.items():
        if value is None:
            continue
        file = folder / f"{section}.yaml"
        file.write_text(dump({section: value}))
        written.append(file)
    return written


def dump(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=100)
