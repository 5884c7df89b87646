"""What the local runtime sets differently from a deployed stack (see vigil.config)."""

from __future__ import annotations

import os

LOCAL_SETTINGS = {
    # The test receivers and demo sinks listen on http://127.0.0.1.
    "VIGIL_WEBHOOK_SCHEMES": "https,http",
    "VIGIL_WEBHOOK_ALLOW_LOOPBACK": "1",
    # There is no Systems Manager on moto: automated steps say so instead of pretending.
    "VIGIL_SSM_AUTOMATION": "0",
}


def apply_local_settings() -> None:
    os.environ.update(LOCAL_SETTINGS)
