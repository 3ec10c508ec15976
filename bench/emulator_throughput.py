"""Throughput of the emulator: sequential GETs from one client over HTTPS against a server in another process.

Run: python bench/emulator_throughput.py [--requests 3000] [--fill 5000]
Prints requests/s, p50/p99 latency for a raw keep-alive requests.Session and for the azure-mgmt-compute
client, and the server's resident memory.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

RG = "myGalleryRG"


def _start_server() -> tuple[subprocess.Popen[str], str, str]:
    cmd = [sys.executable, "-m", "reconciler", "emulator", "serve", "--data", ":memory:", "--replication-seconds", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    url = ca = ""
    for line in proc.stdout:  # type: ignore[union-attr]
        if "listening on" in line:
            url = line.rsplit(" ", 1)[-1].strip()
        if line.startswith("CA certificate"):
            ca = line.split(": ", 1)[1].strip()
        if url and ca:
            return proc, url, ca
    raise SystemExit("emulator did not start")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _measure(name: str, call: Callable[[], object], n: int) -> float:
    for _ in range(50):  # warm-up: connection, TLS session, code paths
        call()
    times = []
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    times.sort()
    rate = n / elapsed
    p50, p99 = statistics.median(times) * 1000, times[int(len(times) * 0.99) - 1] * 1000
    print(f"{name:<34} {rate:8.0f} req/s   p50 {p50:5.2f} ms   p99 {p99:5.2f} ms   ({n} GETs)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--fill", type=int, default=0, help="galleries to create first, to show reads stay O(1)")
    args = parser.parse_args()

    import requests

    from reconciler.emulator.testing import EmulatorCredential, make_compute_client

    proc, url, ca = _start_server()
    try:
        token = EmulatorCredential().get_token("https://management.azure.com/.default").token

        class _Srv:
            ca_path = Path(ca)
            default_subscription = "00000000-0000-0000-0000-000000000000"

        srv = _Srv()
        srv.url = url  # type: ignore[attr-defined]
        client = make_compute_client(srv)  # type: ignore[arg-type]
        client.galleries.begin_create_or_update(RG, "benchGallery", {"location": "eastus"}).result()
        galleries = (
            f"{url}/subscriptions/{srv.default_subscription}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries"
        )
        path = f"{galleries}/benchGallery"
        session = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        for i in range(args.fill):  # a bigger store must not slow point reads down
            body = {"location": "eastus"}
            session.put(
                f"{galleries}/fill{i}", params={"api-version": "2024-03-03"}, json=body, headers=headers, verify=ca
            )

        def raw_get() -> object:
            resp = session.get(path, params={"api-version": "2024-03-03"}, headers=headers, verify=ca)
            assert resp.status_code == 200
            return resp

        print(f"server pid {proc.pid}, {url}")
        raw_rate = _measure("raw requests.Session (keep-alive)", raw_get, args.requests)
        sdk_rate = _measure(
            "ComputeManagementClient.galleries.get", lambda: client.galleries.get(RG, "benchGallery"), args.requests
        )
        print(f"server RSS {_rss_mb(proc.pid):.1f} MB")
        ok = raw_rate >= 1000
        verdict = "met" if ok else "NOT met"
        print(f"target >= 1000 GETs/s from one client: {verdict} (raw {raw_rate:.0f}, sdk {sdk_rate:.0f})")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
