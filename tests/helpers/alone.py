"""A script that starts local runtimes of its own runs in a process of its own: a second runtime
in the test process would replace the shared runtime's moto, patches and hooks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def last_line_of(script: str, timeout: float = 120) -> Any:
    """Run `script` with this Python in the repository, without the test process's VIGIL_
    settings; the JSON the script printed last."""
    own = {name: value for name, value in os.environ.items() if not name.startswith("VIGIL_")}
    command = [sys.executable, "-c", script]
    run = subprocess.run(command, cwd=ROOT, env=own, capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])
