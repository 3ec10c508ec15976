"""Generated estates for request-count tests and benchmarks: G galleries x D definitions x V versions."""

from __future__ import annotations

from pathlib import Path


def write_estate(
    directory: Path, galleries: int, definitions: int, versions: int, resource_group: str = "platform-images"
) -> Path:
    """One file per gallery, as large estates split them; versions from the demo seed's managed image."""
    directory.mkdir(parents=True, exist_ok=True)
    for g in range(galleries):
        lines = [
            "apiVersion: gallery-reconciler/v1",
            f"scope: {{resourceGroup: {resource_group}, location: westeurope}}",
            "galleries:",
            f"  gallery{g}:",
            "    definitions:",
        ]
        for d in range(definitions):
            lines += [
                f"      image{d}:",
                f"        identifier: {{publisher: acme, offer: offer{d}, sku: sku{d}}}",
                "        osType: Linux",
                "        osState: Generalized",
                "        hyperVGeneration: V2",
                "        versions:",
            ]
            for v in range(versions):
                lines += [
                    f'          "1.0.{v}":',
                    "            source: {managedImage: {resourceGroup: platform-images, name: ubuntu-base}}",
                    "            targetRegions: [westeurope, northeurope=2]",
                ]
        (directory / f"gallery{g}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory
