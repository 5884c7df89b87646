"""`make run`: the whole stack on this machine, API on http://127.0.0.1:3000."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

from local.runtime import LOCAL_ADMIN_KEY, start_runtime


def main() -> int:
    host = os.environ.get("VIGIL_HOST", "127.0.0.1")
    port = int(os.environ.get("VIGIL_PORT", "3000"))
    runtime = start_runtime(host, port, api_key=os.environ.get("VIGIL_API_KEY") or LOCAL_ADMIN_KEY)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"Vigil is running on {runtime.url}  (local runtime: moto in-process, no AWS account)")
    print(
        f"Admin API key: {runtime.api_key}"
        + ("  (the fixed local key)" if runtime.api_key == LOCAL_ADMIN_KEY else "")
    )
    print("Loopback webhook targets and plain http are allowed here; a deployed stack refuses them.")
    print(f"Try: export VIGIL={runtime.url} KEY={runtime.api_key}")
    print('     curl -H "Authorization: Bearer $KEY" $VIGIL/api/incident_response')
    print("Ctrl-C stops it.", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    runtime.close()
    print("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
