"""The plan for people: a colour diff in the style reviewers know (+ create, ~ update, -/+ replace, - delete)."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from reconciler.core.changes import Action, ResourceChange
from reconciler.core.plan import Plan
from reconciler.render.latest import latest_lines
from reconciler.render.values import field_line
from reconciler.render.wording import blocker_text, note_text, reason_text

STYLE = {"+": "green", "~": "yellow", "-/+": "magenta", "-": "red", " ": "dim"}


def target_line(plan_target_name: str, subscription: str) -> Text:
    text = Text("Target: ", style="bold")
    text.append(plan_target_name, style="bold cyan")
    text.append(f"  (subscription {subscription})", style="dim")
    return text


def _resource(change: ResourceChange, console: Console) -> None:
    glyph = change.action.glyph
    head = Text(f"  {glyph} ", style=f"bold {STYLE[glyph]}")
    head.append(f"{change.kind} ", style="bold")
    head.append(change.address, style="bold")
    if change.drift:
        head.append("  [drift]", style="bold yellow")
    if change.reason:
        head.append(f"  # {reason_text(change.reason)}", style="dim")
    console.print(head)
    for field in change.changes:
        mark, body = field_line(field.path, field.before, field.after)
        line = Text(f"      {mark} ", style=STYLE[mark])
        line.append(body)
        if field.forces_replace:
            line.append("  # forces replacement", style="bold magenta")
        console.print(line)
    for note in change.notes:
        console.print(Text(f"      note: {note_text(note)}", style="yellow"))
    if change.blocked:
        console.print(Text(f"      blocked: {blocker_text(change.blocked)}", style="bold red"))


def render_plan(plan: Plan, console: Console, *, show_noop: bool = False) -> None:
    console.print(target_line(plan.target.name, plan.target.subscription_id))
    console.print()
    shown = [c for c in plan.changes if show_noop or c.action is not Action.NOOP]
    if not shown:
        console.print("No changes. Azure matches the manifests.", style="bold green")
    for change in shown:
        _resource(change, console)
    shown_latest_lines = latest_lines(plan, show_unchanged=show_noop)
    if shown_latest_lines:
        console.print()
        console.print("'latest' will resolve to:", style="bold")
        for line in shown_latest_lines:
            console.print(line)
    render_problems(plan, console)
    console.print()
    console.print(plan.summary_line(), style="bold")


def render_problems(plan: Plan, console: Console) -> None:
    """What Azure would refuse (errors) or might (warnings), each with the manifest's file:line."""
    if not plan.problems:
        return
    console.print()
    if plan.refused:
        console.print(
            f"Azure would refuse {len(plan.refused)} of these changes; apply writes nothing:", style="bold red"
        )
    else:
        console.print("Warnings:", style="bold yellow")
    for problem in plan.problems:
        console.print(Text(f"  {problem}", style="red" if problem in plan.refused else "yellow"))
