"""SDK baselines: one GET per gallery, definition and version, serially or N at a time.

A script or an Ansible playbook reads each resource in turn; Terraform refreshes each resource in its state
with one GET, 10 at a time by default (`-parallelism=10`). Both know the resource names already (from their
inventory or state), so neither lists. Run in its own process, so that its start-up, CPU and memory are
measured as the `reconcile` process's are:

    python -m bench.baseline --endpoint URL --ca-bundle PEM --estate L --workers 10

Prints one JSON object: {"gets": N, "seconds": S} (S: the GETs alone, without start-up).
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench import estates

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"  # the emulator's default subscription


def reads(client: Any, estate: estates.Estate) -> list[tuple[Any, tuple[str, ...]]]:
    """The GET calls, as (SDK method, arguments), in the order a serial walk makes them."""
    rg = estates.RESOURCE_GROUP
    calls: list[tuple[Any, tuple[str, ...]]] = []
    for g in range(estate.galleries):
        gallery = f"benchGallery{g}"
        calls.append((client.galleries.get, (rg, gallery)))
        for d in range(estate.definitions):
            calls.append((client.gallery_images.get, (rg, gallery, f"image{d}")))
            calls.extend(
                (client.gallery_image_versions.get, (rg, gallery, f"image{d}", f"1.0.{v}"))
                for v in range(estate.versions)
            )
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--ca-bundle", required=True)
    parser.add_argument("--estate", required=True, type=estates.parse)
    parser.add_argument("--workers", type=int, default=1)
    opts = parser.parse_args()

    from azure.mgmt.compute import ComputeManagementClient

    from reconciler.emulator.testing import ARM_SCOPE, EmulatorCredential

    client = ComputeManagementClient(
        EmulatorCredential(),
        SUBSCRIPTION,
        base_url=opts.endpoint,
        connection_verify=opts.ca_bundle,
        credential_scopes=[ARM_SCOPE],
    )
    calls = reads(client, opts.estate)
    start = time.perf_counter()
    if opts.workers <= 1:
        for method, args in calls:
            method(*args)
    else:
        with ThreadPoolExecutor(max_workers=opts.workers) as pool:
            for future in [pool.submit(method, *args) for method, args in calls]:
                future.result()
    seconds = time.perf_counter() - start
    print(json.dumps({"gets": len(calls), "seconds": round(seconds, 4)}))


if __name__ == "__main__":
    main()
