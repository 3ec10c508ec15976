"""A tiny HTTPS server that answers as a test tells it: for responses the emulator does not make.

Each request is answered by `StubArm.answer(method, path)`, which returns an `Answer` (JSON with a status
and headers), `SILENT` (read the request, never answer) or a `Trickle` (headers at once, then the body a
byte at a time). Every request is recorded with the Host it was sent to and whether it carried a bearer
token. Certificates come from the emulator's CA helper (loopback names), so `--ca-bundle` works as for
the emulator.

The emulator's response-corruption faults cover a foreign or self `nextLink`, slow bodies, silence and
"Paused" (tests use them too); the stub is for what they do not make: another port or plain http on the
same host, redirects, cycles of links, endless lists, and recording which host received a bearer token.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from reconciler.emulator.certs import ensure_certificates, server_context

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Trickle:
    """A 200 whose JSON body arrives one byte every `interval` seconds."""

    body: Any
    interval: float = 0.2


SILENT = object()


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    host: str
    bearer: bool
    body: Any


@dataclass
class StubArm:
    url: str
    ca_path: Path
    answer: Callable[[str, str], Any]
    seen: list[Seen] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)


def _handler(stub: StubArm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            return None

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            stub.seen.append(
                Seen(
                    self.command,
                    self.path,
                    self.headers.get("Host", ""),
                    (self.headers.get("Authorization") or "").lower().startswith("bearer "),
                    json.loads(raw) if raw else None,
                )
            )
            answer = stub.answer(self.command, self.path)
            if answer is SILENT:
                stub.stopping.wait()
                return
            if isinstance(answer, Trickle):
                data = json.dumps(answer.body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                for i in range(len(data)):
                    if stub.stopping.wait(answer.interval):
                        return
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                return
            data = b"" if answer.body is None else json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_PATCH = do_DELETE = do_POST = _any

    return Handler


@contextmanager
def serve_stub(directory: Path, answer: Callable[[str, str], Any], host: str = "127.0.0.1") -> Iterator[StubArm]:
    """An HTTPS stub on a free loopback port; `host` is the name its URL uses (127.0.0.1 or localhost)."""
    ca = ensure_certificates(directory)
    stub = StubArm("", ca, answer)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    server.daemon_threads = True
    context: ssl.SSLContext = server_context(directory)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    stub.url = f"https://{host}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        stub.stopping.set()
        server.shutdown()
        server.server_close()
        time.sleep(0)  # let handler threads see `stopping`


def galleries_path(group: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers/Microsoft.Compute/galleries"


MANIFEST = """\
apiVersion: gallery-reconciler/v1
scope: {subscription: 00000000-0000-0000-0000-000000000000, resourceGroup: stubrg, location: westeurope}
galleries:
  stubgallery: {}
"""
