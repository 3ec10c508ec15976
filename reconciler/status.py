"""Replication status of the manifests' image versions, region by region (for `reconcile status`)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from reconciler.live import read_version_status
from reconciler.plan import TargetInfo

SETTLED = ("succeeded", "failed")


async def _read_all(clients: Any, versions: list[Any]) -> list[dict[str, Any]]:
    found = await asyncio.gather(*(read_version_status(clients, v) for v in versions))
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
    loaded: Any, *, wait: bool, timeout: float | None, out: Console | None
) -> tuple[list[dict[str, Any]], bool]:
    from reconciler.arm import ArmSession

    versions = list(loaded.desired.versions)
    interval = 0.2 if loaded.target.is_emulator else 10.0
    deadline = time.monotonic() + timeout if timeout else None
    async with ArmSession(loaded.target) as clients:
        while True:
            rows = await _read_all(clients, versions)
            settled = all(r["state"].lower() in SETTLED or r["state"] == "absent" for r in rows)
            if not wait or settled or (deadline is not None and time.monotonic() > deadline):
                return rows, settled
            if out is not None:
                busy = [r["address"] for r in rows if r["state"].lower() not in SETTLED and r["state"] != "absent"]
                out.print(
                    f"waiting for {len(busy)} version(s) still replicating: {', '.join(busy[:5])}"
                    + (" ..." if len(busy) > 5 else ""),
                    style="dim",
                )
            await asyncio.sleep(interval)


def render_status(rows: list[dict[str, Any]], out: Console, target: TargetInfo) -> None:
    out.print(f"Target: {target.name}  (subscription {target.subscription_id})", style="bold")
    table = Table(show_header=True, header_style="bold")
    for col in ("version", "state", "region", "replication", "progress"):
        table.add_column(col)
    for row in rows:
        if not row["regions"]:
            table.add_row(row["address"], row["state"], "", row["aggregated"] or "", "")
        for i, region in enumerate(row["regions"]):
            table.add_row(
                row["address"] if i == 0 else "",
                row["state"] if i == 0 else "",
                region["region"],
                region["state"],
                f"{region['progress']}%",
            )
    out.print(table)
