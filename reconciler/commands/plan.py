"""`reconcile plan`: read live state, diff it against the manifests, and show or save the plan."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from reconciler.commands.common import console, fail, load, run_async, target_options


async def read_and_plan(clients: Any, loaded: Any, options: Any) -> tuple[Any, Any]:
    """Read live state with open clients and diff it against the desired state: (plan, live)."""
    from azure.core.exceptions import AzureError

    from reconciler.arm import explain_error
    from reconciler.live import read_live
    from reconciler.plan import build_plan

    try:
        live = await read_live(clients, loaded.desired)
    except AzureError as err:
        fail(explain_error(err, loaded.target, "reading live state (nothing was changed)"))
    missing = [
        g
        for g in loaded.desired.resource_groups
        if not live.resource_groups.get((g.subscription_id, g.name.lower())) and not g.create
    ]
    if missing:
        names = ", ".join(g.name for g in missing)
        fail(
            f"resource group(s) {names} do not exist in subscription {loaded.target.subscription_id}; create "
            "them, or set scope.createResourceGroup: true so the tool creates them"
        )
    plan = build_plan(loaded.desired, live, loaded.target.info(), options=options, manifest_paths=loaded.paths)
    return plan, live


async def compute_plan(loaded: Any, *, allow_replace: bool, prune: bool) -> Any:
    from reconciler.arm import ArmSession
    from reconciler.diff import DiffOptions

    async with ArmSession(loaded.target) as clients:
        return await read_and_plan(clients, loaded, DiffOptions(allow_replace=allow_replace, prune=prune))


def write_plan_file(plan: Any, out: str) -> None:
    path = Path(out)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(plan.to_json(), indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)  # atomic: a crash never leaves half a plan file
    except OSError as err:
        fail(f"cannot write the plan to {out}: {err.strerror or err}")


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
def plan(
    paths: tuple[str, ...],
    allow_replace: bool,
    prune: bool,
    as_json: bool,
    markdown: bool,
    out: str | None,
    detailed_exitcode: bool,
    show_unchanged: bool,
    **target: Any,
) -> None:
    """Show what `reconcile apply` would change, without changing anything."""
    if as_json and markdown:
        fail("--json and --markdown are exclusive; choose one output format")
    loaded = load(paths, **target)
    the_plan, _ = run_async(
        compute_plan(loaded, allow_replace=allow_replace, prune=prune), loaded.target, "reading live state"
    )
    if out:
        write_plan_file(the_plan, out)
    if as_json:
        click.echo(json.dumps(the_plan.to_json(), indent=2))
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
