"""Where the CLI finds Vigil: a profile of ~/.config/vigil/config.toml, then VIGIL_URL and
VIGIL_API_KEY, which win."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:3000"


class ConfigError(Exception):
    """The configuration file cannot be read, or names no such profile."""


@dataclass(frozen=True)
class Target:
    url: str
    api_key: str | None


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "vigil" / "config.toml"


def load_target(profile: str) -> Target:
    settings = _profile(profile)
    url = os.environ.get("VIGIL_URL") or settings.get("url") or DEFAULT_URL
    key = os.environ.get("VIGIL_API_KEY") or settings.get("api_key")
    return Target(url=str(url).rstrip("/"), api_key=str(key) if key else None)


def _profile(name: str) -> dict[str, object]:
    path = config_path()
    if not path.exists():
        if name != "default":
            raise ConfigError(f"no profile {name!r}: {path} does not exist")
        return {}
    try:
        profiles = tomllib.loads(path.read_text()).get("profiles", {})
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None
    if name not in profiles:
        if name == "default":
            return {}
        raise ConfigError(f"no profile {name!r} in {path}")
    return dict(profiles[name])
