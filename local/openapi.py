"""Prints the OpenAPI document generated from the API's routes (`make openapi`)."""

from __future__ import annotations

import json
import sys


def document() -> str:
    from vigil.api.app import openapi_json

    return json.dumps(json.loads(openapi_json()), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(document())
