"""The rule that versions made from versions in the same manifests form no cycle (apply could never start them)."""

from __future__ import annotations

import graphlib

from reconciler.manifest.bundle import Declared, ManifestBundle
from reconciler.manifest.rules import Reporter


def _source_address(version: Declared) -> str | None:
    source = version.props.get("source")
    reference = source.get("galleryImageVersion") if isinstance(source, dict) else None
    if isinstance(reference, dict) and isinstance(reference.get("address"), str):
        return reference["address"]
    return None


def check_promotion_cycles(report: Reporter, bundle: ManifestBundle) -> None:
    """Report each version of a source cycle (1.0.0 <- 2.0.0 <- 1.0.0) at its `source`, naming the whole cycle."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    nodes: dict[str, Declared] = {}
    for version in bundle.versions():
        key = version.address.lower()
        nodes[key] = version
        address = _source_address(version)
        target = bundle.find(address) if address else None
        if target is not None and target is not version:
            sorter.add(key, target.address.lower())
        else:
            sorter.add(key)
    try:
        sorter.prepare()
    except graphlib.CycleError as err:
        cycle = list(dict.fromkeys(err.args[1]))
        names = " <- ".join(nodes[k].address for k in [*cycle, cycle[0]])
        for key in cycle:
            report.at(
                nodes[key],
                "source",
                message=f"versions are made from each other in a cycle ({names}); apply could never start them",
                hint="make the first version of the chain from a VM, image, snapshot, disk or VHD",
            )
