"""The plan as Markdown, for pull-request comments and CI step summaries."""

from __future__ import annotations

from reconciler.core.changes import Action
from reconciler.core.plan import Plan
from reconciler.render.latest import previews
from reconciler.render.values import field_line
from reconciler.render.wording import blocker_text, note_text, reason_text


def render_markdown(plan: Plan) -> str:
    out = [f"### Gallery Reconciler plan: {plan.target.name}", "", f"**{plan.summary_line()}**", ""]
    if plan.refused:
        out += [f":no_entry: **Azure would refuse {len(plan.refused)} of these changes; apply writes nothing.**", ""]
    if plan.problems:
        out += ["```text", *(str(p) for p in plan.problems), "```", ""]
    shown = [c for c in plan.changes if c.action is not Action.NOOP]
    if not shown:
        out.append("No changes. Azure matches the manifests.")
    else:
        out += ["| | Resource | Kind | Action | Why |", "|---|---|---|---|---|"]
        for c in shown:
            why = (reason_text(c.reason) if c.reason else "") + (" **(drift)**" if c.drift else "")
            if c.blocked:
                why += f" — :no_entry: blocked: {blocker_text(c.blocked)}"
            out.append(f"| `{c.action.glyph}` | `{c.address}` | {c.kind} | {c.action.value} | {why} |")
        out.append("")
        for c in shown:
            if not c.changes and not c.notes:
                continue
            out += [f"<details><summary><code>{c.address}</code>: {c.action.value}</summary>", "", "```diff"]
            for f in c.changes:
                mark, body = field_line(f.path, f.before, f.after)
                suffix = "  # forces replacement" if f.forces_replace else ""
                out.append(f"{'!' if mark == '~' else mark} {body}{suffix}")
            out += [f"# note: {note_text(n)}" for n in c.notes]
            out += ["```", "", "</details>", ""]
    latest = previews(plan)
    if latest:
        out += ["", "**`latest` will resolve to:**", ""]
        for definition, summary, regions in latest:
            out.append(f"- `{definition}`: {summary}")
            out += [f"  - {r}" for r in regions]
    return "\n".join(out).rstrip() + "\n"
