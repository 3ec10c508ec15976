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
@click.option(
    "--consumer-subscription",
    metavar="ID",
    help="Check direct shares from this subscription (one a gallery is shared with; the credentials must read it).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@shows_user_errors
def status(
    paths: tuple[str, ...],
    wait: bool,
    timeout: str | None,
    consumer_subscription: str | None,
    as_json: bool,
    **target: Any,
) -> None:
    """Show replication state per image version and region (and wait for it with --wait), and whether each
    shared gallery is visible to its consumers in every region it should be.

    \b
    Exit codes:
      0    every version replicated (or still replicating, without --wait), every
           checked share visible
      1    error, a version failed or is absent, --wait timed out, or a shared
           gallery is not visible where it should be
    """
    from reconciler.apply.sharing_status import collect_sharing
    from reconciler.apply.status import collect_status
    from reconciler.render.status import render_sharing, render_status

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
    sharing = run_async(
        collect_sharing(loaded.desired, loaded.target, consumer_subscription),
        loaded.target,
        "reading shared and community galleries",
    )
    if as_json:
        document = {"target": loaded.target.info().to_json(), "versions": rows, "settled": settled, "sharing": sharing}
        click.echo(json.dumps(document, indent=2))
    else:
        render_status(rows, console(), loaded.target.info())
        render_sharing(sharing, console())
    failed = any(r["state"] in ("Failed", "absent") for r in rows) or any(r["visible"] is False for r in sharing)
    if failed or (wait and not settled):
        sys.exit(1)
