"""`reconcile apply` (converge, or run a saved plan exactly) and `reconcile status` (replication per region)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.commands.common import Loaded, console, fail, load, run_async, target_options
from reconciler.commands.plan import read_and_plan

if TYPE_CHECKING:
    from rich.console import Console

    from reconciler.diff import DiffOptions
    from reconciler.executor import ExecOptions
    from reconciler.plan import Plan


def parse_duration(text: str | None, flag: str) -> float | None:
    """'90', '90s', '15m', '2h' -> seconds."""
    if text is None:
        return None
    units = {"s": 1, "m": 60, "h": 3600}
    raw = text.strip().lower()
    scale = units.get(raw[-1:])
    number = raw[:-1] if scale else raw
    try:
        value = float(number) * (scale or 1)
    except ValueError:
        fail(f"{flag} {text!r} is not a duration; write e.g. 90s, 15m or 2h")
    if value <= 0:
        fail(f"{flag} must be positive")
    return value


def _saved_plan(paths: tuple[str, ...]) -> Plan | None:
    """The saved plan when the only argument is a plan file (`reconcile plan --out`); None for manifests."""
    from reconciler.plan import Plan

    if len(paths) != 1 or not paths[0].endswith(".json") or not Path(paths[0]).is_file():
        return None
    path = paths[0]
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None  # not a plan: the manifest loader reports what is wrong with it
    if not isinstance(data, dict) or "formatVersion" not in data:
        return None  # a manifest written as JSON
    try:
        return Plan.from_json(data)
    except (ValueError, KeyError, TypeError) as err:
        fail(f"{path} is not a plan saved by `reconcile plan --out` ({err})")


def stale_reasons(saved: Plan, fresh: Plan) -> list[str]:
    """Why a saved plan no longer describes what apply would do; empty when it still does."""
    reasons: list[str] = []
    if saved.target.endpoint != fresh.target.endpoint or saved.target.subscription_id != fresh.target.subscription_id:
        reasons.append(
            f"the plan was made for {saved.target.name} (subscription {saved.target.subscription_id}), "
            f"this run targets {fresh.target.name} (subscription {fresh.target.subscription_id})"
        )
    if saved.manifest_digest != fresh.manifest_digest:
        reasons.append("the manifests (or the environment variables they use) changed since the plan was made")
    old = {c.address.lower(): c for c in saved.changes}
    new = {c.address.lower(): c for c in fresh.changes}
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a is None or b is None:
            reasons.append(f"{(a or b).address}: {'appeared in' if a is None else 'disappeared from'} the live state")
        elif a.fingerprint != b.fingerprint:
            reasons.append(f"{a.address}: changed in Azure since the plan was made")
        elif (a.action, a.changes, a.blocked) != (b.action, b.changes, b.blocked):
            reasons.append(f"{a.address}: the planned change is no longer {a.action.value} as saved")
    return reasons


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
    from reconciler.arm import ArmSession
    from reconciler.executor import Executor
    from reconciler.journal import Journal
    from reconciler.render.progress import LiveEvents, LogEvents, QuietEvents
    from reconciler.render.text import render_plan
    from reconciler.steps import build_steps

    async with ArmSession(loaded.target) as clients:
        plan, live = await read_and_plan(clients, loaded, saved.options if saved else request.diff_options)
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
        steps = build_steps(list(plan.changes), loaded.desired, live)
        if not steps:
            return plan, []
        if saved is None and not request.auto_approve:
            _confirm()
        journal = Journal(Path(request.journal), plan.target.to_json()) if request.journal else None
        if request.as_json:
            events: QuietEvents | LiveEvents | LogEvents = QuietEvents(journal)
        elif out.is_terminal:
            events = LiveEvents(out, journal, steps)
        else:
            events = LogEvents(out, journal)
        if not request.as_json:
            out.print()
        with events:
            results = await Executor(clients, loaded.desired, live, events, request.exec_options).run(
                steps, request.timeout
            )
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
def apply(
    paths: tuple[str, ...],
    allow_replace: bool,
    prune: bool,
    auto_approve: bool,
    parallelism: int,
    no_wait: bool,
    timeout: str | None,
    operation_timeout: str | None,
    journal: str,
    as_json: bool,
    **target: Any,
) -> None:
    """Converge the target to the manifests, or execute a saved plan (`reconcile apply plan.json`)."""
    from reconciler.diff import DiffOptions
    from reconciler.executor import ExecOptions, summarise

    saved = _saved_plan(paths)
    if saved is not None:
        if allow_replace or prune:
            fail(
                "--allow-replace and --prune belong to `reconcile plan` when applying a saved plan; the plan "
                "file carries the options it was made with"
            )
        paths = saved.manifest_paths
    loaded = load(paths, **target)
    request = ApplyRequest(
        diff_options=DiffOptions(allow_replace=allow_replace, prune=prune),
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
                out.print(f"  {r.status}: {r.step.label}: {r.message}", style="red")
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


@click.command()
@click.argument("paths", nargs=-1, required=True)
@target_options
@click.option("--wait", is_flag=True, help="Wait until every version has finished replicating.")
@click.option("--timeout", metavar="DURATION", help="With --wait: give up after this long, e.g. 2h.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(paths: tuple[str, ...], wait: bool, timeout: str | None, as_json: bool, **target: Any) -> None:
    """Show replication state per image version and region (and wait for it with --wait)."""
    from reconciler.status import collect_status, render_status

    limit = parse_duration(timeout, "--timeout")
    loaded = load(paths, **target)
    rows, settled = run_async(
        collect_status(loaded, wait=wait, timeout=limit, out=None if as_json else console()),
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
