"""Health: the version and whether each component this function depends on answers."""

from __future__ import annotations

from typing import Any

from vigil import __version__
from vigil.adapters import health as probes


def health() -> dict[str, Any]:
    components = probes.probe_components()
    healthy = all(c["status"] == "ok" for c in components)
    return {"status": "ok" if healthy else "degraded", "version": __version__, "components": components}
