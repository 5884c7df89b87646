"""The committed OpenAPI document is the one the code generates."""

from __future__ import annotations

from pathlib import Path

from local.openapi import document

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_committed_openapi_document_is_current() -> None:
    assert COMMITTED.read_text() == document(), "docs/openapi.json is stale: run `make openapi`"


def test_every_template_route_is_documented() -> None:
    import json

    from local.stack import Route
    from local.template import Resolver, load_template

    paths = json.loads(COMMITTED.read_text())["paths"]
    resolver = Resolver(load_template())
    routes = [
        Route(e["Properties"]["Path"], e["Properties"]["Method"].upper(), name)
        for name, props in resolver.resources("AWS::Serverless::Function").items()
        for e in props.get("Events", {}).values()
        if e["Type"] == "Api"
    ]
    for path in paths:
        concrete = path.replace("{", "").replace("}", "")
        assert any(
            r.match("POST", concrete) is not None or r.match("GET", concrete) is not None for r in routes
        ), path
