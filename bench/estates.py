"""Generated estates: G galleries x D definitions x V versions, 3 target regions per version, one file per gallery."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

RESOURCE_GROUP = "platform-images"  # in the emulator's demo seed, with the managed image the versions use
LOCATION = "westeurope"
SOURCE_IMAGE = "ubuntu-base"
# Replicated one after another by the emulator (the source's region first), so a version takes 3 x --replication.
TARGET_REGIONS = ("westeurope", "northeurope=2", "uksouth")
PAGE_SIZE = 100  # the emulator's default page size, as ARM pages gallery lists


@dataclass(frozen=True)
class Estate:
    """A benchmark estate's shape; `name` is S, L, XL or GxDxV."""

    name: str
    galleries: int
    definitions: int  # per gallery
    versions: int  # per definition

    @property
    def total_definitions(self) -> int:
        return self.galleries * self.definitions

    @property
    def total_versions(self) -> int:
        return self.galleries * self.definitions * self.versions

    @property
    def resources(self) -> int:
        """Galleries + definitions + versions: the GETs a tool that reads each resource needs."""
        return self.galleries + self.total_definitions + self.total_versions

    @property
    def read_round_trips(self) -> int:
        """Sequential round trips a plan's reads need at best: each level's lists in one wave, pages in turn."""
        return sum(math.ceil(n / PAGE_SIZE) for n in (self.galleries, self.definitions, self.versions))

    def shape(self) -> dict[str, int]:
        return {
            "galleries": self.galleries,
            "definitionsPerGallery": self.definitions,
            "versionsPerDefinition": self.versions,
            "targetRegionsPerVersion": len(TARGET_REGIONS),
            "definitions": self.total_definitions,
            "versions": self.total_versions,
            "resources": self.resources,
        }


NAMED = {
    "S": Estate("S", 1, 2, 5),
    "L": Estate("L", 10, 10, 10),
    "XL": Estate("XL", 20, 25, 20),  # slow: 10,000 versions
}


def parse(name: str) -> Estate:
    """S, L, XL, or an explicit GxDxV such as 3x4x5; ValueError for anything else."""
    key = name.strip()
    if key.upper() in NAMED:
        return NAMED[key.upper()]
    match = re.fullmatch(r"(\d+)x(\d+)x(\d+)", key)
    if not match or min(int(g) for g in match.groups()) < 1:
        raise ValueError(f"unknown estate {name!r}: use S, L, XL or GxDxV (e.g. 3x4x5)")
    g, d, v = (int(x) for x in match.groups())
    return Estate(key, g, d, v)


def write(estate: Estate, directory: Path) -> Path:
    """Write the estate's manifests into `directory` (one YAML file per gallery) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    regions = ", ".join(TARGET_REGIONS)
    for g in range(estate.galleries):
        lines = [
            "apiVersion: gallery-reconciler/v1",
            f"scope: {{resourceGroup: {RESOURCE_GROUP}, location: {LOCATION}}}",
            "galleries:",
            f"  benchGallery{g}:",
            "    definitions:",
        ]
        for d in range(estate.definitions):
            lines += [
                f"      image{d}:",
                f"        identifier: {{publisher: bench, offer: offer{d}, sku: sku{d}}}",
                "        osType: Linux",
                "        osState: Generalized",
                "        hyperVGeneration: V2",
                "        versions:",
            ]
            for v in range(estate.versions):
                lines += [
                    f'          "1.0.{v}":',
                    f"            source: {{managedImage: {{resourceGroup: {RESOURCE_GROUP}, name: {SOURCE_IMAGE}}}}}",
                    f"            targetRegions: [{regions}]",
                ]
        (directory / f"gallery{g}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory
