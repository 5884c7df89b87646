"""Reads template.yaml (the deployed definition) and resolves its intrinsic functions locally."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
ACCOUNT = "123456789012"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that keeps CloudFormation short tags (!Ref, !GetAtt, !Sub...) as dicts."""


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open() as handle:
        return yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


@dataclass
class Resolver:
    """Resolves Ref / GetAtt / Sub against parameter defaults and local physical ids."""

    template: dict[str, Any]
    physical: dict[str, dict[str, str]] = field(default_factory=dict)

    def parameters(self) -> dict[str, str]:
        params = self.template.get("Parameters", {})
        return {name: str(spec.get("Default", "")) for name, spec in params.items()}

    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "vigil-local",
        }

    def ref(self, name: str) -> str:
        if name in self.pseudo():
            return self.pseudo()[name]
        if name in self.parameters():
            return self.parameters()[name]
        return self.physical[name]["Ref"]

    def get_att(self, name: str, attribute: str) -> str:
        return self.physical[name][attribute]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self.ref(value["Ref"])
        if set(value) == {"Fn::GetAtt"}:
            return self.get_att(*value["Fn::GetAtt"])
        if set(value) == {"Fn::Sub"}:
            return self._sub(value["Fn::Sub"])
        if set(value) == {"Fn::Split"}:
            separator, text = value["Fn::Split"]
            return str(self.resolve(text)).split(separator)
        if set(value) == {"Fn::Select"}:
            index, items = value["Fn::Select"]
            return self.resolve(items)[int(index)]
        if set(value) == {"Fn::Join"}:
            separator, items = value["Fn::Join"]
            return separator.join(str(item) for item in self.resolve(items))
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, spec: Any) -> str:
        text, extra = (spec, {}) if isinstance(spec, str) else (spec[0], spec[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in extra:
                return str(self.resolve(extra[name]))
            if "." in name:
                return self.get_att(*name.split(".", 1))
            return self.ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        """The resources of a type that the stack creates (their Condition, if any, holds)."""
        return {
            name: resource.get("Properties", {})
            for name, resource in self.template["Resources"].items()
            if resource["Type"] == kind and self.holds(resource.get("Condition"))
        }

    def holds(self, condition: str | None) -> bool:
        if condition is None:
            return True
        return bool(self._condition(self.template.get("Conditions", {})[condition]))

    def _condition(self, value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"Fn::Not"}:
            return not self._condition(value["Fn::Not"][0])
        if isinstance(value, dict) and set(value) == {"Fn::Equals"}:
            left, right = (self.resolve(v) for v in value["Fn::Equals"])
            return str(left) == str(right)
        if isinstance(value, dict) and set(value) == {"Condition"}:
            return self.holds(value["Condition"])
        return value

    def function_environment(self) -> dict[str, str]:
        raw = self.template.get("Globals", {}).get("Function", {}).get("Environment", {})
        return {k: str(v) for k, v in self.resolve(raw.get("Variables", {})).items()}
