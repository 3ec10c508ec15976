"""`reconcile status`: replication state per image version and region, optionally waiting for it to settle."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from reconciler.commands.common import console, load, parse_duration, run_async, shows_user_errors, target_options


@click.command()
@click.argument("paths", nargs=-1, required=True)
@target_options
@click.option("--wait", is_flag=True, help="Wait until every version has finished replicating.")
@click.option("--timeout", metavar="DURATION", help="With --wait: give up after this long, e.g. 2h.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@shows_user_errors
def status(paths: tuple[str, ...], wait: bool, timeout: str | None, as_json: bool, **target: Any) -> None:
    """Show replication state per image version and region (and wait for it with --wait)."""
    from reconciler.apply.status import collect_status
    from reconciler.render.status import render_status

    limit = parse_duration(timeout, "--timeout")
    loaded = load(paths, **target)
    out = console()

    def waiting(busy: list[str]) -> None:
        if not as_json:
            out.print(
                f"waiting for {len(busy)} version(s) still replicating: {', '.join(busy[:5])}"
                + (" ..." if len(busy) > 5 else ""),
                style="dim",
            )

    rows, settled = run_async(
        collect_status(loaded.desired, loaded.target, wait=wait, timeout=limit, on_wait=waiting),
        loaded.target,
        "reading replication status",
    )
    if as_json:
        click.echo(
            json.dumps({"target": loaded.target.info().to_json(), "versions": rows, "settled": settled}, indent=2)
        )
    else:
        render_status(rows, console(), loaded.target.info())
    failed = any(r["state"] in ("Failed", "absent") for r in rows)
    if failed or (wait and not settled):
        sys.exit(1)
