"""Property: however an estate is split over files, it builds the same desired state."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.core.model import DesiredState
from reconciler.manifest import build_desired_state, load_manifests

from .conftest import NOW

REGIONS = ["westeurope", "northeurope", "eastus2", "uksouth"]


@st.composite
def estates(draw: st.DrawFn) -> dict[str, Any]:
    galleries: dict[str, Any] = {}
    for g in range(draw(st.integers(1, 2))):
        definitions: dict[str, Any] = {}
        for d in range(draw(st.integers(1, 3))):
            versions = {
                f"1.{v}.0": {
                    "source": {"managedImage": {"resourceGroup": "images", "name": f"img{v}"}},
                    "targetRegions": ["westeurope", *draw(st.lists(st.sampled_from(REGIONS[1:]), unique=True))],
                    "tags": {"v": str(v)},
                }
                for v in range(draw(st.integers(1, 3)))
            }
            definitions[f"def{d}"] = {
                "identifier": {"publisher": "p", "offer": f"o{d}", "sku": "s"},
                "osType": draw(st.sampled_from(["Linux", "Windows"])),
                "osState": "Generalized",
                "hyperVGeneration": "V2",
                "versions": versions,
            }
        galleries[f"gallery{g}"] = {"description": f"g{g}", "definitions": definitions}
    return galleries


def _load(files: dict[str, Any]) -> DesiredState:
    with tempfile.TemporaryDirectory() as tmp:
        for name, document in files.items():
            (Path(tmp) / name).write_text(yaml.safe_dump(document, sort_keys=False))
        bundle, diags = load_manifests([tmp], env={}, now=NOW)
        assert not diags, [str(d) for d in diags]
        state, built = build_desired_state(bundle)
        assert not built
        return state


SCOPE = {"resourceGroup": "rg", "location": "westeurope", "tags": {"env": "test"}}


@settings(max_examples=25, deadline=None)
@given(estate=estates(), data=st.data())
def test_splitting_an_estate_over_files_changes_nothing(estate: dict[str, Any], data: st.DataObject) -> None:
    whole = _load({"all.yaml": {"apiVersion": "gallery-reconciler/v1", "scope": SCOPE, "galleries": estate}})
    files: dict[str, Any] = {}
    for gname, gallery in estate.items():
        files[f"{gname}.yaml"] = {
            "apiVersion": "gallery-reconciler/v1",
            "scope": SCOPE,
            "galleries": {gname: {"description": gallery["description"]}},
        }
        for dname, definition in gallery["definitions"].items():
            for vname, version in definition["versions"].items():
                # each version lands in the definition's file or a file of its own
                own = data.draw(st.booleans())
                name = f"{gname}-{dname}-{vname}.yaml" if own else f"{gname}-{dname}.yaml"
                doc = files.setdefault(name, {"apiVersion": "gallery-reconciler/v1", "galleries": {gname: {}}})
                target = doc["galleries"][gname].setdefault("definitions", {}).setdefault(dname, {})
                target.setdefault("versions", {})[vname] = version
            head = {k: v for k, v in definition.items() if k != "versions"}
            files.setdefault(f"{gname}-{dname}.yaml", {"apiVersion": "gallery-reconciler/v1", "galleries": {gname: {}}})
            defs = files[f"{gname}-{dname}.yaml"]["galleries"][gname].setdefault("definitions", {})
            defs.setdefault(dname, {}).update(head)
    split = _load(files)
    assert split == whole
    assert [v.address for v in split.versions] == [v.address for v in whole.versions]
