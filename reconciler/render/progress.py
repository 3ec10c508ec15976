"""Apply progress: live bars on a terminal (a line per resource, a bar per region), log lines elsewhere."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from reconciler.executor import StepResult
from reconciler.journal import Journal
from reconciler.steps import Step
from reconciler.wire import RegionReplication

ICON = {
    "succeeded": ("✓", "green"),
    "accepted": ("↗", "cyan"),
    "failed": ("✗", "red"),
    "skipped": ("-", "yellow"),
    "timed-out": ("⏱", "red"),
}


class _Base:
    def __init__(self, journal: Journal | None) -> None:
        self.journal = journal
        self.t0 = time.monotonic()

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.t0:6.1f}s"

    def record(self, result: StepResult) -> None:
        if self.journal is not None:
            self.journal.write(
                {
                    "resource": result.step.address,
                    "kind": result.step.kind,
                    "operation": result.step.operation,
                    "outcome": result.status,
                    "message": result.message,
                    "requestIds": result.request_ids,
                    "seconds": round(result.seconds, 3),
                }
            )


class LogEvents(_Base):
    """One line per event: for CI logs and anything that is not a terminal."""

    def __init__(self, console: Console, journal: Journal | None) -> None:
        super().__init__(journal)
        self.console = console
        self.last: dict[str, tuple[str, float]] = {}

    def started(self, step: Step) -> None:
        self.console.print(f"[{self.elapsed()}] {step.operation} {step.kind} {step.address}: started")

    def progress(self, step: Step, regions: tuple[RegionReplication, ...]) -> None:
        # A log line when a region changes state, or every 30 s: CI logs stay readable for hour-long replications.
        states = ", ".join(f"{r.region} {r.state.lower()}" for r in regions)
        previous, printed_at = self.last.get(step.id, ("", 0.0))
        if states == previous and time.monotonic() - printed_at < 30:
            return
        self.last[step.id] = (states, time.monotonic())
        text = ", ".join(f"{r.region} {r.state.lower()} {r.progress}%" for r in regions)
        self.console.print(f"[{self.elapsed()}] {step.operation} {step.kind} {step.address}: replication {text}")

    def message(self, step: Step, text: str) -> None:
        self.console.print(f"[{self.elapsed()}] {step.operation} {step.kind} {step.address}: {text}")

    def finished(self, result: StepResult) -> None:
        self.record(result)
        detail = f" ({result.message})" if result.message else ""
        self.console.print(
            f"[{self.elapsed()}] {result.step.operation} {result.step.kind} {result.step.address}: "
            f"{result.status} in {result.seconds:.1f}s{detail}"
        )


class LiveEvents(_Base):
    """A live table on a terminal: one row per resource, a bar per replicating region, elapsed time."""

    def __init__(self, console: Console, journal: Journal | None, steps: list[Step]) -> None:
        super().__init__(journal)
        self.console = console
        self.steps = steps
        self.state: dict[str, str] = {s.id: "waiting" for s in steps}
        self.regions: dict[str, tuple[RegionReplication, ...]] = {}
        self.notes: dict[str, str] = {}
        self.started_at: dict[str, float] = {}
        self.live = Live(self._render(), console=console, refresh_per_second=4, transient=False)

    def __enter__(self) -> LiveEvents:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.live.update(self._render())
        self.live.__exit__(*exc)

    def _bar(self, progress: int, width: int = 20) -> str:
        filled = int(width * max(0, min(progress, 100)) / 100)
        return "█" * filled + "░" * (width - filled)

    def _render(self) -> Table:
        table = Table.grid(padding=(0, 1))
        for step in self.steps:
            state = self.state[step.id]
            icon, colour = ICON.get(
                state, ("…" if state == "running" else "·", "cyan" if state == "running" else "dim")
            )
            since = self.started_at.get(step.id)
            clock = f"{time.monotonic() - since:5.0f}s" if since and state == "running" else ""
            table.add_row(
                Text(icon, style=colour),
                Text(f"{step.operation} {step.kind} {step.address}"),
                Text(state, style=colour),
                Text(clock, style="dim"),
                Text(self.notes.get(step.id, ""), style="dim"),
            )
            for region in self.regions.get(step.id, ()):
                table.add_row(
                    "",
                    Text(f"    {region.region}", style="dim"),
                    Text(self._bar(region.progress)),
                    Text(f"{region.progress:3d}%"),
                    Text(region.state, style="red" if region.state.lower() == "failed" else "dim"),
                )
        return table

    def _refresh(self) -> None:
        self.live.update(self._render())

    def started(self, step: Step) -> None:
        self.state[step.id] = "running"
        self.started_at[step.id] = time.monotonic()
        self._refresh()

    def progress(self, step: Step, regions: tuple[RegionReplication, ...]) -> None:
        self.regions[step.id] = regions
        self._refresh()

    def message(self, step: Step, text: str) -> None:
        self.notes[step.id] = text
        self._refresh()

    def finished(self, result: StepResult) -> None:
        self.record(result)
        self.state[result.step.id] = result.status
        self.notes[result.step.id] = result.message
        self._refresh()


class QuietEvents(_Base):
    """No output (for --json); the journal is still written."""

    def started(self, step: Step) -> None: ...
    def progress(self, step: Step, regions: tuple[RegionReplication, ...]) -> None: ...
    def message(self, step: Step, text: str) -> None: ...

    def finished(self, result: StepResult) -> None:
        self.record(result)
