"""`reconcile plan`: read live state, diff it against the manifests, and show or save the plan."""

from __future__ import annotations

import os
import shlex
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

NO_CHANGES, CHANGES, ONLY_BLOCKED = 0, 2, 3
"""`--detailed-exitcode`: no changes; changes apply would make; changes, but every one needs an opt-in."""

TARGET_FLAGS = (
    ("target", "--target"),
    ("endpoint", "--endpoint"),
    ("ca_bundle", "--ca-bundle"),
    ("subscription", "--subscription"),
    ("cloud", "--cloud"),
    ("state_dir", "--state-dir"),
)


async def compute_plan(loaded: Any, **opt_ins: bool) -> Any:
    """The plan; `opt_ins` are DiffOptions' (allow_replace, prune, allow_community, bypass_soft_delete)."""
    from reconciler.azure.live_plan import plan_live
    from reconciler.azure.session import ArmSession
    from reconciler.core.diff import DiffOptions

    options = DiffOptions(**opt_ins)
    async with ArmSession(loaded.target) as clients:
        return await plan_live(clients, loaded.desired, loaded.target, options, loaded.paths)


@click.command()
@click.argument("paths", nargs=-1, required=True)
@target_options
@click.option("--allow-replace", is_flag=True, help="Allow replacements (delete and recreate) in this plan.")
@click.option("--prune", is_flag=True, help="Allow deleting owned resources that the manifests no longer mention.")
@click.option(
    "--allow-community",
    is_flag=True,
    help="Allow enabling community sharing (public to every Azure user; the public name cannot be taken back).",
)
@click.option(
    "--bypass-soft-delete",
    is_flag=True,
    help="Delete image versions permanently even where the gallery's soft delete would keep them restorable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (schemas/plan.schema.json).")
@click.option("--markdown", is_flag=True, help="Print the plan as Markdown (pull-request comments, CI summaries).")
@click.option("--out", metavar="FILE", help="Save the plan for `reconcile apply FILE`.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there are no changes, 2 when apply would change something, 3 when every change is "
    "blocked (needs an opt-in such as --allow-replace or --prune, or waits on Azure), 1 on error.",
)
@click.option("--show-unchanged", is_flag=True, help="List resources without changes too.")
@click.option("--timeout", metavar="DURATION", help="Overall limit, e.g. 10m; the requests still unanswered are named.")
@shows_user_errors
def plan(
    paths: tuple[str, ...],
    allow_replace: bool,
    prune: bool,
    allow_community: bool,
    bypass_soft_delete: bool,
    as_json: bool,
    markdown: bool,
    out: str | None,
    detailed_exitcode: bool,
    show_unchanged: bool,
    timeout: str | None,
    **target: Any,
) -> None:
    """Show what `reconcile apply` would change, without changing anything.

    \b
    Exit codes:
      0    the plan was made (with --detailed-exitcode: and there are no changes)
      1    error, including a usage error (a wrong or missing argument or flag)
      2    with --detailed-exitcode: apply would change something
      3    with --detailed-exitcode: there are changes, but every one is blocked
           (until you opt in: --allow-replace, --prune, --allow-community,
           --bypass-soft-delete; or by Azure, e.g. an end-of-life date not reached),
           so apply would change nothing
      130  interrupted
    """
    if as_json and markdown:
        fail("--json and --markdown are exclusive; choose one output format")
    limit = parse_duration(timeout, "--timeout")
    loaded = load(paths, **target)
    the_plan, _ = run_async(
        compute_plan(
            loaded,
            allow_replace=allow_replace,
            prune=prune,
            allow_community=allow_community,
            bypass_soft_delete=bypass_soft_delete,
        ),
        loaded.target,
        "reading live state",
        limit,
    )
    if out:
        from reconciler.apply.saved_plan import write_plan_file

        write_plan_file(the_plan, out)
        hint = f"Saved the plan to {out}. Apply exactly this plan with: {apply_command(out, target, loaded)}"
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
        # With --json or --markdown stdout is the document: the hint goes to stderr.
        click.echo(("\n" if not (as_json or markdown) else "") + hint, err=as_json or markdown)
    if the_plan.refused:
        fail(
            f"the plan has {len(the_plan.refused)} problem(s) Azure would refuse (listed above with the manifest "
            "line of each); fix them: apply writes nothing while they stand"
        )
    if detailed_exitcode:
        sys.exit(detailed_exit_code(the_plan))


def detailed_exit_code(the_plan: Any) -> int:
    """0 no changes, 2 changes apply would make, 3 changes that are all blocked (see --detailed-exitcode)."""
    if the_plan.actionable():
        return CHANGES
    return ONLY_BLOCKED if the_plan.has_changes else NO_CHANGES


def apply_command(out: str, target: dict[str, Any], loaded: Any) -> str:
    """`reconcile apply FILE` with the target flags this plan was made with, so the apply finds the same target.

    Flags given on the command line are repeated; a target chosen through RECONCILE_TARGET or
    AZURE_SUBSCRIPTION_ID is written as the flag, since the apply may run where those are not set.
    """
    ctx = click.get_current_context()
    words = ["reconcile", "apply", out]
    for name, flag in TARGET_FLAGS:
        given = ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
        value = target.get(name)
        if not given:
            if name == "target" and os.environ.get("RECONCILE_TARGET") and loaded.target.kind in ("local", "azure"):
                value = loaded.target.kind
            elif name == "subscription" and loaded.target.subscription_id == os.environ.get("AZURE_SUBSCRIPTION_ID"):
                value = loaded.target.subscription_id
            else:
                continue
        words += [flag, str(value)]
    return shlex.join(words)
