"""The plan container: `latest` resolution, summary, JSON round-trip and renderers."""

from __future__ import annotations

import io
import json
from dataclasses import replace

from rich.console import Console

from reconciler.core.changes import Action
from reconciler.core.diff import DiffOptions
from reconciler.core.plan import Plan, build_plan
from reconciler.core.target_info import TargetInfo
from reconciler.render.markdown import render_markdown
from reconciler.render.plan_json import plan_document
from reconciler.render.text import render_plan
from tests.unit.plan_fixtures import as_live, definition, desired_state, gallery, live_state, version

TARGET = TargetInfo(
    "local",
    "local emulator (embedded; nothing in Azure is touched)",
    "https://127.0.0.1:1",
    "11111111-1111-1111-1111-111111111111",
)


def test_latest_moves_to_the_highest_version_not_excluded() -> None:
    live = live_state(as_live(gallery()), as_live(definition()), as_live(version("1.0.9")))
    desired = desired_state(
        gallery(), definition(), version("1.0.9"), version("1.0.10"), version("2.0.0", exclude_from_latest=True)
    )
    plan = build_plan(desired, live, TARGET)
    assert [(lc.definition, lc.before, lc.after) for lc in plan.latest] == [("gal/ubuntu", "1.0.9", "1.0.10")]


def test_blocked_deletions_do_not_move_latest() -> None:
    live = live_state(as_live(gallery()), as_live(definition()), as_live(version("1.0.0")), as_live(version("1.1.0")))
    desired = desired_state(gallery(), definition(), version("1.0.0"))
    assert build_plan(desired, live, TARGET).latest[0].after == "1.1.0"
    assert build_plan(desired, live, TARGET, options=DiffOptions(prune=True)).latest[0].after == "1.0.0"


def test_summary_counts_and_line() -> None:
    live = live_state(as_live(gallery(description="old")), as_live(definition()), as_live(version("0.1.0")))
    desired = desired_state(gallery(description="new"), definition(), version("1.0.0"))
    plan = build_plan(desired, live, TARGET)
    assert plan.summary() == {"add": 1, "change": 1, "replace": 0, "destroy": 1, "restore": 0, "noop": 1, "blocked": 1}
    assert plan.summary_line().startswith("Plan: 1 to add, 1 to change, 0 to replace, 1 to destroy.")
    assert [c.address for c in plan.actionable()] == ["gal", "gal/ubuntu/1.0.0"]


def test_json_round_trip_is_lossless() -> None:
    live = live_state(as_live(gallery()), as_live(definition(os_type="Windows")))
    plan = build_plan(desired_state(gallery(), definition(), version()), live, TARGET, manifest_paths=["m/"])
    data = json.loads(json.dumps(plan_document(plan)))
    again = Plan.from_json(data)
    assert again.changes == plan.changes
    assert plan_document(again) == plan_document(plan)
    assert data["formatVersion"] == "2.0"
    assert {r["action"] for r in data["resources"]} == {"replace", "create", "no-op"}


def test_digest_changes_with_the_desired_state() -> None:
    one = build_plan(desired_state(gallery()), live_state(), TARGET)
    two = build_plan(desired_state(gallery(description="x")), live_state(), TARGET)
    assert one.manifest_digest != two.manifest_digest
    assert one.manifest_digest == build_plan(desired_state(gallery()), live_state(), TARGET).manifest_digest


def _plan_with_everything() -> Plan:
    live = live_state(
        as_live(gallery(description="old")), as_live(definition(os_type="Windows")), as_live(version("0.1.0"))
    )
    return build_plan(desired_state(gallery(description="new"), definition(), version()), live, TARGET)


def test_text_rendering_names_the_target_first_and_marks_blocked_replacements() -> None:
    out = io.StringIO()
    render_plan(_plan_with_everything(), Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    assert text.splitlines()[0].startswith("Target: local emulator")
    assert "-/+ definition gal/ubuntu" in text
    assert "forces replacement" in text
    assert "blocked:" in text and "--allow-replace" in text
    assert '~ description: "old" → "new"' in text
    assert text.rstrip().splitlines()[-1].startswith("Plan: ")


def test_markdown_has_a_table_and_diff_blocks() -> None:
    md = render_markdown(_plan_with_everything())
    assert "| `-/+` | `gal/ubuntu` | definition | replace |" in md
    assert "```diff" in md and "blocked" in md


def test_no_changes_message() -> None:
    resources = (gallery(), definition(), version())
    plan = build_plan(desired_state(*resources), live_state(*(as_live(r) for r in resources)), TARGET)
    assert not plan.has_changes
    out = io.StringIO()
    render_plan(plan, Console(file=out, width=200, color_system=None))
    assert "No changes" in out.getvalue()
    assert all(c.action is Action.NOOP for c in replace(plan).changes)
