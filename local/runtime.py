"""Start and stop the local runtime: the stack on moto plus its HTTP front door."""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from http.server import ThreadingHTTPServer

from local.server import serve
from local.settings import apply_local_settings
from local.stack import LocalStack
from local.tls import serve_https

# `make run`'s admin key unless VIGIL_API_KEY says otherwise: fixed, so that the examples in the
# docs run as written. The server answers loopback hosts only and refuses cross-origin requests.
LOCAL_ADMIN_KEY = "vgk_local_admin_key_for_make_run"
# An HTTP answer gives up the interpreter lock at every system call (its socket, botocore's
# uuid4, a log line); a background thread (a ladder step, moto's Step Functions) then keeps it for
# the switch interval, 5 ms by default, before the answer may go on. At 1 ms the answer waits
# less each time; on AWS the background work would run on other machines.
SWITCH_INTERVAL_SECONDS = 0.001


@dataclass
class Runtime:
    stack: LocalStack
    server: ThreadingHTTPServer
    thread: threading.Thread
    api_key: str
    https: ThreadingHTTPServer | None = None
    certificate: str | None = None  # the PEM file of the self-signed certificate of `https`
    switch_interval_before: float | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def https_url(self) -> str | None:
        if self.https is None:
            return None
        host, port = self.https.server_address[:2]
        return f"https://{host!s}:{port}"

    def serve_https(self, port: int) -> str:
        """Serve the same API over TLS on `port` (0: any free port); returns its URL."""
        host = str(self.server.server_address[0])
        self.https, certificate = serve_https(self.server, host, port)
        self.certificate = str(certificate)
        self.stack.https = {"url": self.https_url, "certificate": self.certificate}
        threading.Thread(target=self.https.serve_forever, name="https", daemon=True).start()
        return str(self.https_url)

    def close(self) -> None:
        for server in filter(None, (self.server, self.https)):
            server.shutdown()
            server.server_close()
        self.thread.join(timeout=5)
        self.stack.stop()
        if self.switch_interval_before is not None:
            sys.setswitchinterval(self.switch_interval_before)


def start_runtime(host: str = "127.0.0.1", port: int = 3000, *, api_key: str | None = None) -> Runtime:
    apply_local_settings()
    stack = LocalStack().start()
    from vigil.adapters import outbound_http
    from vigil.services import keys

    outbound_http.delivery_hooks.append(stack.record_http_delivery)
    _, secret = keys.create_key("local admin", secret=api_key)
    _store_a_slack_signing_secret(stack)
    stack.calls.clear()
    server = serve(stack, host, port)
    _tell_handlers_the_url(server)
    thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    thread.start()
    runtime = Runtime(stack, server, thread, secret, switch_interval_before=sys.getswitchinterval())
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    return runtime


def _store_a_slack_signing_secret(stack: LocalStack) -> None:
    """Slack buttons can be tried locally: the secret holds a Slack signing secret, shown by
    GET /_local/secrets (an operator stores Slack's own in a deployed stack)."""
    import json
    import secrets

    client = stack.clients["secretsmanager"]
    arn = stack.resolver.physical["SigningSecret"]["Ref"]
    value = json.loads(client.get_secret_value(SecretId=arn)["SecretString"])
    value["slack_signing_secret"] = secrets.token_hex(16)
    client.put_secret_value(SecretId=arn, SecretString=json.dumps(value))


def _tell_handlers_the_url(server: ThreadingHTTPServer) -> None:
    """Acknowledge links in emails point at this server (a deployed stack uses PublicUrl)."""
    import os

    from vigil.config import settings

    host, port = server.server_address[:2]
    os.environ["VIGIL_PUBLIC_URL"] = os.environ["VIGIL_LOCAL_PUBLIC_URL"] = f"http://{host!s}:{port}"
    settings.cache_clear()
