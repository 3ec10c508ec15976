"""Benchmark: ARM requests, wall time and memory of apply and a no-change plan for a G x D x V estate.

Usage: python bench/plan_requests.py [--galleries 10 --definitions 10 --versions 10]
The emulator runs in this process; `reconcile` runs as a child process (its peak RSS is reported).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reconciler.emulator import DEMO_SEED
from reconciler.emulator.testing import admin, emulator_server
from tests.e2e.estates import write_estate


def reconcile(args: list[str], emu: object, cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    argv = [
        sys.executable,
        "-m",
        "reconciler",
        args[0],
        "--endpoint",
        emu.url,
        "--ca-bundle",
        str(emu.ca_path),
        *args[1:],
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("AZURE_SUBSCRIPTION_ID", "RECONCILE_TARGET")}
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 2):
        sys.exit(f"reconcile {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--galleries", type=int, default=10)
    parser.add_argument("--definitions", type=int, default=10)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--parallelism", type=int, default=16)
    opts = parser.parse_args()
    g, d, v = opts.galleries, opts.definitions, opts.versions
    with tempfile.TemporaryDirectory() as tmp, emulator_server(seed=DEMO_SEED) as emu:
        work = Path(tmp)
        estate = str(write_estate(work / "estate", g, d, v))
        ctl = admin(emu)
        ctl.reset()
        apply_s, _ = reconcile(
            ["apply", "--auto-approve", "--journal", "", "--parallelism", str(opts.parallelism), estate], emu, work
        )
        apply_requests = ctl.requests()["total"]
        ctl.reset()
        plan_s, done = reconcile(["plan", "--json", estate], emu, work)
        plan = json.loads(done.stdout)
        counts = ctl.requests()
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        per_resource = g + g * d + g * d * v  # what a GET-per-resource tool needs (plus its list of galleries)
        result = {
            "estate": f"{g} galleries x {d} definitions x {v} versions ({g + g * d + g * d * v} resources)",
            "apply": {"seconds": round(apply_s, 2), "armRequests": apply_requests},
            "noChangePlan": {
                "seconds": round(plan_s, 2),
                "armRequests": counts["total"],
                "byOperation": counts["byOperation"],
                "changes": plan["summary"],
            },
            "getPerResourceRequests": per_resource,
            "childPeakRssMB": round(rss_mb, 1),
        }
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
