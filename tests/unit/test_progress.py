"""Apply progress rendering: live bars on a terminal, one line per state change in logs."""

from __future__ import annotations

import io

from rich.console import Console

from reconciler.apply.executor import Outcome, StepResult
from reconciler.core.arm_json import RegionReplication
from reconciler.core.steps import Operation, Step
from reconciler.render.progress import LiveEvents, LogEvents


def _step() -> Step:
    return Step(Operation.CREATE, "gal/ubuntu/1.0.0", "version")


def test_terminal_progress_shows_a_bar_per_region() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    step = _step()
    with LiveEvents(console, [step]) as events:
        events.started(step)
        events.progress(
            step, (RegionReplication("eastus", "Replicating", 50), RegionReplication("westeurope", "Completed", 100))
        )
        events.live.refresh()  # the live area redraws 4 times a second; draw now
        assert "0/1 done, 1 running" in out.getvalue()
        events.finished(StepResult(step, Outcome.SUCCEEDED, "replicated to every target region"))
    text = out.getvalue()
    assert "create version gal/ubuntu/1.0.0" in text
    assert "██████████░░░░░░░░░░" in text and " 50%" in text and "100%" in text
    assert "succeeded" in text and "eastus replicating, westeurope completed" in text
    assert "1/1 done, 0 running" in text


def test_log_progress_prints_state_changes_not_every_poll() -> None:
    out = io.StringIO()
    events = LogEvents(Console(file=out, width=200, color_system=None))
    step = _step()
    for progress in (10, 20, 30):
        events.progress(step, (RegionReplication("eastus", "Replicating", progress),))
    events.progress(step, (RegionReplication("eastus", "Completed", 100),))
    lines = [line for line in out.getvalue().splitlines() if "replication" in line]
    assert len(lines) == 2
    assert lines[0].endswith("eastus replicating 10%") and lines[1].endswith("eastus completed 100%")
