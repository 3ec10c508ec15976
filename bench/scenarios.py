"""The measured scenarios: each runs the real `reconcile` CLI (or an SDK baseline) as a child process."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import estates, measure, schedule
from bench.emulator import Emulator, child_env

SEED_PARALLELISM = 32


class BenchError(RuntimeError):
    """A scenario did not do what it is meant to measure (a failed command, a plan with changes, ...)."""


def reconcile_argv() -> list[str]:
    """The installed `reconcile` console script next to this interpreter, else `python -m reconciler`."""
    script = shutil.which("reconcile", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "reconciler"]


@dataclass
class Context:
    """What every scenario needs: the reconcile command, a scratch directory and the settings."""

    workdir: Path
    latency_ms: int
    parallelism: int
    replication_seconds: float
    reconcile: list[str] = field(default_factory=reconcile_argv)

    def run(self, args: list[str], expect: tuple[int, ...] = (0,), what: str = "") -> measure.Child:
        child = measure.run([*self.reconcile, *args], cwd=self.workdir, env=child_env())
        if child.returncode not in expect:
            tail = "\n".join((child.stdout + child.stderr).splitlines()[-30:])
            raise BenchError(f"{what or ' '.join(args[:1])} exited {child.returncode}, expected {expect}:\n{tail}")
        return child


def record(child: measure.Child, counts: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """One run's figures: measurements, ARM requests (total and by operation) and anything scenario-specific."""
    figures: dict[str, Any] = child.figures()
    if counts is not None:
        figures["requests"] = counts["total"]
        figures["byOperation"] = dict(sorted(counts["byOperation"].items()))
    figures.update(extra)
    return figures


def help_run(ctx: Context) -> dict[str, Any]:
    """`reconcile --help`: start-up cost of the CLI."""
    return record(ctx.run(["--help"], what="reconcile --help"))


def validate_run(ctx: Context, manifests: Path) -> dict[str, Any]:
    """`reconcile validate DIR`: offline checks of the whole estate."""
    return record(ctx.run(["validate", str(manifests)], what="reconcile validate"))


def seed(ctx: Context, emu: Emulator, manifests: Path) -> dict[str, Any]:
    """Create the estate with the real CLI (`reconcile apply`), on an emulator at 0 ms and 0 s replication.

    Slower than creating it through the SDK, but the estate is then exactly what the tool leaves behind
    (tags, digests), which is what a no-change plan meets in practice.
    """
    child = ctx.run(
        [
            "apply",
            *emu.target_args(),
            "--auto-approve",
            "--journal",
            "",
            "--parallelism",
            str(SEED_PARALLELISM),
            str(manifests),
        ],
        what="seeding apply",
    )
    return {"wallSeconds": round(child.wall_s, 2), "parallelism": SEED_PARALLELISM}


def plan_run(ctx: Context, emu: Emulator, manifests: Path) -> dict[str, Any]:
    """`reconcile plan` of the seeded estate; it must report no changes (exit 0 with --detailed-exitcode)."""
    emu.admin.reset()
    child = ctx.run(
        ["plan", *emu.target_args(), "--detailed-exitcode", str(manifests)],
        expect=(0,),
        what="no-change plan (exit 2 means the seeded estate does not match its manifests)",
    )
    return record(child, emu.admin.requests())


def noop_run(ctx: Context, emu: Emulator, manifests: Path) -> dict[str, Any]:
    """`reconcile apply --auto-approve` with nothing to do (the seeded estate)."""
    emu.admin.reset()
    child = ctx.run(["apply", *emu.target_args(), "--auto-approve", str(manifests)], what="no-op apply")
    return record(child, emu.admin.requests())


def baseline_run(ctx: Context, emu: Emulator, estate: estates.Estate, workers: int) -> dict[str, Any]:
    """An SDK baseline (bench/baseline.py) in its own process: one GET per resource, `workers` at a time."""
    emu.admin.reset()
    argv = [
        sys.executable,
        "-m",
        "bench.baseline",
        "--endpoint",
        emu.url,
        "--ca-bundle",
        str(emu.ca_path),
        "--estate",
        estate.name,
        "--workers",
        str(workers),
    ]
    env = child_env()
    repo = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = repo + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    child = measure.run(argv, cwd=ctx.workdir, env=env)
    if child.returncode != 0:
        raise BenchError(f"baseline ({workers} workers) exited {child.returncode}:\n{child.stderr[-3000:]}")
    inner = json.loads(child.stdout)
    return record(child, emu.admin.requests(), getSeconds=inner["seconds"])


def apply_run(ctx: Context, estate: estates.Estate, manifests: Path) -> dict[str, Any]:
    """`reconcile apply` of the estate from empty, on a fresh emulator with the session's latency and
    replication time; the ideal schedule is measured on that emulator first (in its own resource group)."""
    with Emulator(latency_ms=ctx.latency_ms, replication_seconds=ctx.replication_seconds, retry_after=1) as emu:
        ideal = schedule.ideal(estate, schedule.probe(emu), ctx.parallelism)
        emu.admin.reset()
        child = ctx.run(
            ["apply", *emu.target_args(), "--auto-approve", "--parallelism", str(ctx.parallelism), str(manifests)],
            what="apply from empty",
        )
        counts = emu.admin.requests()
    created = counts["byOperation"].get("GalleryImageVersions_CreateOrUpdate", 0)
    if created != estate.total_versions:
        raise BenchError(f"apply created {created} image versions, expected {estate.total_versions}")
    return record(
        child,
        counts,
        idealSeconds=ideal["seconds"],
        ideal=ideal,
        requestsPerVersion=round(counts["total"] / estate.total_versions, 2),
    )
