"""The `latest` preview in words, shared by the text and Markdown renderings (rule: core/latest.py)."""

from __future__ import annotations

from reconciler.core import model as m
from reconciler.core.changes import Action
from reconciler.core.latest import LatestChange, RegionLatest, shown_latest
from reconciler.core.plan import Plan


def _move(before: str | None, after: str | None) -> str:
    if before == after:
        return f"{before or '(none)'} (unchanged)"
    return f"{before or '(none)'} → {after or '(none)'}"


def describe(lc: LatestChange, *, deleted: bool = False) -> tuple[str, list[str]]:
    """(summary, one line per region): the one answer when every region agrees, else a line per region."""
    suffix = "  (the definition is deleted)" if deleted else ""
    if not lc.regions:
        return f"no versions{suffix}", []
    if lc.uniform:
        return f"{_move(lc.before, lc.after)}{suffix}", []
    return f"differs by region{suffix}", [_region(r) for r in lc.regions]


def _region(r: RegionLatest) -> str:
    return f"{r.region}: {_move(r.before, r.after)}"


def previews(plan: Plan, *, show_unchanged: bool = False) -> list[tuple[str, str, list[str]]]:
    """(definition, summary, region lines) for each preview a rendering shows (core.latest.shown_latest)."""
    deleted = {
        m.resource_key(c.address)
        for c in plan.changes
        if c.kind == "definition" and c.action is Action.DELETE and c.blocked is None
    }
    return [
        (lc.definition, *describe(lc, deleted=m.resource_key(lc.definition) in deleted))
        for lc in shown_latest(plan.latest, plan.changes, show_unchanged=show_unchanged)
    ]


def latest_lines(plan: Plan, *, show_unchanged: bool = False) -> list[str]:
    """The text rendering's lines under "'latest' will resolve to:"."""
    lines: list[str] = []
    for definition, summary, regions in previews(plan, show_unchanged=show_unchanged):
        lines.append(f"  {definition}: {summary}")
        lines.extend(f"      {r}" for r in regions)
    return lines
