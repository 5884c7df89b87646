"""HTTP on 127.0.0.1:3000: API Gateway REST proxy events for the routed function, as
`sam local start-api` would, plus the local-only endpoints under /_local/."""

from __future__ import annotations

import base64
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local.sink import Sink
from local.stack import LocalStack, Route

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
LOCAL_PREFIX = "/_local/"
SINK_PREFIX = "/_local/sink/"
# A web page the user visits must not reach this server through DNS rebinding: only loopback
# names are answered, and a browser's cross-origin request is refused.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def proxy_event(
    method: str,
    raw_path: str,
    headers: dict[str, str],
    body: bytes,
    route: Route,
    path_params: dict[str, str],
    stage: str,
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event, shaped like the captured one in
    tests/fixtures/payloads/apigw_rest_proxy_v1_event_powertools.json."""
    split = urlsplit(raw_path)
    query = parse_qs(split.query, keep_blank_values=True)
    try:
        text, is_base64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode(), True
    request_id = str(uuid.uuid4())
    return {
        "resource": route.path,
        "path": split.path,
        "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.path,
            "httpMethod": method,
            "path": f"/{stage}{split.path}",
            "stage": stage,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "accountId": "123456789012",
            "apiId": "local",
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": "127.0.0.1", "userAgent": headers.get("User-Agent", "")},
        },
        "body": text if body else None,
        "isBase64Encoded": is_base64,
    }


def without_stage(raw_path: str, stage: str) -> str:
    """The deployed URL carries the stage (/dev/api/...), the event's path does not; locally
    both /dev/api/... and /api/... reach the API."""
    prefix = f"/{stage}"
    if raw_path == prefix or raw_path.startswith((f"{prefix}/", f"{prefix}?")):
        return raw_path[len(prefix) :] or "/"
    return raw_path


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class LocalHandler(BaseHTTPRequestHandler):
    stack: LocalStack
    sink: Sink
    server_version = "VigilLocal/1"
    timeout = 5  # seconds a client may take to send its request, as API Gateway's front door
    # The status line, headers and body leave in one write when the request is done (unbuffered,
    # each is its own system call, and each gives the interpreter lock to a background thread
    # that keeps it for the switch interval).
    wbufsize = 64 * 1024

    def log_message(self, format: str, *args: Any) -> None:
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_OPTIONS(self) -> None:
        self._handle()

    def _handle(self) -> None:
        try:
            self._check_origin()
            body = self._read_body()
        except Refused as refusal:
            self.close_connection = True
            self._send_json(refusal.status, {"message": str(refusal)})
            return
        path = urlsplit(self.path).path
        try:
            if path.startswith(SINK_PREFIX):
                self._send_json(*self.sink.handle(self.command, path[len(SINK_PREFIX) :], body))
            elif path.startswith(LOCAL_PREFIX):
                status, payload = local_endpoint(self.stack, self.command, path, body)
                self._send_json(status, payload)
            else:
                self._proxy(body)
        except Exception as error:  # the runtime itself failed: say so, as API Gateway would
            self._send_json(502, {"message": "Internal server error", "detail": type(error).__name__})

    def _check_origin(self) -> None:
        host_header = self.headers.get("Host") or ""
        bound_host = str(getattr(self.server, "server_address", ("",))[0])
        allowed = LOOPBACK_HOSTS | {bound_host}
        if urlsplit(f"//{host_header}").hostname not in allowed:
            raise Refused(HTTPStatus.FORBIDDEN, "the local runtime answers loopback hosts only")
        origin = self.headers.get("Origin")
        if origin and urlsplit(origin).netloc != host_header:
            raise Refused(HTTPStatus.FORBIDDEN, "cross-origin requests are refused")

    def _read_body(self) -> bytes:
        declared = self.headers.get("Content-Length") or "0"
        if not declared.isdigit():
            raise Refused(HTTPStatus.BAD_REQUEST, "Content-Length is not a number")
        length = int(declared)
        if length > MAX_BODY_BYTES:
            raise Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request Too Long")
        try:
            body = self.rfile.read(length) if length else b""
        except TimeoutError:
            body = b""
        if len(body) != length:
            raise Refused(HTTPStatus.BAD_REQUEST, "the body is shorter than its Content-Length")
        return body

    def _proxy(self, body: bytes) -> None:
        stage = self.stack.resolver.parameters().get("Stage", "dev")
        raw_path = without_stage(self.path, stage)
        path = urlsplit(raw_path).path
        matches = [(r, p) for r in self.stack.routes if (p := r.match(self.command, path)) is not None]
        if not matches:
            self._send_json(403, {"message": "Missing Authentication Token"})
            return
        route, params = max(matches, key=lambda m: m[0].specificity())
        headers = {k: v for k, v in self.headers.items()}
        event = proxy_event(self.command, raw_path, headers, body, route, params, stage)
        result = self.stack.invoke(route.function, event, answering_http=True)
        self._send_proxy_result(result)

    def _send_proxy_result(self, result: dict[str, Any]) -> None:
        body = result.get("body") or ""
        raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        self.send_response(int(result.get("statusCode", 200)))
        headers = dict(result.get("headers") or {})
        for name, values in (result.get("multiValueHeaders") or {}).items():
            for value in values:
                self.send_header(name, str(value))
            headers.pop(name, None)
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _send_json(self, status: int, payload: Any) -> None:
        raw = json.dumps(payload, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def local_endpoint(stack: LocalStack, method: str, path: str, body: bytes) -> tuple[int, Any]:
    """The /_local/ endpoints: what a request cost, what the stack sent, and every trigger."""
    parts = path[len(LOCAL_PREFIX) :].strip("/").split("/")
    try:
        payload = json.loads(body) if body else {}
    except json.JSONDecodeError:
        return 400, {"error": {"code": "invalid_json", "message": "body is not JSON", "details": []}}
    match (method, parts):
        case ("GET", ["aws-calls"]):
            return 200, {"calls": dict(sorted(stack.calls.items())), "total": sum(stack.calls.values())}
        case ("POST", ["aws-calls", "reset"]):
            stack.calls.clear()
            return 200, {"calls": {}, "total": 0}
        case ("GET", ["secrets"]):
            return 200, local_secrets(stack)
        case ("GET", ["outbox"]):
            return 200, {"items": list(stack.outbox)}
        case ("POST", ["outbox", "reset"]):
            stack.outbox.clear()
            return 200, {"items": []}
        case ("POST", ["invoke", logical]) if logical in stack.template["Resources"]:
            return 200, stack.invoke(logical, payload, answering_http=True)
        case ("POST", ["schedule", logical]) if logical in stack.schedules:
            return 200, stack.run_schedule(
                logical, payload.get("time") if isinstance(payload, dict) else None, answering_http=True
            )
        case ("POST", ["publish", logical]) if logical in stack.resolver.resources("AWS::SNS::Topic"):
            with stack.waiting_for_async():
                return 200, publish(stack, logical, payload)
        case ("POST", ["put-events"]):
            entries = payload.get("Entries", [payload]) if isinstance(payload, dict) else payload
            with stack.waiting_for_async():
                return 200, {"Entries": stack.put_events(entries)}
    return 404, {
        "error": {"code": "not_found", "message": f"no local endpoint {method} {path}", "details": []}
    }


def local_secrets(stack: LocalStack) -> dict[str, Any]:
    """The signing secret's keys, so that a receiver's signature check and Slack's request
    signature can be tried on this machine. A deployed stack shows them to nobody."""
    arn = stack.resolver.physical["SigningSecret"]["Ref"]
    value = json.loads(stack.clients["secretsmanager"].get_secret_value(SecretId=arn)["SecretString"])
    https = stack.https
    return {
        "webhook_signing_key": value.get("current"),
        "slack_signing_secret": value.get("slack_signing_secret"),
        "https_url": https.get("url"),
        "https_certificate": https.get("certificate"),
    }


def publish(stack: LocalStack, logical: str, payload: Any) -> dict[str, Any]:
    """Publish to a topic of the stack. The body is the message (a JSON object is sent as its
    JSON text, as CloudWatch does), or {"Message": ..., "Subject": ...}."""
    if isinstance(payload, dict) and "Message" in payload:
        message, subject = payload["Message"], payload.get("Subject")
    else:
        message, subject = payload, None
    text = message if isinstance(message, str) else json.dumps(message)
    params: dict[str, Any] = {"TopicArn": stack.resolver.physical[logical]["Ref"], "Message": text}
    if subject:
        params["Subject"] = subject
    return {"MessageId": stack.clients["sns"].publish(**params)["MessageId"]}


class LocalServer(ThreadingHTTPServer):
    """Each connection is served by a thread of a pool, not by a thread started for it: starting
    one made the accepting thread wait for it to begin, on every request (a quarter of a
    millisecond of a 10 ms answer). A connection carries one request (HTTP/1.0) and a client has
    `LocalHandler.timeout` seconds to send it, so a worker is never held long."""

    request_queue_size = 256
    WORKERS = 64

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._workers = ThreadPoolExecutor(self.WORKERS, thread_name_prefix="http")

    def process_request(self, request: Any, client_address: Any) -> None:
        self._workers.submit(self.process_request_thread, request, client_address)

    def server_close(self) -> None:
        super().server_close()
        self._workers.shutdown(wait=False, cancel_futures=True)


def serve(stack: LocalStack, host: str, port: int) -> LocalServer:
    handler = type("BoundLocalHandler", (LocalHandler,), {"stack": stack, "sink": Sink()})
    return LocalServer((host, port), handler)
