"""The real Azure CLI against the emulator: cloud register, login --identity, the quickstart's `az sig` commands,
disks and snapshots, a version from snapshots with data disks, the CLI's own update of a version, `az resource list`,
direct sharing (`az sig share add/remove/reset`, `az sig show --sharing-groups`, `az sig list-shared`) and a
community gallery with a soft-delete policy (`az sig share enable-community`).

Marked `azcli` and deselected by default (pyproject addopts), because az lives in its own venv that
`tests/emulator/install_az.sh` creates; `.ci/run` installs it and runs `pytest -m azcli`. When selected,
a missing az is a failure that says how to install it, never a silent skip.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import DEMO_SEED, EmulatorServer
from reconciler.emulator.testing import admin, emulator_server

pytestmark = pytest.mark.azcli
REPO = Path(__file__).resolve().parents[2]
VM_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myGalleryRG"
    "/providers/Microsoft.Compute/virtualMachines/myVM"
)


def _az_path() -> str:
    candidate = os.environ.get("RECONCILE_AZ_CLI") or str(REPO / ".ci" / "az-venv" / "bin" / "az")
    if not Path(candidate).is_file():
        pytest.fail(
            f"Azure CLI not found at {candidate}. Install it with `tests/emulator/install_az.sh` (own venv under "
            ".ci/az-venv, about a minute) or point RECONCILE_AZ_CLI at an az executable."
        )
    return candidate


@pytest.fixture
def az(tmp_path: Path) -> Iterator[Any]:
    executable = _az_path()
    with emulator_server(seed=DEMO_SEED, retry_after=1, replication_seconds=0.2) as srv:
        env = dict(
            os.environ,
            AZURE_CONFIG_DIR=str(tmp_path / "azconfig"),
            REQUESTS_CA_BUNDLE=str(srv.ca_path),
            IDENTITY_ENDPOINT=f"{srv.url}/msi/token",
            IDENTITY_HEADER="emulator",
            AZURE_CORE_COLLECT_TELEMETRY="false",
            AZURE_CORE_ONLY_SHOW_ERRORS="true",
            AZURE_CORE_NO_COLOR="true",
        )

        def run(*args: str) -> Any:
            done = subprocess.run([executable, *args], env=env, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, f"az {' '.join(args)} failed:\n{done.stderr}"
            return json.loads(done.stdout) if done.stdout.strip() else None

        run("cloud", "register", "-n", "AzureEmulator", "--endpoint-resource-manager", f"{srv.url}/")
        run("cloud", "set", "-n", "AzureEmulator")
        accounts = run("login", "--identity")
        assert accounts[0]["id"] == srv.default_subscription
        run.server = srv  # type: ignore[attr-defined]
        yield run


def test_quickstart_with_az_sig(az: Any) -> None:
    gallery = az("sig", "create", "-g", "myGalleryRG", "-r", "myGallery")
    assert gallery["provisioningState"] == "Succeeded" and gallery["location"] == "eastus"
    definition = az(
        "sig",
        "image-definition",
        "create",
        "-g",
        "myGalleryRG",
        "-r",
        "myGallery",
        "-i",
        "myImageDefinition",
        "--publisher",
        "myPublisher",
        "--offer",
        "myOffer",
        "--sku",
        "mySKU",
        "--os-type",
        "Linux",
        "--os-state",
        "specialized",
    )
    assert definition["osState"] == "Specialized" and definition["identifier"]["sku"] == "mySKU"
    version = az(
        "sig",
        "image-version",
        "create",
        "-g",
        "myGalleryRG",
        "-r",
        "myGallery",
        "-i",
        "myImageDefinition",
        "-e",
        "1.0.0",
        "--target-regions",
        "westcentralus",
        "southcentralus=1",
        "eastus=1=standard_zrs",
        "--replica-count",
        "2",
        "--managed-image",
        VM_ID,
    )
    assert version["provisioningState"] == "Succeeded"
    regions = {
        r["name"]: (r["regionalReplicaCount"], r["storageAccountType"])
        for r in version["publishingProfile"]["targetRegions"]
    }
    assert regions == {
        "West Central US": (2, "Standard_LRS"),
        "South Central US": (1, "Standard_LRS"),
        "East US": (1, "Standard_ZRS"),
    }
    shown = az(
        "sig",
        "image-version",
        "show",
        "-g",
        "myGalleryRG",
        "-r",
        "myGallery",
        "-i",
        "myImageDefinition",
        "-e",
        "1.0.0",
        "--expand",
        "ReplicationStatus",
    )
    assert shown["replicationStatus"]["aggregatedState"] == "Completed"
    assert az("sig", "show", "-g", "myGalleryRG", "-r", "myGallery")["name"] == "myGallery"
    assert (
        az("sig", "image-definition", "show", "-g", "myGalleryRG", "-r", "myGallery", "-i", "myImageDefinition")[
            "osType"
        ]
        == "Linux"
    )
    server: EmulatorServer = az.server
    assert server.backend is not None
    counts = server.backend.request_counts()["byOperation"]
    assert counts["GalleryImageVersions_CreateOrUpdate"] == 1 and counts["AsyncOperation_Get"] >= 1


def _sig(az: Any, gallery: str, *, os_state: str = "Generalized") -> None:
    az("sig", "create", "-g", "myGalleryRG", "-r", gallery)
    az(
        "sig",
        "image-definition",
        "create",
        "-g",
        "myGalleryRG",
        "-r",
        gallery,
        "-i",
        "app",
        "--publisher",
        "contoso",
        "--offer",
        "app",
        "--sku",
        "1",
        "--os-type",
        "Linux",
        "--os-state",
        os_state,
    )


def test_disks_snapshots_and_a_version_from_them(az: Any) -> None:
    """`az disk create` and `az snapshot create` (202 + DiskOperations, as the disk RP answers), then a version from
    an OS snapshot and data snapshots at LUN 0 and 1, shown back with host caching and sizes."""
    for name, size in (("os-disk", "30"), ("data-0", "10"), ("data-1", "20")):
        extra = ["--os-type", "Linux"] if name == "os-disk" else []
        disk = az("disk", "create", "-g", "myGalleryRG", "-n", name, "--size-gb", size, *extra)
        assert disk["provisioningState"] == "Succeeded" and disk["diskSizeGB"] == int(size)
    for snapshot, disk in (("os-snap", "os-disk"), ("snap-0", "data-0"), ("snap-1", "data-1")):
        made = az("snapshot", "create", "-g", "myGalleryRG", "-n", snapshot, "--source", disk)
        assert made["provisioningState"] == "Succeeded"
        assert made["creationData"]["sourceResourceId"].endswith(f"/disks/{disk}")
    assert az("snapshot", "show", "-g", "myGalleryRG", "-n", "snap-1")["diskSizeGB"] == 20
    _sig(az, "snapGallery")
    version = az(
        "sig",
        "image-version",
        "create",
        "-g",
        "myGalleryRG",
        "-r",
        "snapGallery",
        "-i",
        "app",
        "-e",
        "1.0.0",
        "--os-snapshot",
        "os-snap",
        "--data-snapshots",
        "snap-0",
        "snap-1",
        "--data-snapshot-luns",
        "0",
        "1",
    )
    assert version["provisioningState"] == "Succeeded"
    shown = az("sig", "image-version", "show", "-g", "myGalleryRG", "-r", "snapGallery", "-i", "app", "-e", "1.0.0")
    storage = shown["storageProfile"]
    assert storage["osDiskImage"]["hostCaching"] == "ReadWrite" and storage["osDiskImage"]["sizeInGB"] == 30
    assert [(d["lun"], d["hostCaching"], d["sizeInGB"]) for d in storage["dataDiskImages"]] == [
        (0, "ReadOnly", 10),
        (1, "ReadOnly", 20),
    ]
    listed = az("resource", "list", "-g", "myGalleryRG")
    types = {r["type"] for r in listed}
    assert {
        "Microsoft.Compute/disks",
        "Microsoft.Compute/snapshots",
        "Microsoft.Compute/galleries",
        "Microsoft.Compute/galleries/images",
        "Microsoft.Compute/galleries/images/versions",
        "Microsoft.Compute/virtualMachines",
    } <= types
    snapshots = az("resource", "list", "--resource-type", "Microsoft.Compute/snapshots")  # subscription-wide
    assert sorted(r["name"] for r in snapshots) == ["data-snap-1", "os-snap", "snap-0", "snap-1", "ubuntu-os-snap"]


def test_cli_update_of_a_version_with_data_disks(az: Any) -> None:
    """`az sig image-version update --add ...` sends the whole version back, data disks included, with a new
    region; Azure answered 200 (recordings/azure-cli/test_gallery_e2e.yaml)."""
    server: EmulatorServer = az.server
    admin(server).seed(
        {
            "virtualMachines": [
                {
                    "resourceGroup": "myGalleryRG",
                    "name": "buildVM",
                    "location": "eastus",
                    "osType": "Linux",
                    "hostCaching": "ReadWrite",
                    "dataDisks": [{"lun": 0, "diskSizeGB": 10, "hostCaching": "None"}],
                }
            ]
        }
    )
    vm = VM_ID.replace("/myVM", "/buildVM")
    _sig(az, "vmGallery")
    common = ("-g", "myGalleryRG", "-r", "vmGallery", "-i", "app", "-e", "1.0.0")
    az("sig", "image-version", "create", *common, "--managed-image", vm)
    updated = az("sig", "image-version", "update", *common, "--add", "publishingProfile.targetRegions", "name=westus")
    assert [r["name"] for r in updated["publishingProfile"]["targetRegions"]] == ["East US", "West US"]
    assert [(d["lun"], d["hostCaching"]) for d in updated["storageProfile"]["dataDiskImages"]] == [(0, "None")]


def test_direct_sharing_with_az_sig_share(az: Any) -> None:
    """The az CLI's sharing commands as recordings/azure-cli/test_shared_gallery.yaml runs them: a gallery created
    with --permissions groups, `az sig share add/remove/reset`, and the groups read back with
    `az sig show --sharing-groups` (and with `--select Permissions`, which the CLI's own test uses)."""
    sub, other, tenant = (
        "00000000-0000-0000-0000-000000000000",
        "34a4ab42-0d72-47d9-bd1a-aed207386dac",
        "2f4a9838-26b7-47ee-be60-ccc1fdec5953",
    )
    created = az("sig", "create", "-g", "myGalleryRG", "-r", "sharedGallery", "--permissions", "groups")
    assert created["sharingProfile"]["permissions"] == "Groups"
    gallery = ("--gallery-name", "sharedGallery", "-g", "myGalleryRG")
    az("sig", "share", "add", *gallery, "--subscription-ids", sub, other, "--tenant-ids", tenant)
    shown = az("sig", "show", "-g", "myGalleryRG", "-r", "sharedGallery", "--sharing-groups")
    assert shown["sharingProfile"]["groups"] == [
        {"type": "Subscriptions", "ids": [sub, other]},
        {"type": "AADTenants", "ids": [tenant]},
    ]
    plain = az("sig", "show", "-g", "myGalleryRG", "-r", "sharedGallery")
    assert plain["sharingProfile"].get("groups") is None  # only shown when asked for
    az("sig", "share", "remove", *gallery, "--subscription-ids", other, "--tenant-ids", tenant)
    selected = az("sig", "show", "-g", "myGalleryRG", "-r", "sharedGallery", "--select", "Permissions")
    assert selected["sharingProfile"]["groups"] == [{"type": "Subscriptions", "ids": [sub]}]
    listed = az("sig", "list-shared", "--location", "eastus")
    assert [g["name"] for g in listed] == [f"{sub}-SHAREDGALLERY"]
    az("sig", "share", "reset", *gallery)
    reset = az("sig", "show", "-g", "myGalleryRG", "-r", "sharedGallery", "--sharing-groups")
    assert reset["sharingProfile"] == {"permissions": "Private"}


def test_community_gallery_and_soft_delete_with_az_sig(az: Any) -> None:
    """`az sig create` with community information and a soft-delete policy, `az sig share enable-community`."""
    created = az(
        "sig",
        "create",
        "-g",
        "myGalleryRG",
        "-r",
        "publicGallery",
        "--permissions",
        "community",
        "--publisher-uri",
        "https://contoso.example",
        "--publisher-email",
        "images@contoso.example",
        "--eula",
        "https://contoso.example/eula",
        "--public-name-prefix",
        "contoso",
        "--soft-delete",
        "true",
    )
    info = created["sharingProfile"]["communityGalleryInfo"]
    assert info["communityGalleryEnabled"] is False and info["publicNames"][0].startswith("contoso-")
    assert created["softDeletePolicy"]["isSoftDeleteEnabled"] is True
    az("sig", "share", "enable-community", "--gallery-name", "publicGallery", "-g", "myGalleryRG")
    shown = az("sig", "show", "-g", "myGalleryRG", "-r", "publicGallery")
    assert shown["sharingProfile"]["communityGalleryInfo"]["communityGalleryEnabled"] is True
