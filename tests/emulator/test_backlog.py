"""The listen backlog holds a burst of connections (bench/emulator_connections.py measures 640 in bursts of 128)."""

from __future__ import annotations

import contextlib
import socket
import time

from reconciler.emulator.server import _TLSServer

BURST = 128


def test_a_burst_of_128_connections_waits_in_the_backlog_instead_of_being_dropped() -> None:
    # A listening server that is not accepting yet: every connection must wait in the backlog. With
    # socketserver's default of 5, only 6 complete; the others are dropped and retried seconds later.
    server = _TLSServer(("127.0.0.1", 0), ctx=None, app=None)  # type: ignore[arg-type]
    clients: list[socket.socket] = []
    try:
        port = server.server_address[1]
        for _ in range(BURST):
            client = socket.socket()
            client.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                client.connect(("127.0.0.1", port))
            clients.append(client)
        server.socket.setblocking(False)
        accepted = 0
        deadline = time.monotonic() + 20  # a bound for a loaded host, not a measurement
        while accepted < BURST and time.monotonic() < deadline:
            try:
                connection, _ = server.socket.accept()
            except BlockingIOError:
                time.sleep(0.01)
                continue
            connection.close()
            accepted += 1
        assert accepted == BURST
    finally:
        for client in clients:
            client.close()
        server.server_close()
