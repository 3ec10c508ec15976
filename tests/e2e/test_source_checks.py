"""Plan-time source checks against the emulator: what Azure would refuse is refused by the plan, with the
manifest's file:line, and nothing is written; the valid variant applies and re-plans empty."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli, changed

pytestmark = pytest.mark.e2e

RG = "platform-images"
SOURCES = {
    "images": [
        {
            "resourceGroup": RG,
            "name": "gen1-image",
            "location": "westeurope",
            "osType": "Linux",
            "osState": "Generalized",
            "hyperVGeneration": "V1",
        },
        {
            "resourceGroup": RG,
            "name": "far-image",
            "location": "eastus",
            "osType": "Linux",
            "osState": "Generalized",
            "hyperVGeneration": "V2",
        },
        {
            "resourceGroup": RG,
            "name": "win-image",
            "location": "westeurope",
            "osType": "Windows",
            "osState": "Generalized",
            "hyperVGeneration": "V2",
        },
    ],
    "snapshots": [
        {
            "resourceGroup": RG,
            "name": "huge-snap",
            "location": "westeurope",
            "osType": "Linux",
            "hyperVGeneration": "V2",
            "diskSizeGB": 3000,
        },
    ],
}


def estate(workdir: Path, source: str, *, definition: str = "hyperVGeneration: V2", extra: str = "") -> str:
    path = workdir / "estate.yaml"
    path.write_text(
        f"""\
apiVersion: gallery-reconciler/v1
scope: {{resourceGroup: {RG}, location: westeurope}}
galleries:
  gal:
    definitions:
      ubuntu:
        identifier: {{publisher: acme, offer: ubuntu, sku: jammy}}
        osType: Linux
        osState: Generalized
        {definition}
        versions:
          "1.0.0":
            source: {source}
            targetRegions: [westeurope]
            {extra}
""",
        encoding="utf-8",
    )
    return str(path)


def refused(run: Cli, path: str, *fragments: str) -> str:
    before = run.compute().galleries.list_by_resource_group(RG)
    assert [g.name for g in before] == []
    plan = run("plan", path, expect=1)
    text = plan.stdout + plan.stderr
    for fragment in fragments:
        assert fragment in text, text
    applied = run("apply", "--auto-approve", path, expect=1)
    assert "nothing was changed" in applied.stdout + applied.stderr
    assert [g.name for g in run.compute().galleries.list_by_resource_group(RG)] == [], "apply wrote something"
    return text


def test_a_misspelt_source_is_refused_at_its_line_and_nothing_is_written(run: Cli) -> None:
    path = estate(run.workdir, "{managedImage: {resourceGroup: platform-images, name: ubuntu-bsae}}")
    text = refused(run, path, f"{path}:13:13:", "images/ubuntu-bsae does not exist")
    assert "Azure would refuse 1 of these changes" in text


def test_an_unset_generation_against_a_gen1_source_says_to_set_v1_then_applies(run: Cli) -> None:
    source = "{managedImage: {resourceGroup: platform-images, name: gen1-image}}"
    run.admin.seed(SOURCES)
    text = refused(
        run,
        estate(run.workdir, source, definition="description: unset generation"),
        "Hyper-V generation V1",
        "set hyperVGeneration: V1 on definition gal/ubuntu",
    )
    assert "unset, which Azure takes as V2" in text
    fixed = estate(run.workdir, source, definition="hyperVGeneration: V1")
    run("apply", "--auto-approve", fixed)
    assert changed(run.plan_json(fixed)) == {}


def test_a_source_in_another_region_and_another_os_are_refused(run: Cli) -> None:
    run.admin.seed(SOURCES)
    refused(
        run,
        estate(run.workdir, "{managedImage: {resourceGroup: platform-images, name: far-image}}"),
        "is in eastus, but the version is created in westeurope",
    )
    refused(
        run,
        estate(run.workdir, "{managedImage: {resourceGroup: platform-images, name: win-image}}"),
        "the source's OS type is Windows, the definition's Linux",
    )


def test_a_source_too_big_for_full_replication_warns_and_shallow_is_quiet(run: Cli) -> None:
    run.admin.seed(SOURCES)
    source = "{snapshot: {resourceGroup: platform-images, name: huge-snap}}"
    full = run.plan_json(estate(run.workdir, source))
    (problem,) = full["problems"]
    assert problem["severity"] == "warning" and "3000 GB" in problem["message"]
    assert "replicationMode: Shallow" in problem["hint"]
    shallow = run.plan_json(estate(run.workdir, source, extra="replicationMode: Shallow"))
    assert shallow["problems"] == []


def test_what_a_vhd_cannot_tell_is_said_plainly(run: Cli) -> None:
    source = (
        "{vhd: {uri: 'https://imagevhds.blob.core.windows.net/vhds/ubuntu.vhd', "
        "storageAccount: {resourceGroup: platform-images, name: imagevhds}}}"
    )
    plan = run.plan_json(estate(run.workdir, source))
    version = next(r for r in plan["resources"] if r["address"] == "gal/ubuntu/1.0.0")
    assert [n["code"] for n in version["notes"]] == ["source-not-checked"]
    assert plan["problems"] == []


def test_a_source_version_given_by_id_that_is_still_replicating_is_waited_for_as_planned(
    emulated: Any, tmp_path: Path
) -> None:
    # Long enough that the source is still replicating when the promoted apply starts, even on a loaded machine.
    with emulated(replication_seconds=10) as run:
        staging = estate(tmp_path, "{managedImage: {resourceGroup: platform-images, name: ubuntu-base}}")
        run("apply", "--auto-approve", "--no-wait", staging)
        source_id = (
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/platform-images/providers/"
            "Microsoft.Compute/galleries/gal/images/ubuntu/versions/1.0.0"
        )
        promoted = tmp_path / "promoted.yaml"
        promoted.write_text(
            Path(staging)
            .read_text()
            .replace("gal:", "prod:")
            .replace(
                "{managedImage: {resourceGroup: platform-images, name: ubuntu-base}}",
                f"{{galleryImageVersion: '{source_id}'}}",
            ),
            encoding="utf-8",
        )
        plan = run.plan_json(str(promoted))
        version = next(r for r in plan["resources"] if r["address"] == "prod/ubuntu/1.0.0")
        assert [n["code"] for n in version["notes"]] == ["waits-for-source"]
        assert plan["summary"]["add"] == 3
        result = run("apply", "--auto-approve", str(promoted))
        assert "waiting for the replication of source" in result.stdout
        assert "Apply: 3 succeeded" in result.stdout  # the plan's 3 to add, no unplanned step


def test_regions_are_checked_against_the_subscriptions_own_list(run: Cli) -> None:
    source = "{managedImage: {resourceGroup: platform-images, name: ubuntu-base}}"
    path = run.workdir / "estate.yaml"
    path.write_text(
        Path(estate(run.workdir, source))
        .read_text()
        .replace("targetRegions: [westeurope]", "targetRegions: [westeurope, centraluseuap=1=premium_lrs]"),
        encoding="utf-8",
    )
    assert run.plan_json(str(path))["problems"] == []  # an early-access region the subscription lists
    path.write_text(path.read_text().replace("centraluseuap=1=premium_lrs", "westus9"), encoding="utf-8")
    validated = run("validate", str(path))
    assert "unknown Azure region 'westus9'" in validated.stdout + validated.stderr  # offline: only a warning
    refused(run, str(path), "the subscription has no region westus9", f"{path}:14:13:")


def test_removing_or_moving_a_declared_data_disk_plans_a_replacement_naming_it(run: Cli) -> None:
    os_snap = "{snapshot: {resourceGroup: platform-images, name: ubuntu-os-snap}}"
    disks = (
        "dataDisks:\n"
        "              - {lun: 0, source: {snapshot: {resourceGroup: platform-images, name: data-snap-1}}}\n"
        "              - {lun: 1, source: {disk: {resourceGroup: platform-images, name: data-disk-1}}}"
    )
    path = estate(run.workdir, os_snap, extra=disks)
    run("apply", "--auto-approve", path)
    assert changed(run.plan_json(path)) == {}
    one = estate(run.workdir, os_snap, extra=disks.rsplit("\n", 1)[0])
    version = next(r for r in run.plan_json(one)["resources"] if r["address"] == "gal/ubuntu/1.0.0")
    assert version["action"] == "replace"
    assert [c["path"] for c in version["changes"]] == ["storageProfile.dataDiskImages[lun=1]"]
    moved = estate(run.workdir, os_snap, extra=disks.replace("lun: 1", "lun: 2"))
    version = next(r for r in run.plan_json(moved)["resources"] if r["address"] == "gal/ubuntu/1.0.0")
    assert version["action"] == "replace"
    assert sorted(c["path"] for c in version["changes"]) == [
        "storageProfile.dataDiskImages[lun=1]",
        "storageProfile.dataDiskImages[lun=2].source",
    ]


def test_target_regions_without_the_sources_region_are_refused_by_the_plan(run: Cli) -> None:
    path = estate(run.workdir, "{managedImage: {resourceGroup: platform-images, name: ubuntu-base}}")
    Path(path).write_text(
        Path(path).read_text().replace("targetRegions: [westeurope]", "targetRegions: [northeurope]"), encoding="utf-8"
    )
    refused(run, path, "the target regions do not include the source's region westeurope", f"{path}:14:13:")
