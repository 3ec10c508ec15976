"""`reconcile export` end to end: adopting a hand-made estate, the layouts, and every bad input (nothing written)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import Cli
from tests.e2e.sdk_estates import DATA_SOURCES, SOURCES_SEED, create_with_sdk

pytestmark = pytest.mark.e2e

LATER = "2035-01-01T00:00:00+00:00"


def version(source: str, regions: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "source": source,
        "from": None,
        "osDiskHostCaching": None,
        "dataDisks": [],
        "regions": regions,
        "replicaCount": None,
        "excludeFromLatest": None,
        "endOfLifeDate": None,
        "shallow": False,
        "allowDeletion": None,
        "blockDeletion": None,
        "tags": {},
    }
    return {**spec, **extra}


def definition(versions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "location": "westeurope",
        "osState": "Generalized",
        "hyperVGeneration": "V2",
        "features": {},
        "purchasePlan": None,
        "description": None,
        "eula": None,
        "releaseNoteUri": None,
        "endOfLifeDate": None,
        "recommended": None,
        "disallowed": None,
        "tags": {},
        "versions": versions,
    }
    return {**spec, **extra}


HAND_MADE: dict[str, Any] = {
    "gallery": "packer",
    "group": "packer-rg",
    "owned": False,
    "description": "Made by Packer",
    "softDelete": None,
    "tags": {"owner": "platform"},
    "definitions": {
        "ubuntu": definition(
            {
                "1.0.0": version(
                    "managedImage",
                    [{"name": "West Europe", "regionalReplicaCount": 2}, {"name": "northeurope"}],
                    tags={"build": "41"},
                ),
                "1.1.0": version(
                    "snapshot",
                    [{"name": "westeurope", "excludeFromLatest": True}, {"name": "ukwest"}],
                    dataDisks=[{"lun": 1, "source": {"id": DATA_SOURCES["snapshot"]}}],
                    endOfLifeDate=LATER,
                ),
            },
            features={"SecurityType": "TrustedLaunch"},
            description="Ubuntu 22.04",
        ),
        "windows": definition(
            {
                "2024.1.0": version(
                    "managedImageWithData", [{"name": "westeurope", "storageAccountType": "Premium_LRS"}]
                )
            },
            purchasePlan={"name": "p", "product": "q", "publisher": "r"},
        ),
    },
}


def hand_made(run: Cli) -> None:
    run.admin.seed(SOURCES_SEED)
    create_with_sdk(run.emu, HAND_MADE)


def bodies(run: Cli) -> dict[str, Any]:
    """Every resource of the hand-made estate as Azure reports it, without tags and volatile fields."""
    client, group, name = run.compute(), HAND_MADE["group"], HAND_MADE["gallery"]

    def clean(obj: Any) -> dict[str, Any]:
        body = obj.as_dict()
        body.pop("tags", None)
        props = body.get("properties", {})
        props.pop("provisioningState", None)
        regions = props.get("publishingProfile", {}).get("targetRegions")
        if regions:  # a set: Azure keeps the order of the last request
            regions.sort(key=lambda r: r["name"])
        return body

    out = {name: clean(client.galleries.get(group, name))}
    for d in HAND_MADE["definitions"]:
        out[f"{name}/{d}"] = clean(client.gallery_images.get(group, name, d))
        for v in client.gallery_image_versions.list_by_gallery_image(group, name, d):
            out[f"{name}/{d}/{v.name}"] = clean(v)
    return out


def plan(run: Cli, folder: Path, *extra: str) -> dict[str, Any]:
    return json.loads(run("plan", "--json", *extra, str(folder), expect=None).stdout)


def test_adopting_a_hand_made_estate_adds_the_ownership_tags_and_nothing_else(run: Cli) -> None:
    hand_made(run)
    before = bodies(run)

    # Exported without --adopt: the plan names every resource that exists unowned, and apply leaves them alone.
    run("export", "-g", "packer-rg", "-o", "plain")
    unadopted = plan(run, Path("plain"))
    assert {r["address"] for r in unadopted["resources"]} == set(before)
    for change in unadopted["resources"]:
        assert change["action"] == "update" and change["blocked"]["code"] == "not-adopted"
        assert "settings.adopt: true" in change["blocked"]["message"]
    assert run("plan", "--detailed-exitcode", "plain", expect=3)
    text = run("plan", "plain").output
    assert "exists without the gallery-reconciler tag" in text and "blocked: reconcile did not create it" in text

    # Exported with --adopt: one in-place tag update per resource, shown in the plan.
    exported = run("export", "-g", "packer-rg", "-o", "adopt", "--adopt")
    assert "6 resources carry no gallery-reconciler tag; settings.adopt: true is written" in exported.output
    manifest = yaml.safe_load((Path("adopt") / "packer.yaml").read_text())
    assert manifest["settings"] == {"adopt": True}
    adopting = plan(run, Path("adopt"))
    assert len(adopting["resources"]) == 6 and adopting["summary"]["change"] == 6
    for change in adopting["resources"]:
        assert change["reason"]["code"] == "adopt" and change.get("blocked") is None
        assert change["changes"] == [{"path": "tags.gallery-reconciler", "before": None, "after": "managed"}]
    text = run("plan", "adopt").output
    assert '+ tags.gallery-reconciler: "managed"' in text and "adopted" in text

    run("apply", "--auto-approve", "adopt")
    assert bodies(run) == before  # nothing but tags changed
    client = run.compute()
    tags = client.gallery_image_versions.get("packer-rg", "packer", "ubuntu", "1.0.0").tags
    assert tags["gallery-reconciler"] == "managed" and tags["build"] == "41"
    summary = plan(run, Path("adopt"))["summary"]
    assert summary["noop"] == 6 and sum(summary.values()) == 6
    # Now owned: a fresh export needs no adoption and plans to nothing.
    again = run("export", "-g", "packer-rg", "-o", "again")
    assert "gallery-reconciler tag" not in again.output
    assert "settings" not in yaml.safe_load((Path("again") / "packer.yaml").read_text())
    assert plan(run, Path("again"))["summary"]["noop"] == 6


def test_the_definition_layout_writes_a_file_per_definition(run: Cli) -> None:
    hand_made(run)
    run("export", "-g", "packer-rg", "-o", "out", "--layout", "definition", "--adopt")
    files = sorted(str(p.relative_to("out")) for p in Path("out").rglob("*.yaml"))
    assert files == ["packer/gallery.yaml", "packer/ubuntu.yaml", "packer/windows.yaml"]
    gallery = yaml.safe_load(Path("out/packer/gallery.yaml").read_text())
    assert gallery["scope"] == {"resourceGroup": "packer-rg", "location": "westeurope"}
    assert gallery["galleries"] == {"packer": {"description": "Made by Packer", "tags": {"owner": "platform"}}}
    ubuntu = Path("out/packer/ubuntu.yaml").read_text()
    assert ubuntu.startswith("# yaml-language-server: $schema=")
    assert "scope" not in yaml.safe_load(ubuntu)
    assert plan(run, Path("out"))["summary"]["change"] == 6


def test_what_is_written_is_what_a_person_writes(run: Cli) -> None:
    hand_made(run)
    run("export", "-g", "packer-rg", "-o", "out")
    text = (Path("out") / "packer.yaml").read_text()
    schema_line, *_ = text.splitlines()
    schema = (Path("out") / schema_line.split("$schema=", 1)[1]).resolve()
    assert schema.name == "manifest.schema.json" and schema.is_file()
    doc = yaml.safe_load(text)
    ubuntu = doc["galleries"]["packer"]["definitions"]["ubuntu"]
    assert list(ubuntu) == [
        "identifier",
        "osType",
        "osState",
        "hyperVGeneration",
        "features",
        "description",
        "versions",
    ]
    v100 = ubuntu["versions"]["1.0.0"]
    assert v100 == {
        "source": {"managedImage": {"resourceGroup": "platform-images", "name": "ubuntu-base"}},
        "targetRegions": ["westeurope=2", "northeurope"],
        "tags": {"build": "41"},
    }
    v110 = ubuntu["versions"]["1.1.0"]
    assert v110["dataDisks"] == [
        {"lun": 1, "source": {"snapshot": {"resourceGroup": "platform-images", "name": "data-snap-1"}}}
    ]
    assert v110["targetRegions"] == [{"name": "westeurope", "excludeFromLatest": True}, "ukwest"]
    assert str(v110["endOfLifeDate"]) == "2035-01-01"
    windows = doc["galleries"]["packer"]["definitions"]["windows"]["versions"]["2024.1.0"]
    # The image brings two data disks: Azure reports them, but they are not settable, so not written.
    assert "dataDisks" not in windows
    assert windows["targetRegions"] == ["westeurope=1=Premium_LRS"]
    assert '"1.0.0":' in text and "location" not in doc["galleries"]["packer"]


def test_export_uses_the_embedded_emulator_by_default(run: Cli) -> None:
    result = run("export", "--target", "local", "-g", "myGalleryRG", "-o", "out", expect=1)
    assert "resource group myGalleryRG has no galleries; there is nothing to export" in result.output
    assert not Path("out").exists()


@pytest.mark.parametrize(
    ("args", "fault", "message"),
    [
        (["-g", "nowhere-rg"], None, "resource group nowhere-rg does not exist in subscription"),
        (["-g", "packer-rg", "--gallery", "nosuch"], None, "gallery nosuch is not in resource group packer-rg"),
        (
            ["-g", "packer-rg", "--gallery", "packer", "--gallery", "Packer"],
            None,
            "--gallery Packer is given twice",
        ),
        (
            ["-g", "packer-rg"],
            r"GET .*/images/ubuntu/versions$",
            "the RBAC action 'Microsoft.Compute/galleries/images/versions/read'",
        ),
    ],
    ids=["no-group", "no-gallery", "gallery-twice", "no-permission"],
)
def test_bad_input_gets_one_message_and_nothing_is_written(
    run: Cli, args: list[str], fault: str | None, message: str
) -> None:
    hand_made(run)
    if fault:
        run.admin.faults(next403=1, match=fault)
    result = run("export", *args, "-o", "out", expect=1)
    assert message in result.output
    assert not Path("out").exists()


def test_an_output_folder_with_manifests_is_refused_unless_forced(run: Cli) -> None:
    hand_made(run)
    Path("out").mkdir()
    (Path("out") / "mine.yaml").write_text("apiVersion: gallery-reconciler/v1\n")
    refused = run("export", "-g", "packer-rg", "-o", "out", expect=1)
    assert "already holds 1 manifest file(s)" in refused.output and "--force" in refused.output
    assert sorted(p.name for p in Path("out").iterdir()) == ["mine.yaml"]
    forced = run("export", "-g", "packer-rg", "-o", "out", "--force")
    assert "1 other manifest file in out (not from this export) will be planned together with it" in forced.output
    assert sorted(p.name for p in Path("out").iterdir()) == ["mine.yaml", "packer.yaml"]


def test_only_the_named_galleries_are_exported_and_sources_outside_them_are_ids(run: Cli) -> None:
    hand_made(run)
    promoted = definition(
        {"1.0.0": version("galleryImageVersion", [{"name": "westeurope"}], **{"from": "packer/ubuntu/1.0.0"})}
    )
    create_with_sdk(run.emu, {**HAND_MADE, "gallery": "prod", "definitions": {"ubuntu": promoted}})
    run.admin.reset()
    run("export", "-g", "packer-rg", "--gallery", "PROD", "-o", "out", "--adopt")
    # one list of galleries, then only the chosen gallery's definitions and versions
    assert run.admin.requests()["byOperation"] == {
        "Galleries_ListByResourceGroup": 1,
        "GalleryImages_ListByGallery": 1,
        "GalleryImageVersions_ListByGalleryImage": 1,
    }
    assert [p.name for p in Path("out").iterdir()] == ["prod.yaml"]
    doc = yaml.safe_load((Path("out") / "prod.yaml").read_text())
    source = doc["galleries"]["prod"]["definitions"]["ubuntu"]["versions"]["1.0.0"]["source"]
    assert source == {
        "galleryImageVersion": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/packer-rg/"
        "providers/Microsoft.Compute/galleries/packer/images/ubuntu/versions/1.0.0"
    }
    assert {r["reason"]["code"] for r in plan(run, Path("out"))["resources"]} == {"adopt"}
