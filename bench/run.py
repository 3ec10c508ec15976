"""Benchmark `reconcile` at estate scale against the emulator, with SDK baselines in the same session.

    python -m bench [--estates S,L] [--apply-estates S] [--latency-ms 50] [--runs 3] [--json out.json]
                    [--scenarios help,validate,plan,noop,apply] [--replication-seconds 2] [--parallelism 10]

Estates: S (1 gallery x 2 definitions x 5 versions), L (10 x 10 x 10), XL (20 x 25 x 20, slow: opt in), or
GxDxV; 3 target regions per version. Scenarios: help, validate, plan (no-change plan, with the two SDK
baselines), noop (apply with nothing to do), apply (from empty, on --apply-estates only: L takes about
10 minutes per run at 2 s of replication per region). Prints a Markdown table of medians; --json writes
every run. docs/performance.md explains the figures.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

if not __package__:  # `python bench/run.py`: make `bench` and `reconciler` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import estates, report, scenarios
from bench.emulator import Emulator

SCENARIOS = ("help", "validate", "plan", "noop", "apply")
DEFAULT_SCENARIOS = "help,validate,plan,noop,apply"
REPO = Path(__file__).resolve().parents[1]


def _estates(text: str) -> list[estates.Estate]:
    try:
        return [estates.parse(name) for name in text.split(",") if name.strip()]
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _scenarios(text: str) -> list[str]:
    chosen = [s.strip() for s in text.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}"
        )
    return chosen


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    paragraphs = __doc__.split("\n\n")
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="\n\n".join([paragraphs[0], *paragraphs[2:]]),
        formatter_class=_Formatter,
    )
    parser.add_argument(
        "--estates", type=_estates, default="S,L", help="S, L, XL (slow) or GxDxV, for validate, plan and noop"
    )
    parser.add_argument("--apply-estates", type=_estates, default="S", help="estates the apply scenario creates")
    parser.add_argument("--scenarios", type=_scenarios, default=DEFAULT_SCENARIOS, help=", ".join(SCENARIOS))
    parser.add_argument("--latency-ms", type=int, default=50, help="emulator latency per ARM request")
    parser.add_argument("--replication-seconds", type=float, default=2.0, help="per target region, for apply")
    parser.add_argument("--parallelism", type=int, default=10, help="reconcile apply --parallelism")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (medians are reported)")
    parser.add_argument("--serial-runs", type=int, default=1, help="runs of the slow serial-GET baseline (0: none)")
    parser.add_argument("--json", type=Path, default=None, help="write every run's figures here")
    opts = parser.parse_args(argv)
    if opts.runs < 1 or opts.latency_ms < 0 or opts.parallelism < 1 or opts.serial_runs < 0:
        parser.error("--runs and --parallelism must be >= 1, --latency-ms and --serial-runs >= 0")
    if opts.json is not None and not opts.json.parent.is_dir():  # found now, not after minutes of measuring
        parser.error(f"--json: directory {opts.json.parent} does not exist")
    return opts


def machine() -> dict[str, Any]:
    """Where the figures come from: CPU, cores, memory, OS, Python."""
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines() if ln.startswith("model name")]
        info["cpuModel"] = names[0] if names else None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total = next((ln for ln in meminfo.read_text().splitlines() if ln.startswith("MemTotal:")), "")
        if total:
            info["memoryMB"] = int(total.split()[1]) // 1024
    return info


def git_commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return {"commit": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain"))}


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _estate_entry(results: dict[str, Any], estate: estates.Estate, latency_ms: int) -> dict[str, Any]:
    return results["estates"].setdefault(
        estate.name,
        {
            "shape": estate.shape(),
            "lowerBound": {
                "readRoundTrips": estate.read_round_trips,
                "planReadsSeconds": round(estate.read_round_trips * latency_ms / 1000, 3),
            },
            "scenarios": {},
        },
    )


def bench_estate(
    ctx: scenarios.Context, opts: argparse.Namespace, estate: estates.Estate, manifests: Path, entry: dict[str, Any]
) -> None:
    """validate, then plan / noop with both baselines interleaved run by run (so load drifts hit all alike)."""
    chosen = opts.scenarios
    runs: dict[str, list[dict[str, Any]]] = {}
    if "validate" in chosen:
        for i in range(opts.runs):
            _say(f"  {estate.name}: validate, run {i + 1}/{opts.runs}")
            runs.setdefault("validate", []).append(scenarios.validate_run(ctx, manifests))
    if "plan" in chosen or "noop" in chosen:
        with Emulator(latency_ms=0, replication_seconds=0, retry_after=0) as emu:
            _say(f"  {estate.name}: seeding {estate.resources:,} resources with reconcile apply")
            entry["seed"] = {"method": "reconcile apply (real CLI), 0 ms latency, 0 s replication"}
            entry["seed"].update(scenarios.seed(ctx, emu, manifests))
            emu.admin.config(latency_ms=opts.latency_ms)
            for i in range(opts.runs):
                what = "plan and baselines" if "plan" in chosen else ""
                what += (" and " if what else "") + ("no-op apply" if "noop" in chosen else "")
                _say(f"  {estate.name}: {what}, run {i + 1}/{opts.runs}")
                if "plan" in chosen:
                    runs.setdefault("plan", []).append(scenarios.plan_run(ctx, emu, manifests))
                    runs.setdefault("baselineParallel", []).append(scenarios.baseline_run(ctx, emu, estate, 10))
                    if i < opts.serial_runs:
                        runs.setdefault("baselineSerial", []).append(scenarios.baseline_run(ctx, emu, estate, 1))
                if "noop" in chosen:
                    runs.setdefault("noop", []).append(scenarios.noop_run(ctx, emu, manifests))
    for name, figures in runs.items():
        entry["scenarios"][name] = report.summarise(figures)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the suite, print the table, write --json; return the results (the JSON document)."""
    opts = parse_args(argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    results: dict[str, Any] = {
        "benchmark": "gallery-reconciler",
        "format": 1,
        "date": started.isoformat(timespec="seconds"),
        "command": shlex.join(["python", "-m", "bench", *(sys.argv[1:] if argv is None else argv)]),
        "machine": machine(),
        "git": git_commit(),
        "settings": {
            "estates": [e.name for e in opts.estates],
            "applyEstates": [e.name for e in opts.apply_estates] if "apply" in opts.scenarios else [],
            "scenarios": opts.scenarios,
            "latencyMs": opts.latency_ms,
            "replicationSecondsPerRegion": opts.replication_seconds,
            "parallelism": opts.parallelism,
            "runs": opts.runs,
            "serialBaselineRuns": opts.serial_runs,
            "targetRegionsPerVersion": len(estates.TARGET_REGIONS),
        },
        "load": {"start": [round(x, 2) for x in os.getloadavg()]},
        "session": {"scenarios": {}},
        "estates": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        ctx = scenarios.Context(work, opts.latency_ms, opts.parallelism, opts.replication_seconds)
        results["settings"]["reconcile"] = shlex.join(ctx.reconcile)
        if "help" in opts.scenarios:
            _say("reconcile --help")
            help_runs = [scenarios.help_run(ctx) for _ in range(opts.runs)]
            results["session"]["scenarios"]["help"] = report.summarise(help_runs)
        for estate in opts.estates:
            _say(f"estate {estate.name} ({estate.galleries} x {estate.definitions} x {estate.versions})")
            manifests = estates.write(estate, work / "estates" / estate.name)
            bench_estate(ctx, opts, estate, manifests, _estate_entry(results, estate, opts.latency_ms))
        if "apply" in opts.scenarios:
            for estate in opts.apply_estates:
                manifests = estates.write(estate, work / "estates" / estate.name)
                entry = _estate_entry(results, estate, opts.latency_ms)
                applies = []
                for i in range(opts.runs):
                    _say(f"  {estate.name}: apply from empty, run {i + 1}/{opts.runs}")
                    applies.append(scenarios.apply_run(ctx, estate, manifests))
                entry["scenarios"]["apply"] = report.summarise(applies)
    for entry in results["estates"].values():
        report.add_ratios(entry, entry["lowerBound"]["planReadsSeconds"])
    results["load"]["end"] = [round(x, 2) for x in os.getloadavg()]
    results["seconds"] = round((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds(), 1)

    if opts.json is not None:
        opts.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    load = results["load"]
    print(
        f"{results['date']}  {results['command']}\n"
        f"machine: {results['machine'].get('cpuModel')}, {results['machine']['cpus']} cores; "
        f"load average (1/5/15 min) at start {load['start']}, at end {load['end']}; "
        f"latency {opts.latency_ms} ms; medians of {opts.runs} run(s)\n"
    )
    print(report.table(results))
    return results


def cli() -> None:
    """Entry point: a scenario that does not do what it measures ends the run with its reason, no traceback."""
    try:
        main()
    except (scenarios.BenchError, RuntimeError, OSError) as err:  # RuntimeError: the emulator or its admin API
        sys.exit(f"bench: {err}")


if __name__ == "__main__":
    cli()
