"""Durable state: restarts, certificate reuse, a killed process, and 32 concurrent clients."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from reconciler.emulator import DEMO_SEED, EmulatorServer
from reconciler.emulator.testing import admin, make_compute_client

from .conftest import RG, Raw, gallery_path, image_body, version_body


def test_restart_keeps_state_and_certificates(tmp_path: Path) -> None:
    with EmulatorServer(data=tmp_path, seed=DEMO_SEED, retry_after=0) as first:
        client = make_compute_client(first)
        client.galleries.begin_create_or_update(RG, "keep", {"location": "eastus"}).result()
        client.gallery_images.begin_create_or_update(RG, "keep", "img", image_body()).result()
        admin(first).config(replication_seconds=0.4)
        client.gallery_image_versions.begin_create_or_update(RG, "keep", "img", "1.0.0", version_body())
        ca_before = first.ca_path.read_bytes()
    for name in ("state.sqlite", "ca.pem", "ca-key.pem", "server.pem", "server-key.pem"):
        assert (tmp_path / name).exists(), name
    with EmulatorServer(data=tmp_path, retry_after=0) as second:
        assert second.ca_path.read_bytes() == ca_before
        client = make_compute_client(second)
        assert client.galleries.get(RG, "keep").name == "keep"
        assert client.gallery_images.get(RG, "keep", "img").os_type == "Linux"
        # replication resumes from stored timestamps, not from the restart
        deadline = time.time() + 3
        while client.gallery_image_versions.get(RG, "keep", "img", "1.0.0").provisioning_state != "Succeeded":
            assert time.time() < deadline
            time.sleep(0.05)


_CHILD = """
import sys, time
from reconciler.emulator import EmulatorServer, DEMO_SEED
srv = EmulatorServer(data=sys.argv[1], seed=DEMO_SEED).start()
print(srv.url, flush=True)
time.sleep(600)
"""


def test_killed_process_loses_no_acknowledged_write(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()  # type: ignore[union-attr]
        assert url.startswith("https://127.0.0.1:")

        class _Remote:
            ca_path = tmp_path / "ca.pem"

        remote = _Remote()
        remote.url = url  # type: ignore[attr-defined]
        raw = Raw(remote)  # type: ignore[arg-type]
        for i in range(5):
            assert raw("PUT", gallery_path(f"acked{i}"), {"location": "eastus"}).status_code == 201
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    with EmulatorServer(data=tmp_path) as again:
        names = sorted(g.name for g in make_compute_client(again).galleries.list())
    assert names == [f"acked{i}" for i in range(5)]


def test_32_concurrent_clients(tmp_path: Path) -> None:
    with EmulatorServer(data=tmp_path, seed=DEMO_SEED, retry_after=0) as srv:
        setup = make_compute_client(srv)
        setup.galleries.begin_create_or_update(RG, "busy", {"location": "eastus"}).result()

        def worker(i: int) -> int:
            client = make_compute_client(srv)
            ident = {"publisher": "p", "offer": "o", "sku": f"sku{i}"}
            client.gallery_images.begin_create_or_update(RG, "busy", f"img{i}", image_body(identifier=ident)).result()
            client.gallery_image_versions.begin_create_or_update(
                RG, "busy", f"img{i}", "1.0.0", version_body()
            ).result()
            seen = 0
            for _ in range(10):
                seen = len(list(client.gallery_images.list_by_gallery(RG, "busy")))
                client.gallery_image_versions.get(RG, "busy", f"img{i}", "1.0.0")
            return seen

        with ThreadPoolExecutor(max_workers=32) as pool:
            results = list(pool.map(worker, range(32)))
        assert max(results) == 32
        assert len(list(setup.gallery_images.list_by_gallery(RG, "busy"))) == 32
        assert admin(srv).requests()["byOperation"]["GalleryImageVersions_CreateOrUpdate"] == 32
    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = db.execute("SELECT COUNT(*) FROM resources WHERE kind = 'galleryImageVersion'").fetchone()[0]
    assert count == 32


def test_in_memory_default(emu: Any) -> None:
    assert emu.data is None and emu.ca_path.exists()
    assert emu.url.startswith("https://127.0.0.1:")


def test_start_embedded_seeds_only_a_fresh_state_dir(tmp_path: Path) -> None:
    from reconciler.emulator import start_embedded

    srv = start_embedded(state_dir=tmp_path, replication_seconds=0)
    try:
        assert (tmp_path / "emulator" / "state.sqlite").exists()
        raw = Raw(srv)
        vm = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myGalleryRG"
        assert raw("GET", vm + "/providers/Microsoft.Compute/virtualMachines/myVM", api="2024-07-01").status_code == 200
        raw("DELETE", vm + "/providers/Microsoft.Compute/virtualMachines/myVM", api="2024-07-01")
    finally:
        srv.stop()
    again = start_embedded(state_dir=tmp_path, replication_seconds=0)
    try:  # not re-seeded: the user's deletion stands
        assert (
            Raw(again)("GET", vm + "/providers/Microsoft.Compute/virtualMachines/myVM", api="2024-07-01").status_code
            == 404
        )
    finally:
        again.stop()
