"""The web console's static files (docs/console.md), for the routes that hand them out."""

from __future__ import annotations

from vigil.adapters import assets


def console_file(name: str) -> tuple[bytes, str] | None:
    """The file's bytes and media type; None for any name that is not one of the console's."""
    return assets.console_file(name)
