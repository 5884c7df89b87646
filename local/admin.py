"""Operator commands against a deployed stack (your AWS credentials, never the local runtime).

    python -m local.admin create-key --stack vigil-dev [--name NAME]
prints a new management API key once; only its hash is stored in the stack's table.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def _table_of(stack: str) -> str:
    import boto3

    cloudformation: Any = boto3.client("cloudformation")
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    for output in outputs:
        if output["OutputKey"] == "TableName":
            return str(output["OutputValue"])
    raise SystemExit(f"stack {stack} has no TableName output")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.admin")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-key", help="create a management API key")
    create.add_argument("--stack", required=True)
    create.add_argument("--name", default="admin")
    args = parser.parse_args(argv)

    os.environ["VIGIL_TABLE"] = _table_of(args.stack)
    from vigil.services import keys

    key, secret = keys.create_key(args.name)
    print(f"API key {key.key_id} ({key.name}): {secret}")
    print("Shown once: store it in your password manager.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
