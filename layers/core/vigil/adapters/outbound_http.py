"""Outgoing HTTP (webhooks, Slack, playbook steps) under the rules of docs/security.md:
only the allowed schemes (settings: https when deployed), every resolved address global
(loopback too where the settings allow it), connect to the checked address, no redirects,
short timeouts, bounded response size."""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from vigil.config import settings
from vigil.domain.errors import InvalidInput

CONNECT_TIMEOUT_SECONDS = 3.0
READ_TIMEOUT_SECONDS = 5.0
# The whole exchange (connect, send, every byte of the answer): a receiver that drips its answer
# one byte at a time cannot hold a delivery longer than this.
TOTAL_DEADLINE_SECONDS = 8.0
MAX_RESPONSE_BYTES = 64 * 1024

# Called with a record of every delivery attempt; the local runtime keeps them in its outbox.
delivery_hooks: list[Callable[[dict[str, Any]], None]] = []


@dataclass(frozen=True)
class HttpResult:
    status: int | None
    body: str
    error: str | None = None
    refused: bool = False  # the target is not allowed: trying again cannot help

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def allowed_address(address: str, *, allow_loopback: bool) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            ip = embedded
    return ip.is_global or (allow_loopback and ip.is_loopback)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, NAT64, 6to4, Teredo client, or the old
    IPv4-compatible ::a.b.c.d): judged as that address, so none reaches an internal host."""
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in NAT64 or (ip in IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def check_url(url: str, *, field: str = "url") -> None:
    """Refuse a target URL that can never be delivered to (checked when it is saved)."""
    parts = urlsplit(url)
    schemes = settings().webhook_schemes
    if parts.scheme not in schemes or not parts.hostname:
        allowed = " or ".join(sorted(schemes))
        raise InvalidInput(field, f"must be an absolute {allowed} URL")


def _resolve_checked(host: str, port: int) -> str:
    allow_loopback = settings().webhook_allow_loopback
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [info[4][0] for info in infos]
    if not addresses or not all(allowed_address(str(a), allow_loopback=allow_loopback) for a in addresses):
        raise PermissionError(f"{host} resolves to an address that is not public")
    return str(addresses[0])


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to an already-checked IP while verifying the certificate for the host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = _connected(self._address, self.port)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]
        self.live_socket = self.sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = self.live_socket = _connected(self._address, self.port)


def _connected(address: str, port: int) -> socket.socket:
    sock = socket.create_connection((address, port), timeout=CONNECT_TIMEOUT_SECONDS)
    sock.settimeout(READ_TIMEOUT_SECONDS)  # the connect timeout is not the read timeout
    return sock


def post_json(url: str, body: bytes, headers: dict[str, str], *, channel: str) -> HttpResult:
    """POST once; never raises for network trouble: the result says what happened."""
    result = _post(url, body, headers)
    record = {
        "channel": channel,
        "target": url,
        "body": body.decode("utf-8", "replace"),
        "headers": headers,
        "status": result.status,
        "result": result.error or "sent",
    }
    for hook in delivery_hooks:
        hook(record)
    return result


def get(url: str) -> HttpResult:
    """GET once, under the same rules (SNS certificates and subscription confirmations)."""
    return _request("GET", url, None, {})


def _post(url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
    return _request("POST", url, body, {"Content-Type": "application/json", **headers})


def _request(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> HttpResult:
    parts = urlsplit(url)
    try:
        check_url(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = _resolve_checked(parts.hostname or "", port)
    except (PermissionError, InvalidInput) as error:
        return HttpResult(None, "", f"refused: {error}", refused=True)
    except OSError as error:
        return HttpResult(None, "", f"{type(error).__name__}: {error}")
    factory = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = factory(parts.hostname or "", address, port, READ_TIMEOUT_SECONDS)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline_passed = threading.Event()
    watchdog = threading.Timer(TOTAL_DEADLINE_SECONDS, _cut, args=(connection, deadline_passed))
    watchdog.start()
    try:
        result = _exchange(connection, method, path, body, headers)
    except (OSError, http.client.HTTPException, ValueError) as error:
        result = HttpResult(None, "", f"{type(error).__name__}: {error}")
    finally:
        watchdog.cancel()
        connection.close()
    if deadline_passed.is_set():
        return HttpResult(None, "", f"no complete answer within {TOTAL_DEADLINE_SECONDS:g} s")
    return result


def _exchange(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
) -> HttpResult:
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    raw = response.read(MAX_RESPONSE_BYTES + 1)
    if len(raw) > MAX_RESPONSE_BYTES:
        return HttpResult(response.status, "", f"response larger than {MAX_RESPONSE_BYTES} bytes refused")
    return HttpResult(response.status, raw.decode("utf-8", "replace"))


def _cut(connection: http.client.HTTPConnection, deadline_passed: threading.Event) -> None:
    """The deadline passed: break the socket under whatever read is waiting on it (the
    connection's own `sock` is gone once the response owns the socket, hence `live_socket`)."""
    deadline_passed.set()
    live = getattr(connection, "live_socket", None)
    if live is not None:
        with contextlib.suppress(OSError):
            live.shutdown(socket.SHUT_RDWR)
