"""The local runtime picks routes the way API Gateway does: literal beats parameter beats greedy."""

from __future__ import annotations

from local.stack import Route
from local.template import Resolver, load_template


def test_route_matching_and_specificity() -> None:
    greedy = Route("/api/{proxy+}", "ANY", "ApiFunction")
    hook = Route("/api/hooks/{token}", "POST", "IngestFunction")
    assert greedy.match("GET", "/api/incident_response/inc_1") == {"proxy": "incident_response/inc_1"}
    assert hook.match("POST", "/api/hooks/abc") == {"token": "abc"}
    assert hook.match("GET", "/api/hooks/abc") is None
    assert hook.match("POST", "/api/hooks/abc/extra") is None
    assert hook.specificity() > greedy.specificity()
    assert Route("/api", "ANY", "ApiFunction").match("GET", "/api") == {}


def test_template_intrinsics_resolve_against_local_names() -> None:
    resolver = Resolver(load_template())
    resolver.physical["Table"] = {"Ref": "vigil-dev", "Arn": "arn:table"}
    assert resolver.resolve({"Fn::Sub": "vigil-${Stage}"}) == "vigil-dev"
    assert resolver.resolve({"Ref": "Table"}) == "vigil-dev"
    assert resolver.resolve({"Fn::GetAtt": ["Table", "Arn"]}) == "arn:table"
    assert resolver.resolve({"Fn::Sub": "arn:${AWS::Partition}:x:${AWS::Region}"}) == "arn:aws:x:us-east-1"
