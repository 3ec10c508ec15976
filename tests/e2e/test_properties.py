"""Property: for generated manifests, an estate created directly through the SDK plans to zero changes.

The SDK bodies are written here by hand, the way a user of the SDK or the portal would write them
(any region spelling, defaults left to Azure), not by the tool's own serialiser: the property checks
that reading, normalising and diffing agree with what the service stored.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli import cli
from reconciler.emulator import DEMO_SEED, EmulatorServer
from reconciler.emulator.testing import admin, emulator_server, make_compute_client

pytestmark = pytest.mark.e2e

RG = "platform-images"
IMAGE = f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/{RG}/providers/Microsoft.Compute/images/"
SPELLINGS = {
    "westeurope": ["westeurope", "West Europe", "WestEurope"],
    "northeurope": ["northeurope", "North Europe", "NORTHEUROPE"],
    "eastus": ["eastus", "East US", "EastUS"],
    "swedencentral": ["swedencentral", "Sweden Central"],
}
_names = itertools.count()


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    with emulator_server(seed=DEMO_SEED) as server:
        yield server


regions = st.lists(st.sampled_from(sorted(set(SPELLINGS) - {"westeurope"})), unique=True, max_size=3).map(
    lambda r: ["westeurope", *r]
)


@st.composite
def version_specs(draw: st.DrawFn) -> dict[str, Any]:
    chosen = draw(regions)
    return {
        "regions": [
            {
                "name": draw(st.sampled_from(SPELLINGS[r])),
                "replicas": draw(st.none() | st.integers(1, 5)),
                "storage": draw(st.none() | st.sampled_from(["Standard_LRS", "Standard_ZRS", "Premium_LRS"])),
            }
            for r in draw(st.permutations(chosen))
        ],
        "replicaCount": draw(st.none() | st.integers(1, 3)),
        "excludeFromLatest": draw(st.none() | st.booleans()),
        "tags": draw(
            st.dictionaries(
                st.sampled_from(["team", "stage", "build"]), st.text("abc123", min_size=1, max_size=5), max_size=2
            )
        ),
    }


@st.composite
def estates(draw: st.DrawFn) -> dict[str, Any]:
    definitions = {}
    for d in range(draw(st.integers(1, 2))):
        names = draw(
            st.lists(
                st.tuples(st.integers(0, 3), st.integers(0, 12), st.integers(0, 99)),
                min_size=1,
                max_size=3,
                unique=True,
            )
        )
        definitions[f"def{d}"] = {
            "hyperVGeneration": draw(st.sampled_from([None, "V2"])),
            "description": draw(st.none() | st.text("abc ", min_size=1, max_size=8).map(str.strip).filter(bool)),
            "versions": {".".join(map(str, n)): draw(version_specs()) for n in names},
        }
    n = next(_names)
    return {"gallery": f"prop{n}", "group": f"prop-rg-{n}", "definitions": definitions}


def create_with_sdk(emu: EmulatorServer, estate: dict[str, Any]) -> None:
    client = make_compute_client(emu)
    rg = estate["group"]  # one group per example, so examples never see each other's galleries
    admin(emu).seed({"resourceGroups": [{"name": rg, "location": "westeurope"}]})
    owned = {"gallery-reconciler": "managed"}
    client.galleries.begin_create_or_update(rg, estate["gallery"], {"location": "westeurope", "tags": owned}).result()
    for name, spec in estate["definitions"].items():
        props: dict[str, Any] = {
            "osType": "Linux",
            "osState": "Generalized",
            "identifier": {"publisher": "acme", "offer": estate["gallery"], "sku": name},
        }
        if spec["hyperVGeneration"]:
            props["hyperVGeneration"] = spec["hyperVGeneration"]
        if spec["description"]:
            props["description"] = spec["description"]
        client.gallery_images.begin_create_or_update(
            rg, estate["gallery"], name, {"location": "westeurope", "tags": owned, "properties": props}
        ).result()
        for version, v in spec["versions"].items():
            targets = []
            for r in v["regions"]:
                entry: dict[str, Any] = {"name": r["name"]}
                if r["replicas"] is not None:
                    entry["regionalReplicaCount"] = r["replicas"]
                if r["storage"]:
                    entry["storageAccountType"] = r["storage"]
                targets.append(entry)
            publishing: dict[str, Any] = {"targetRegions": targets}
            if v["replicaCount"] is not None:
                publishing["replicaCount"] = v["replicaCount"]
            if v["excludeFromLatest"] is not None:
                publishing["excludeFromLatest"] = v["excludeFromLatest"]
            client.gallery_image_versions.begin_create_or_update(
                rg,
                estate["gallery"],
                name,
                version,
                {
                    "location": "westeurope",
                    "tags": {**v["tags"], **owned},
                    "properties": {
                        "publishingProfile": publishing,
                        "storageProfile": {"source": {"id": IMAGE + "ubuntu-base"}},
                    },
                },
            ).result()


def manifest(estate: dict[str, Any]) -> dict[str, Any]:
    definitions = {}
    for name, spec in estate["definitions"].items():
        d: dict[str, Any] = {
            "identifier": {"publisher": "acme", "offer": estate["gallery"], "sku": name},
            "osType": "Linux",
            "osState": "Generalized",
            "versions": {},
        }
        if spec["hyperVGeneration"]:
            d["hyperVGeneration"] = spec["hyperVGeneration"]
        if spec["description"]:
            d["description"] = spec["description"]
        for version, v in spec["versions"].items():
            targets = []
            for r in v["regions"]:
                shorthand = r["name"]
                if r["replicas"] is not None or r["storage"]:
                    targets.append(
                        {
                            k: val
                            for k, val in (
                                ("name", r["name"]),
                                ("replicas", r["replicas"]),
                                ("storageAccountType", r["storage"]),
                            )
                            if val is not None
                        }
                    )
                else:
                    targets.append(shorthand)
            entry: dict[str, Any] = {
                "source": {"managedImage": {"resourceGroup": RG, "name": "ubuntu-base"}},
                "targetRegions": targets,
            }
            for key in ("replicaCount", "excludeFromLatest"):
                if v[key] is not None:
                    entry[key] = v[key]
            if v["tags"]:
                entry["tags"] = v["tags"]
            d["versions"][version] = entry
        definitions[name] = d
    return {
        "apiVersion": "gallery-reconciler/v1",
        "scope": {"resourceGroup": estate["group"], "location": "westeurope"},
        "galleries": {estate["gallery"]: {"definitions": definitions}},
    }


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(estate=estates())
def test_an_estate_created_through_the_sdk_plans_to_zero_changes(
    emu: EmulatorServer, tmp_path_factory: Any, estate: dict[str, Any]
) -> None:
    create_with_sdk(emu, estate)
    folder = Path(tmp_path_factory.mktemp("estate"))
    (folder / "estate.yaml").write_text(yaml.safe_dump(manifest(estate), sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["plan", "--json", "--endpoint", emu.url, "--ca-bundle", str(emu.ca_path), str(folder)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    changes = {r["address"]: (r["action"], r["changes"]) for r in plan["resources"] if r["action"] != "no-op"}
    assert changes == {}
    assert plan["summary"]["noop"] == 1 + sum(1 + len(s["versions"]) for s in estate["definitions"].values())


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(estate=estates())
def test_apply_then_plan_is_empty(emu: EmulatorServer, tmp_path_factory: Any, estate: dict[str, Any]) -> None:
    admin(emu).seed({"resourceGroups": [{"name": estate["group"], "location": "westeurope"}]})
    folder = Path(tmp_path_factory.mktemp("estate"))
    (folder / "estate.yaml").write_text(yaml.safe_dump(manifest(estate), sort_keys=False), encoding="utf-8")
    target = ["--endpoint", emu.url, "--ca-bundle", str(emu.ca_path)]
    applied = CliRunner().invoke(
        cli, ["apply", *target, "--auto-approve", "--journal", "", str(folder)], catch_exceptions=False
    )
    assert applied.exit_code == 0, applied.output
    planned = CliRunner().invoke(cli, ["plan", "--json", *target, str(folder)], catch_exceptions=False)
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.stdout)
    assert {r["address"]: r["action"] for r in plan["resources"] if r["action"] != "no-op"} == {}
