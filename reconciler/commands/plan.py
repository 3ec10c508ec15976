"""`reconcile plan`: read live state, diff it against the manifests, and show or save the plan."""

from __future__ import annotations

import sys
from typing import Any

import click

from reconciler.commands.common import (
    console,
    fail,
    load,
    parse_duration,
    run_async,
    shows_user_errors,
    target_options,
)


async def compute_plan(loaded: Any, *, allow_replace: bool, prune: bool) -> Any:
    from reconciler.azure.live_plan import plan_live
    from reconciler.azure.session import ArmSession
    from reconciler.core.diff import DiffOptions

    options = DiffOptions(allow_replace=allow_replace, prune=prune)
    async with ArmSession(loaded.target) as clients:
        return await plan_live(clients, loaded.desired, loaded.target, options, loaded.paths)


@click.command()
@click.argument("paths", nargs=-1, required=True)
@target_options
@click.option("--allow-replace", is_flag=True, help="Allow replacements (delete and recreate) in this plan.")
@click.option("--prune", is_flag=True, help="Allow deleting owned resources that the manifests no longer mention.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (schemas/plan.schema.json).")
@click.option("--markdown", is_flag=True, help="Print the plan as Markdown (pull-request comments, CI summaries).")
@click.option("--out", metavar="FILE", help="Save the plan for `reconcile apply FILE`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes, 0 when none, 1 on error.")
@click.option("--show-unchanged", is_flag=True, help="List resources without changes too.")
@click.option("--timeout", metavar="DURATION", help="Overall limit, e.g. 10m; the requests still unanswered are named.")
@shows_user_errors
def plan(
    paths: tuple[str, ...],
    allow_replace: bool,
    prune: bool,
    as_json: bool,
    markdown: bool,
    out: str | None,
    detailed_exitcode: bool,
    show_unchanged: bool,
    timeout: str | None,
    **target: Any,
) -> None:
    """Show what `reconcile apply` would change, without changing anything."""
    if as_json and markdown:
        fail("--json and --markdown are exclusive; choose one output format")
    limit = parse_duration(timeout, "--timeout")
    loaded = load(paths, **target)
    the_plan, _ = run_async(
        compute_plan(loaded, allow_replace=allow_replace, prune=prune), loaded.target, "reading live state", limit
    )
    if out:
        from reconciler.apply.saved_plan import write_plan_file

        write_plan_file(the_plan, out)
    if as_json:
        from reconciler.render.plan_json import render_plan_json

        click.echo(render_plan_json(the_plan))
    elif markdown:
        from reconciler.render.markdown import render_markdown

        click.echo(render_markdown(the_plan), nl=False)
    else:
        from reconciler.render.text import render_plan

        render_plan(the_plan, console(), show_noop=show_unchanged)
        if out:
            click.echo(f"\nSaved the plan to {out}. Apply exactly this plan with: reconcile apply {out}")
    if detailed_exitcode and the_plan.has_changes:
        sys.exit(2)
