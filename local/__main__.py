"""`make run`: the whole stack on this machine, API on http://127.0.0.1:3000 and, with a
self-signed certificate made at start, https://127.0.0.1:3443 (VIGIL_HTTPS_PORT; 0 turns it off)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

from local.runtime import LOCAL_ADMIN_KEY, Runtime, start_runtime
from local.server import local_secrets

CLOSE_SECONDS = 10  # Ctrl-C or SIGTERM: the process is gone this long after, at the latest


def main() -> None:
    host = os.environ.get("VIGIL_HOST", "127.0.0.1")
    port = int(os.environ.get("VIGIL_PORT", "3000"))
    runtime = start_runtime(host, port, api_key=os.environ.get("VIGIL_API_KEY") or LOCAL_ADMIN_KEY)
    https_port = int(os.environ.get("VIGIL_HTTPS_PORT", "3443"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"Vigil is running on {runtime.url}  (local runtime: moto in-process, no AWS account)")
    print(
        f"Admin API key: {runtime.api_key}"
        + ("  (the fixed local key)" if runtime.api_key == LOCAL_ADMIN_KEY else "")
    )
    if https_port:
        _serve_https(runtime, https_port)
    secrets = local_secrets(runtime.stack)
    print(f"Webhook signing key (X-Vigil-Signature): {secrets['webhook_signing_key']}")
    print(f"Slack signing secret: {secrets['slack_signing_secret']}  (both also at GET /_local/secrets)")
    print("Loopback webhook targets and plain http are allowed here; a deployed stack refuses them.")
    print(f"Try: export VIGIL={runtime.url} KEY={runtime.api_key}")
    print('     curl -H "Authorization: Bearer $KEY" $VIGIL/api/incident_response')
    print("Ctrl-C stops it.", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    closing = threading.Thread(target=runtime.close, name="closing", daemon=True)
    closing.start()
    closing.join(timeout=CLOSE_SECONDS)
    print("stopped", flush=True)
    sys.stderr.flush()
    # Background work the requests left (ladders, deliveries, the senders of a delivery batch,
    # which are not daemon threads) would go on against AWS itself once moto has stopped: a
    # stopped runtime stops now instead of waiting for it.
    os._exit(0)


def _serve_https(runtime: Runtime, port: int) -> None:
    try:
        url = runtime.serve_https(port)
    except OSError as error:  # e.g. another `make run` holds the port: plain http still works
        print(f"HTTPS not served on port {port}: {error.strerror}; set VIGIL_HTTPS_PORT")
        return
    print(f"HTTPS: {url}  (self-signed; trust {runtime.certificate}, e.g. curl --cacert)")


if __name__ == "__main__":
    main()
