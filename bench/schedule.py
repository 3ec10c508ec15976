"""The ideal apply schedule: each level (galleries, definitions, versions) in waves of --parallelism, each
operation taking the time the emulator needs for one such operation, measured here through the SDK."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from bench import estates
from bench.emulator import Emulator

PROBE_GROUP = "bench-probe"  # its own resource group, so reconcile's per-group lists never see the probe
POLL_S = 0.01
TERMINAL = {"Succeeded", "Failed", "Canceled"}


def _timed(start: Callable[[], Any], state: Callable[[], str], timeout_s: float = 600.0) -> float:
    """Seconds from sending the PUT until a GET first reports a terminal provisioningState.

    Polls as fast as the latency allows instead of following Retry-After, so the figure is the emulator's
    own time for the operation (its latency included: at least the PUT and one read), not a client's
    polling interval.
    """
    t0 = time.perf_counter()
    initial = start()
    done = getattr(initial, "provisioning_state", None) in TERMINAL
    deadline = t0 + timeout_s
    while not done:
        if time.perf_counter() > deadline:
            raise RuntimeError("probe operation did not finish")
        time.sleep(POLL_S)
        done = state() in TERMINAL
    return time.perf_counter() - t0


def probe(emu: Emulator) -> dict[str, float]:
    """Create one gallery, definition and version shaped as the estate's; return seconds per kind.

    Bodies are ARM REST JSON (azure-mgmt-compute 39 sends a dict body as given).

    Keys: gallery, definition, version. The version has the estate's 3 target regions, so its time is
    the emulator's replication of all of them.
    """
    from azure.mgmt.compute import ComputeManagementClient

    from reconciler.emulator.testing import ARM_SCOPE, EmulatorCredential

    emu.admin.seed({"resourceGroups": [{"name": PROBE_GROUP, "location": estates.LOCATION}]})
    client = ComputeManagementClient(
        EmulatorCredential(),
        "00000000-0000-0000-0000-000000000000",
        base_url=emu.url,
        connection_verify=str(emu.ca_path),
        credential_scopes=[ARM_SCOPE],
    )
    rg, gallery, image = PROBE_GROUP, "benchProbeGallery", "probeImage"
    source = (
        f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/{estates.RESOURCE_GROUP}"
        f"/providers/Microsoft.Compute/images/{estates.SOURCE_IMAGE}"
    )
    regions = []
    for spec in estates.TARGET_REGIONS:
        name, _, count = spec.partition("=")
        regions.append({"name": name, "regionalReplicaCount": int(count or 1)})
    times = {
        "gallery": _timed(
            lambda: client.galleries.begin_create_or_update(
                rg, gallery, {"location": estates.LOCATION}, polling=False
            ).result(),
            lambda: client.galleries.get(rg, gallery).provisioning_state,
        ),
        "definition": _timed(
            lambda: client.gallery_images.begin_create_or_update(
                rg,
                gallery,
                image,
                {
                    "location": estates.LOCATION,
                    "properties": {
                        "osType": "Linux",
                        "osState": "Generalized",
                        "hyperVGeneration": "V2",
                        "identifier": {"publisher": "bench", "offer": "probe", "sku": "probe"},
                    },
                },
                polling=False,
            ).result(),
            lambda: client.gallery_images.get(rg, gallery, image).provisioning_state,
        ),
        "version": _timed(
            lambda: client.gallery_image_versions.begin_create_or_update(
                rg,
                gallery,
                image,
                "1.0.0",
                {
                    "location": estates.LOCATION,
                    "properties": {
                        "storageProfile": {"source": {"id": source}},
                        "publishingProfile": {"targetRegions": regions, "replicaCount": 1},
                    },
                },
                polling=False,
            ).result(),
            lambda: client.gallery_image_versions.get(rg, gallery, image, "1.0.0").provisioning_state,
        ),
    }
    client.close()
    return {kind: round(seconds, 4) for kind, seconds in times.items()}


def ideal(estate: estates.Estate, op_seconds: dict[str, float], parallelism: int) -> dict[str, Any]:
    """Seconds an apply from empty needs at best: per level, ceil(n / parallelism) waves of one operation's time.

    Reads before the writes, process start-up and rendering are not in it: it is the floor the writes set.
    """
    levels = {
        "gallery": estate.galleries,
        "definition": estate.total_definitions,
        "version": estate.total_versions,
    }
    waves = {kind: math.ceil(n / parallelism) for kind, n in levels.items()}
    seconds = sum(waves[kind] * op_seconds[kind] for kind in levels)
    return {"seconds": round(seconds, 3), "waves": waves, "operationSeconds": op_seconds, "parallelism": parallelism}
