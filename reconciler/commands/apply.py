"""`reconcile apply`: converge the target to the manifests, or run a saved plan exactly."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.commands.common import (
    Loaded,
    console,
    fail,
    load,
    parse_duration,
    run_async,
    shows_user_errors,
    target_options,
)

if TYPE_CHECKING:
    from rich.console import Console

    from reconciler.apply.executor import ExecOptions
    from reconciler.core.diff import DiffOptions
    from reconciler.core.plan import Plan


@dataclass(frozen=True)
class ApplyRequest:
    diff_options: DiffOptions
    """Ignored for a saved plan, which carries its own."""
    exec_options: ExecOptions
    timeout: float | None
    auto_approve: bool
    journal: str
    as_json: bool


async def _apply(loaded: Loaded, request: ApplyRequest, saved: Plan | None, out: Console) -> tuple[Plan, list]:
    from reconciler.apply.executor import Executor
    from reconciler.apply.journal import Journal
    from reconciler.apply.saved_plan import stale_reasons
    from reconciler.azure.live_plan import plan_live
    from reconciler.azure.session import ArmSession
    from reconciler.core.steps import build_steps
    from reconciler.render.progress import LiveEvents, LogEvents, QuietEvents
    from reconciler.render.text import render_plan

    async with ArmSession(loaded.target) as clients:
        options = saved.options if saved else request.diff_options
        plan, live = await plan_live(clients, loaded.desired, loaded.target, options, loaded.paths)
        if saved is not None:
            reasons = stale_reasons(saved, plan)
            if reasons:
                fail(
                    "the saved plan is stale, so nothing was changed:\n  - "
                    + "\n  - ".join(reasons)
                    + "\nRun `reconcile plan --out FILE` again and review the new plan."
                )
        if not request.as_json:
            render_plan(plan, out)
        if plan.refused:
            fail(
                f"the plan has {len(plan.refused)} problem(s) Azure would refuse, so nothing was changed:\n  - "
                + "\n  - ".join(str(p) for p in plan.refused)
            )
        steps = build_steps(list(plan.changes), loaded.desired, live, plan.options)
        if not steps:
            return plan, []
        if saved is None and not request.auto_approve:
            _confirm()
        journal = Journal(Path(request.journal), plan.target.to_json()) if request.journal else None
        if request.as_json:
            events: QuietEvents | LiveEvents | LogEvents = QuietEvents()
        elif out.is_terminal:
            events = LiveEvents(out, steps)
        else:
            events = LogEvents(out)
        if not request.as_json:
            out.print()
        with events:
            executor = Executor(clients, loaded.desired, live, events, request.exec_options, journal)
            results = await executor.run(steps, request.timeout)
        return plan, results


def _confirm() -> None:
    if not sys.stdin.isatty():
        fail(
            "apply needs confirmation, but there is no terminal to ask on; review the plan and pass "
            "--auto-approve (CD), or apply a saved plan file"
        )
    answer = click.prompt("\nApply these changes? Only 'yes' is accepted", default="", show_default=False)
    if answer.strip() != "yes":
        fail("apply cancelled; nothing was changed")


@click.command()
@click.argument("paths", nargs=-1, required=True)
@target_options
@click.option("--allow-replace", is_flag=True, help="Allow replacements (delete and recreate).")
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
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (CD).")
@click.option(
    "--parallelism",
    default=10,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Operations in flight at once (ARM write budgets are small: keep it modest).",
)
@click.option(
    "--no-wait",
    is_flag=True,
    help="Return once Azure accepted each image version request; follow replication with `reconcile status --wait`.",
)
@click.option("--timeout", metavar="DURATION", help="Overall limit, e.g. 2h; what still runs is named.")
@click.option("--operation-timeout", metavar="DURATION", help="Limit for each operation, e.g. 90m.")
@click.option(
    "--journal",
    default=".reconcile/journal.jsonl",
    show_default=True,
    metavar="FILE",
    help="Append-only audit journal (JSON lines); empty string disables it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable result instead of progress.")
@shows_user_errors
def apply(
    paths: tuple[str, ...],
    allow_replace: bool,
    prune: bool,
    allow_community: bool,
    bypass_soft_delete: bool,
    auto_approve: bool,
    parallelism: int,
    no_wait: bool,
    timeout: str | None,
    operation_timeout: str | None,
    journal: str,
    as_json: bool,
    **target: Any,
) -> None:
    """Converge the target to the manifests, or execute a saved plan (`reconcile apply plan.json`).

    A saved plan is applied to the target it was made for: pass the same target flags as the plan (the
    hint `reconcile plan --out` prints has them). If anything it touches changed since, nothing is done.

    \b
    Exit codes:
      0    every step succeeded, or there was nothing to do (changes that need an
           opt-in are listed and left alone)
      1    error: a usage error, a stale saved plan, or any step that failed, was
           skipped or timed out
      130  interrupted
    """
    from reconciler.apply.executor import ExecOptions, summarise
    from reconciler.apply.saved_plan import read_saved_plan
    from reconciler.core.diff import DiffOptions

    saved = read_saved_plan(paths)
    if saved is not None:
        if allow_replace or prune or allow_community or bypass_soft_delete:
            fail(
                "--allow-replace, --prune, --allow-community and --bypass-soft-delete belong to `reconcile plan` "
                "when applying a saved plan; the plan file carries the options it was made with"
            )
        paths = saved.manifest_paths
    loaded = load(paths, **target)
    request = ApplyRequest(
        diff_options=DiffOptions(
            allow_replace=allow_replace,
            prune=prune,
            allow_community=allow_community,
            bypass_soft_delete=bypass_soft_delete,
        ),
        exec_options=ExecOptions(
            parallelism=parallelism,
            wait=not no_wait,
            operation_timeout=parse_duration(operation_timeout, "--operation-timeout"),
            # Progress reads cost ARM read budget (25/s per subscription): every 15 s per running version in Azure.
            progress_interval=0.2 if loaded.target.is_emulator else 15.0,
        ),
        timeout=parse_duration(timeout, "--timeout"),
        auto_approve=auto_approve,
        journal=journal,
        as_json=as_json,
    )
    out = console()
    plan, results = run_async(_apply(loaded, request, saved, out), loaded.target, "apply")
    counts = summarise(results)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "target": plan.target.to_json(),
                    "plan": plan.summary(),
                    "results": [r.to_json() for r in results],
                    "summary": counts,
                },
                indent=2,
            )
        )
    else:
        _print_summary(out, plan, results, counts)
    if counts["failed"] or counts["skipped"] or counts["timed-out"]:
        sys.exit(1)


def _print_summary(out: Any, plan: Any, results: list[Any], counts: dict[str, int]) -> None:
    if not results:
        out.print("\nNothing to do.", style="bold green")
    else:
        out.print()
        for r in results:
            if not r.ok:
                out.print(f"  {r.status.value}: {r.step.label}: {r.message}", style="red")
        out.print(
            f"Apply: {counts['succeeded']} succeeded, {counts['accepted']} accepted (still replicating), "
            f"{counts['failed']} failed, {counts['skipped']} skipped, {counts['timed-out']} timed out.",
            style="bold red" if counts["failed"] or counts["timed-out"] or counts["skipped"] else "bold green",
        )
    blocked = plan.blocked()
    if blocked:
        out.print(
            f"{len(blocked)} change(s) were not applied because they need an opt-in (see 'blocked' above).",
            style="yellow",
        )
