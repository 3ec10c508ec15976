"""The HTTPS server: stdlib ThreadingHTTPServer + ssl, HTTP/1.1 keep-alive, TCP_NODELAY, one write per response."""

from __future__ import annotations

import contextlib
import email.utils
import ipaddress
import logging
import socket
import ssl
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from . import corruption
from . import seed as seeding
from .app import App
from .backend import DEFAULT_SUBSCRIPTION, Backend, Config
from .certs import ensure_certificates, server_context
from .common import Request, Response
from .store import Store

log = logging.getLogger(__name__)
DEMO_SEED = Path(__file__).parent / "data" / "demo-seed.yaml"
STATE_FILE = "state.sqlite"


def _parse_query(raw: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in raw.split("&"):
        if part:
            key, _, value = part.partition("=")
            # ARM treats query parameter names case-insensitively
            out[unquote(key.replace("+", " ")).lower()] = unquote(value.replace("+", " "))
    return out


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    server: _TLSServer

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.client_address[0], *args)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(
            method=self.command,
            path=unquote(parts.path) if "%" in parts.path else parts.path,
            query=_parse_query(parts.query),
            headers=headers,
            raw_body=raw_body,
            client_ip=self.client_address[0],
            host=headers.get("host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}",
        )
        try:
            resp = self.server.app.handle(req)
        except Exception:
            log.exception("emulator handler failed for %s %s", self.command, self.path)
            resp = Response(500, {"error": {"code": "InternalServerError", "message": "Emulator internal error."}})
        if resp.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        admin = req.path.startswith("/_emulator")
        rules = [] if admin else self.server.app.backend.faults.corruptions(self.command, req.path)
        self._send(corruption.render(resp.status, resp.body, resp.headers, rules, f"https://{req.host}{self.path}"))

    def _send(self, wire: corruption.Wire) -> None:
        if wire.hold is not None:
            self._hold(wire.hold)
            return
        lines = [
            f"HTTP/1.1 {wire.status} {wire.reason}",
            f"Date: {email.utils.formatdate(usegmt=True)}",
            f"Server: {self.server_version}",
        ]
        if wire.arm_headers:
            rid = str(uuid.uuid4())
            lines += ["Cache-Control: no-cache", f"x-ms-request-id: {rid}", f"x-ms-correlation-request-id: {rid}"]
        if wire.body and wire.content_type:
            lines.append(f"Content-Type: {wire.content_type}")
        lines.append(f"Content-Length: {len(wire.body) if wire.declared_length is None else wire.declared_length}")
        lines += [f"{k}: {v}" for k, v in wire.headers.items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        body = b"" if self.command == "HEAD" else wire.body
        if wire.byte_delay:
            if not wire.slow_head:
                self.wfile.write(head)
            self._trickle((head if wire.slow_head else b"") + body, wire.byte_delay)
        else:
            # One write per response: with Nagle off, a split header/body write costs a round trip.
            self.wfile.write(head + body)
        if wire.declared_length is not None and wire.declared_length != len(body):
            self.close_connection = True  # the announced length is never reached: end the connection
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    def _trickle(self, data: bytes, delay: float) -> None:
        """Send `data` one byte at a time, `delay` seconds apart, until done, the client leaves or we stop."""
        for index in range(len(data)):
            if index and self.server.stopping.wait(delay):
                self.close_connection = True
                return
            self.wfile.write(data[index : index + 1])

    def _hold(self, seconds: float) -> None:
        """Answer nothing: keep the connection open until the client closes it, we stop, or `seconds` pass."""
        self.close_connection = True
        deadline = time.monotonic() + seconds
        self.connection.settimeout(0.2)
        while not self.server.stopping.is_set() and time.monotonic() < deadline:
            try:
                if not self.connection.recv(1024):
                    return  # the client gave up
            except TimeoutError:
                continue
            except OSError:
                return

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST = do_HEAD = _serve


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # listen() backlog: socketserver's default of 5 drops connection attempts when clients open many
    # connections at once (640 fresh TLS connections in bursts of 128 gave 34 timeouts); the kernel
    # caps it at net.core.somaxconn.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], ctx: ssl.SSLContext, app: App) -> None:
        host = address[0]
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.ssl_ctx = ctx
        self.app = app
        self.connections: set[ssl.SSLSocket] = set()
        self._conn_lock = threading.Lock()
        self.stopping = threading.Event()
        """Set when the server stops: slow and silent answers end then."""

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs here, in the connection's own thread, so a slow client cannot stall accept().
        try:
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with self._conn_lock:
            self.connections.add(tls)
        try:
            _Handler(tls, client_address, self)
        except (ssl.SSLError, OSError):
            pass
        finally:
            with self._conn_lock:
                self.connections.discard(tls)
            with contextlib.suppress(OSError):
                tls.close()

    def close_connections(self) -> None:
        self.stopping.set()
        with self._conn_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection error from %s", client_address, exc_info=True)


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class EmulatorServer:
    """A local Azure Compute Gallery emulator over HTTPS; `start()` serves it from a daemon thread.

    :param data: directory for state.sqlite and the certificates; None or ":memory:" keeps state in memory
        and certificates in a temporary directory.
    :param replication_seconds: simulated replication time per target region of an image version.
    :param retry_after: integer seconds sent as Retry-After on LRO responses; 0 omits the header.
    :param delete_consistency_seconds: after a child delete, the parent's DELETE answers 409 for this long.
    :param seed: a seed document (path) applied at every start.
    :param allow_remote: permit a non-loopback bind address (the emulator accepts any token).
    """

    def __init__(
        self,
        data: Path | str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        replication_seconds: float = 0.0,
        page_size: int = 100,
        latency_ms: int = 0,
        retry_after: int = 1,
        delete_consistency_seconds: float = 0.0,
        seed: Path | str | None = None,
        allow_remote: bool = False,
    ) -> None:
        if not allow_remote and not _is_loopback_host(host):
            raise ValueError(
                f"refusing to bind {host}: the emulator accepts any bearer token, so it binds loopback only "
                "unless allow_remote is set"
            )
        if page_size < 1 or retry_after < 0 or latency_ms < 0 or replication_seconds < 0:
            raise ValueError("page_size must be >= 1 and retry_after, latency_ms, replication_seconds >= 0")
        self.data = None if data in (None, ":memory:") else Path(data)  # type: ignore[arg-type]
        self.host = host
        self.port = port
        self.config = Config(
            float(replication_seconds),
            int(page_size),
            int(latency_ms),
            int(retry_after),
            float(delete_consistency_seconds),
        )
        self.seed = Path(seed) if seed else None
        self.default_subscription = DEFAULT_SUBSCRIPTION
        self.fresh = False
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._server: _TLSServer | None = None
        self._thread: threading.Thread | None = None
        self.backend: Backend | None = None
        self.ca_path: Path = Path()

    def start(self) -> EmulatorServer:
        cert_dir = self.data
        if cert_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="acg-emulator-")
            cert_dir = Path(self._tmp.name)
        extra = () if _is_loopback_host(self.host) or self.host in ("0.0.0.0", "::") else (self.host,)
        self.ca_path = ensure_certificates(cert_dir, extra)
        state = None if self.data is None else self.data / STATE_FILE
        self.fresh = state is None or not state.exists()
        self.backend = Backend(Store(state), self.config)
        if self.seed is not None:
            seeding.apply(self.backend, seeding.load_file(self.seed))
        self._server = _TLSServer((self.host, self.port), server_context(cert_dir), App(self.backend))
        self.port = self._server.server_address[1]
        # a short poll interval keeps stop() fast (the default 0.5 s dominates a test's runtime)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=f"emulator:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"https://[{host}]:{self.port}" if ":" in host else f"https://{host}:{self.port}"

    def apply_seed(self, document: dict[str, Any]) -> list[str]:
        """Create what a seed document lists (subscriptions, resource groups, sources); idempotent."""
        return seeding.apply(self.backend, document)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.backend is not None:
            self.backend.store.close()
            self.backend = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
