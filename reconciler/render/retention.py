"""The retention report in words, shared by the text and Markdown renderings (rules: core/retention.py)."""

from __future__ import annotations

from reconciler.core import model as m
from reconciler.core.latest import touched_definitions
from reconciler.core.plan import Plan
from reconciler.render.wording import guard_text, retention_rule_text

HEADING = "Retention: versions the rules select that guards keep:"


def rule_summary(rule: dict[str, object]) -> str:
    """A retention rule in one line: `keepNewest 3, maxAgeDays 90`."""
    return ", ".join(f"{key} {value}" if value is not True else key for key, value in rule.items())


def kept_lines(plan: Plan, *, show_unchanged: bool = False) -> list[tuple[str, str, list[str]]]:
    """(definition, its rule, one line per kept version) for each definition shown: those the plan touches (every
    one with `show_unchanged`) whose rule selects versions that a guard keeps."""
    touched = touched_definitions(plan.changes)
    out = []
    for report in plan.retention:
        if not report.kept or not (show_unchanged or m.resource_key(report.definition) in touched):
            continue
        lines = [
            f"{k.version}: {retention_rule_text(k.rule.subjects)}; kept: {guard_text(k.guard)}" for k in report.kept
        ]
        out.append((report.definition, rule_summary(report.rule), lines))
    return out
