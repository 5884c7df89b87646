"""The console's files, for the routes that hand them out."""

from __future__ import annotations

from vigil.adapters import assets


def console_file(name: str) -> tuple[bytes, str] | None:
    """A console file's bytes and media type; None for a name that is not one of them."""
    return assets.console_file(name)
