"""The console's static files, shipped in the layer beside the code (vigil/console/)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
CONSOLE_FILES = {
    "index.html": "text/html",
    "app.js": "text/javascript",
    "core.js": "text/javascript",
    "setup.js": "text/javascript",
    "oncall.js": "text/javascript",
    "people.js": "text/javascript",
    "policies.js": "text/javascript",
    "app.css": "text/css",
}


@cache
def console_file(name: str) -> tuple[bytes, str] | None:
    """The file's bytes and media type; None for any name that is not one of the console's."""
    if name not in CONSOLE_FILES:
        return None
    return (CONSOLE_DIR / name).read_bytes(), CONSOLE_FILES[name]
