"""Plan renderings compared exactly with golden files (regenerate: RECONCILE_UPDATE_GOLDEN=1 pytest ...)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from rich.console import Console

from reconciler.core.diff import DiffOptions
from reconciler.core.plan import build_plan
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_plan
from tests.unit.plan_fixtures import as_live, definition, desired_state, gallery, live_state, region, version
from tests.unit.test_plan import TARGET

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"


def _plan():
    live = live_state(
        as_live(gallery(description="portal edit"), applied=gallery(description="ours")),  # drift
        as_live(definition()),
        as_live(definition("legacy", os_state="Generalized")),
        as_live(version(target_regions=(region("westeurope", 3),), allow_deletion_of_replicated_locations=True)),
        as_live(version("0.9.0")),
    )
    desired = desired_state(
        gallery(description="ours"),
        definition(),
        definition("legacy", os_state="Specialized"),
        version(
            target_regions=(region("westeurope", 2), region("eastus")), allow_deletion_of_replicated_locations=True
        ),
        version("1.1.0"),
    )
    return build_plan(desired, live, TARGET, options=DiffOptions())


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("RECONCILE_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; review and regenerate if intended"


@pytest.mark.parametrize("name", ["plan_mixed.txt"])
def test_text_plan_matches_golden(name: str) -> None:
    out = io.StringIO()
    render_plan(_plan(), Console(file=out, width=160, color_system=None, soft_wrap=True))
    _check(name, out.getvalue())


def test_markdown_plan_matches_golden() -> None:
    _check("plan_mixed.md", render_markdown(_plan()))
