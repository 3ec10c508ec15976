"""Benchmark: export a G x D x V estate made without reconcile, then adopt it (time and ARM requests).

Usage: python bench/export_adopt.py [--galleries 10 --definitions 10 --versions 10] [--throttle] [--no-wait]

The estate is created through the SDK without the ownership tag, as Packer or a script leaves it. Then, each
as a child process: `reconcile export --adopt`, `plan` of the export (every resource an in-place tag update),
`apply` (the adoption), and `plan` again (no changes). `--throttle` switches on the emulator's ARM token
buckets (writes: 200, refilled at 10/s per subscription), so the adoption runs inside ARM's write budget.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reconciler.emulator import DEMO_SEED
from reconciler.emulator.testing import admin, emulator_server, make_compute_client

GROUP = "packer-images"
SUB = "00000000-0000-0000-0000-000000000000"
IMAGE = f"/subscriptions/{SUB}/resourceGroups/platform-images/providers/Microsoft.Compute/images/ubuntu-base"


def reconcile(args: list[str], emu: Any, cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    argv = [sys.executable, "-m", "reconciler", args[0], "--endpoint", emu.url, "--ca-bundle", str(emu.ca_path)]
    env = {k: v for k, v in os.environ.items() if k not in ("AZURE_SUBSCRIPTION_ID", "RECONCILE_TARGET")}
    start = time.perf_counter()
    done = subprocess.run([*argv, *args[1:]], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 2):
        sys.exit(f"reconcile {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - start, done


def create_unowned(emu: Any, galleries: int, definitions: int, versions: int) -> float:
    """The estate as another tool makes it: no ownership tag; returns the seconds it took."""
    client = make_compute_client(emu)
    admin(emu).seed({"resourceGroups": [{"name": GROUP, "location": "westeurope"}]})
    start = time.perf_counter()

    def definition(g: int, d: int) -> None:
        gallery = f"gallery{g}"
        body = {
            "location": "westeurope",
            "tags": {"made-by": "packer"},
            "properties": {
                "osType": "Linux",
                "osState": "Generalized",
                "hyperVGeneration": "V2",
                "identifier": {"publisher": "acme", "offer": f"offer{d}", "sku": f"sku{d}"},
            },
        }
        client.gallery_images.begin_create_or_update(GROUP, gallery, f"image{d}", body).result()
        for v in range(versions):
            body = {
                "location": "westeurope",
                "tags": {"build": str(v)},
                "properties": {
                    "publishingProfile": {
                        "targetRegions": [{"name": "westeurope"}, {"name": "northeurope", "regionalReplicaCount": 2}]
                    },
                    "storageProfile": {"source": {"id": IMAGE}},
                },
            }
            client.gallery_image_versions.begin_create_or_update(GROUP, gallery, f"image{d}", f"1.0.{v}", body).result()

    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda g: client.galleries.begin_create_or_update(
                    GROUP, f"gallery{g}", {"location": "westeurope"}
                ).result(),
                range(galleries),
            )
        )
        list(pool.map(lambda gd: definition(*gd), [(g, d) for g in range(galleries) for d in range(definitions)]))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--galleries", type=int, default=10)
    parser.add_argument("--definitions", type=int, default=10)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--throttle", action="store_true", help="ARM token-bucket throttling in the emulator")
    parser.add_argument("--no-wait", action="store_true", help="apply --no-wait: do not follow replication")
    opts = parser.parse_args()
    g, d, v = opts.galleries, opts.definitions, opts.versions
    with tempfile.TemporaryDirectory() as tmp, emulator_server(seed=DEMO_SEED) as emu:
        work = Path(tmp)
        ctl = admin(emu)
        made_s = create_unowned(emu, g, d, v)
        if opts.throttle:
            ctl.faults(throttle=True)
        steps: dict[str, Any] = {}
        for name, args in (
            ("export", ["export", "-g", GROUP, "-o", "out", "--adopt"]),
            ("adoptionPlan", ["plan", "--json", "out"]),
            ("adoptionApply", ["apply", "--auto-approve", "--journal", "", *(["--no-wait"] * opts.no_wait), "out"]),
            ("planAfter", ["plan", "--json", "out"]),
        ):
            ctl.reset()
            seconds, done = reconcile(args, emu, work)
            counts = ctl.requests()
            steps[name] = {
                "seconds": round(seconds, 2),
                "armRequests": counts["total"],
                "byOperation": counts["byOperation"],
            }
            if args[0] == "plan":
                steps[name]["summary"] = json.loads(done.stdout)["summary"]
        files = list((work / "out").rglob("*.yaml"))
        result = {
            "estate": f"{g} x {d} x {v} ({g + g * d + g * d * v} resources), no ownership tag",
            "createdThroughTheSdkSeconds": round(made_s, 1),
            "throttle": opts.throttle,
            "noWait": opts.no_wait,
            "files": len(files),
            "bytes": sum(f.stat().st_size for f in files),
            **steps,
            "childPeakRssMB": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        }
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
