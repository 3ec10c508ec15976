"""Replication status of the manifests' image versions, region by region (for `reconcile status`)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from reconciler.azure.reads import read_version

SETTLED = ("succeeded", "failed")


async def _read_all(clients: Any, versions: list[Any]) -> list[dict[str, Any]]:
    found = await asyncio.gather(*(read_version(clients, v) for v in versions))
    rows = []
    for version, live in zip(versions, found, strict=True):
        if live is None:
            rows.append({"address": version.address, "state": "absent", "aggregated": None, "regions": []})
            continue
        rows.append(
            {
                "address": version.address,
                "state": live.info.provisioning_state or "Unknown",
                "aggregated": live.info.replication_state,
                "regions": [
                    {"region": r.region, "state": r.state, "progress": r.progress, "details": r.details}
                    for r in live.info.replication
                ],
            }
        )
    return rows


async def collect_status(
    desired: Any, target: Any, *, wait: bool, timeout: float | None, on_wait: Any = None
) -> tuple[list[dict[str, Any]], bool]:
    """(one row per version, whether all settled); with `wait`, polls until settled or `timeout` seconds.

    `on_wait(busy_addresses)` is called before each wait.
    """
    from reconciler.azure.session import ArmSession

    versions = list(desired.versions)
    interval = 0.2 if target.is_emulator else 10.0
    deadline = time.monotonic() + timeout if timeout else None
    async with ArmSession(target) as clients:
        while True:
            rows = await _read_all(clients, versions)
            settled = all(r["state"].lower() in SETTLED or r["state"] == "absent" for r in rows)
            if not wait or settled or (deadline is not None and time.monotonic() > deadline):
                return rows, settled
            if on_wait is not None:
                on_wait([r["address"] for r in rows if r["state"].lower() not in SETTLED and r["state"] != "absent"])
            await asyncio.sleep(interval)
