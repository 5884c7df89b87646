"""Loads and renders notification templates with jinja2's sandbox (autoescaped for HTML).
jinja2 is imported when a template is first rendered or checked, not with the module: most
cold starts of the API render none (the deliver functions render every message)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigil.domain.errors import InvalidInput
from vigil.domain.sandbox import check_loops, environment_class

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"


@cache
def _environment(html: bool) -> SandboxedEnvironment:
    from jinja2 import StrictUndefined, select_autoescape

    # No loader: a template cannot include, import or extend a file (nor learn where they are).
    return environment_class()(
        autoescape=select_autoescape(default=html, default_for_string=html),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


def default_source(name: str) -> str:
    return (TEMPLATE_DIR / f"{name}.j2").read_text()


def render(source: str, context: dict[str, Any], *, html: bool = False, field: str = "template") -> str:
    """Render a template text; a template that fails is an InvalidInput naming `field`."""
    from jinja2 import TemplateError

    try:
        return _environment(html).from_string(source).render(**context).strip()
    except (TemplateError, ValueError, TypeError) as error:
        raise InvalidInput(field, f"does not render: {error}") from None


def check_structure(source: str, *, html: bool, field: str) -> None:
    """Refuse, when saved, a template whose loops could cost more than a page may."""
    check_loops(_environment(html), source, field)
