"""`reconcile status` for people: one table row per version and region."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from reconciler.core.target_info import TargetInfo


def render_status(rows: list[dict[str, Any]], out: Console, target: TargetInfo) -> None:
    """The target line, then the table."""
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


def render_sharing(rows: list[dict[str, Any]], out: Console) -> None:
    """Shared galleries as their consumers see them: one row per gallery and region (nothing when none is shared)."""
    if not rows:
        return
    table = Table(show_header=True, header_style="bold", title="Sharing, seen by consumers")
    for col in ("gallery", "permissions", "region", "consumer", "visible", "detail"):
        table.add_column(col)
    for row in rows:
        visible = {True: "yes", False: "NO", None: "-"}[row["visible"]]
        table.add_row(row["gallery"], row["permissions"], row["region"] or "", row["consumer"], visible, row["detail"])
    out.print(table)
