"""Apply progress: live bars on a terminal (a line per resource, a bar per region), log lines elsewhere.

Messages are redacted before they are shown (they may quote Azure, which may quote a source URI and its SAS).
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from reconciler.apply.executor import StepResult
from reconciler.core.arm_json import RegionReplication
from reconciler.core.redact import redact_text
from reconciler.core.steps import Step

ICON = {
    "succeeded": ("✓", "green"),
    "accepted": ("↗", "cyan"),
    "failed": ("✗", "red"),
    "skipped": ("-", "yellow"),
    "timed-out": ("⏱", "red"),
}


class _Base:
    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def __enter__(self) -> _Base:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.t0:6.1f}s"


class LogEvents(_Base):
    """One line per event: for CI logs and anything that is not a terminal."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console
        self.last: dict[str, tuple[str, float]] = {}

    def started(self, step: Step) -> None:
        self.console.print(f"[{self.elapsed()}] {step.label}: started")

    def progress(self, step: Step, regions: tuple[RegionReplication, ...]) -> None:
        # A log line when a region changes state, or every 30 s: CI logs stay readable for hour-long replications.
        states = ", ".join(f"{r.region} {r.state.lower()}" for r in regions)
        previous, printed_at = self.last.get(step.id, ("", 0.0))
        if states == previous and time.monotonic() - printed_at < 30:
            return
        self.last[step.id] = (states, time.monotonic())
        text = ", ".join(f"{r.region} {r.state.lower()} {r.progress}%" for r in regions)
        self.console.print(f"[{self.elapsed()}] {step.label}: replication {text}")

    def message(self, step: Step, text: str) -> None:
        self.console.print(f"[{self.elapsed()}] {step.label}: {redact_text(text)}")

    def finished(self, result: StepResult) -> None:
        detail = f": {redact_text(result.message)}" if result.message else ""
        self.console.print(
            f"[{self.elapsed()}] {result.step.label}: {result.status.value} in {result.seconds:.1f}s{detail}"
        )


class LiveEvents(_Base):
    """On a terminal: running steps live (a bar per replicating region, elapsed time), finished ones printed once.

    Only what is in flight stays in the live area, so an estate of a thousand versions scrolls like a log
    instead of redrawing a thousand rows.
    """

    def __init__(self, console: Console, steps: list[Step]) -> None:
        super().__init__()
        self.console = console
        self.total = len(steps)
        self.done = 0
        self.running: dict[str, Step] = {}
        self.regions: dict[str, tuple[RegionReplication, ...]] = {}
        self.notes: dict[str, str] = {}
        self.started_at: dict[str, float] = {}
        self.live = Live(self._render(), console=console, refresh_per_second=4, transient=True)

    def __enter__(self) -> LiveEvents:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.live.__exit__(*exc)

    @staticmethod
    def _bar(progress: int, width: int = 20) -> str:
        filled = int(width * max(0, min(progress, 100)) / 100)
        return "█" * filled + "░" * (width - filled)

    def _render(self) -> Table:
        table = Table.grid(padding=(0, 1))
        for step_id, step in self.running.items():
            since = self.started_at.get(step_id, time.monotonic())
            table.add_row(
                Text("…", style="cyan"),
                Text(step.label),
                Text(f"{time.monotonic() - since:5.0f}s", style="dim"),
                Text(self.notes.get(step_id, ""), style="dim"),
            )
            for region in self.regions.get(step_id, ()):
                table.add_row(
                    "",
                    Text(f"    {region.region}", style="dim"),
                    Text(f"{self._bar(region.progress)} {region.progress:3d}%"),
                    Text(region.state, style="red" if region.state.lower() == "failed" else "dim"),
                )
        table.add_row(
            "",
            Text(
                f"{self.done}/{self.total} done, {len(self.running)} running, {self.elapsed().strip()} elapsed",
                style="bold",
            ),
            "",
            "",
        )
        return table

    def _refresh(self) -> None:
        self.live.update(self._render())

    def started(self, step: Step) -> None:
        self.running[step.id] = step
        self.started_at[step.id] = time.monotonic()
        self._refresh()

    def progress(self, step: Step, regions: tuple[RegionReplication, ...]) -> None:
        self.regions[step.id] = regions
        self._refresh()

    def message(self, step: Step, text: str) -> None:
        self.notes[step.id] = redact_text(text)
        self._refresh()

    def finished(self, result: StepResult) -> None:
        self.done += 1
        self.running.pop(result.step.id, None)
        icon, colour = ICON.get(result.status.value, ("·", "dim"))
        line = Text(f"{icon} ", style=colour)
        line.append(result.step.label)
        line.append(f"  {result.status.value}", style=colour)
        line.append(f" in {result.seconds:.1f}s", style="dim")
        if result.message:
            line.append(f"  {redact_text(result.message)}", style="dim")
        self.console.print(line)
        regions = self.regions.pop(result.step.id, ())
        if regions:
            self.console.print(Text("    " + ", ".join(f"{r.region} {r.state.lower()}" for r in regions), style="dim"))
        self._refresh()


class QuietEvents(_Base):
    """No output (for --json); the executor still writes the journal."""

    def started(self, step: Step) -> None: ...
    def progress(self, step: Step, regions: tuple[RegionReplication, ...]) -> None: ...
    def message(self, step: Step, text: str) -> None: ...
    def finished(self, result: StepResult) -> None: ...
