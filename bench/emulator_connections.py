"""Fresh TLS connections in bursts: does the emulator accept them all without timeouts?

Run: python bench/emulator_connections.py [--bursts 5] [--burst 128] [--timeout 5]
Starts `reconcile emulator serve` in another process (loopback only), then opens `--burst` new TLS
connections at once (a barrier releases them together), each doing one GET /_emulator/health, `--bursts`
times. Prints per burst and in total: answered, timed out, failed, and the slowest connection.
With socketserver's default listen backlog of 5, 640 connections in bursts of 128 gave 34 timeouts.
"""

from __future__ import annotations

import argparse
import socket
import ssl
import subprocess
import sys
import threading
import time


def _start_server() -> tuple[subprocess.Popen[str], int, str]:
    cmd = [sys.executable, "-m", "reconciler", "emulator", "serve", "--data", ":memory:", "--replication-seconds", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    url = ca = ""
    for line in proc.stdout:  # type: ignore[union-attr]
        if "listening on" in line:
            url = line.rsplit(" ", 1)[-1].strip()
        if line.startswith("CA certificate"):
            ca = line.split(": ", 1)[1].strip()
        if url and ca:
            return proc, int(url.rsplit(":", 1)[1].rstrip("/")), ca
    raise SystemExit("emulator did not start")


def _one(port: int, context: ssl.SSLContext, timeout: float, barrier: threading.Barrier, out: list[object]) -> None:
    barrier.wait()
    start = time.perf_counter()
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=timeout) as plain,
            context.wrap_socket(plain, server_hostname="127.0.0.1") as tls,
        ):
            tls.sendall(b"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := tls.recv(4096):
                answer += chunk
        ok = answer.startswith(b"HTTP/1.1 200")
        out.append(time.perf_counter() - start if ok else RuntimeError(answer[:40]))
    except OSError as err:  # timeouts, refusals, TLS errors: counted by type below
        out.append(err)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument("--burst", type=int, default=128)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per connection (connect, handshake, read)")
    args = parser.parse_args()
    proc, port, ca = _start_server()
    context = ssl.create_default_context(cafile=ca)  # verification stays on
    totals = {"answered": 0, "timed out": 0, "failed": 0}
    slowest = 0.0
    try:
        for burst in range(args.bursts):
            results: list[object] = []
            barrier = threading.Barrier(args.burst)
            threads = [
                threading.Thread(target=_one, args=(port, context, args.timeout, barrier, results))
                for _ in range(args.burst)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            times = [r for r in results if isinstance(r, float)]
            timeouts = [r for r in results if isinstance(r, TimeoutError)]
            failed = len(results) - len(times) - len(timeouts)
            slowest = max([slowest, *times])
            totals["answered"] += len(times)
            totals["timed out"] += len(timeouts)
            totals["failed"] += failed
            print(
                f"burst {burst + 1}: {len(times)} answered, {len(timeouts)} timed out, {failed} failed, "
                f"slowest {max(times, default=0.0):.2f} s"
            )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(
        f"total: {args.bursts * args.burst} connections, {totals['answered']} answered, "
        f"{totals['timed out']} timed out, {totals['failed']} failed, slowest {slowest:.2f} s"
    )


if __name__ == "__main__":
    main()
