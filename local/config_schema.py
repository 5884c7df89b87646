"""Prints the JSON Schema of the configuration document (`make config-schema`), for editors."""

from __future__ import annotations

import json
import sys


def document() -> str:
    from vigil.domain.config_code import ConfigDocument

    return json.dumps(ConfigDocument.model_json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(document())
