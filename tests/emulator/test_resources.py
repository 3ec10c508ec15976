"""Create/get/list/update/delete of galleries, definitions and versions through the real SDK."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError

from .conftest import RG, SUB, VM_ID, image_body, make_definition, version_body


def test_gallery_lifecycle(client: Any) -> None:
    created = client.galleries.begin_create_or_update(
        RG, "myGallery", {"location": "eastus", "properties": {"description": "first"}, "tags": {"team": "a"}}
    ).result()
    assert created.provisioning_state == "Succeeded"
    assert created.identifier.unique_name == f"{SUB}-MYGALLERY"
    assert created.id == f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries/myGallery"
    updated = client.galleries.begin_update(RG, "myGallery", {"properties": {"description": "second"}}).result()
    assert updated.description == "second"
    assert updated.tags == {"team": "a"}
    got = client.galleries.get(RG, "MYGALLERY")  # names are case-insensitive, echoed as created
    assert got.name == "myGallery" and got.description == "second"
    assert [g.name for g in client.galleries.list_by_resource_group(RG)] == ["myGallery"]
    assert [g.name for g in client.galleries.list()] == ["myGallery"]
    client.galleries.begin_delete(RG, "myGallery").result()
    with pytest.raises(ResourceNotFoundError):
        client.galleries.get(RG, "myGallery")


def test_gallery_put_again_replaces_mutable_fields(client: Any) -> None:
    client.galleries.begin_create_or_update(
        RG, "g1", {"location": "eastus", "properties": {"description": "x"}}
    ).result()
    again = client.galleries.begin_create_or_update(RG, "g1", {"location": "East US"}).result()
    assert again.description is None
    assert again.location == "eastus"


def test_image_definition_lifecycle_and_defaults(client: Any) -> None:
    client.galleries.begin_create_or_update(RG, "g1", {"location": "eastus"}).result()
    img = client.gallery_images.begin_create_or_update(RG, "g1", "img1", image_body()).result()
    # the SDK's api-version (2026-03-03) gets the 2025-03-03+ defaults
    assert img.hyper_v_generation == "V2"
    assert img.architecture == "x64"
    assert [(f.name, f.value) for f in img.features] == [("SecurityType", "TrustedLaunchSupported")]
    old = client.gallery_images.begin_create_or_update(
        RG, "g1", "img2", image_body(identifier={"publisher": "p", "offer": "o", "sku": "s2"}), api_version="2024-03-03"
    ).result()
    assert old.hyper_v_generation == "V1" and not old.features
    patched = client.gallery_images.begin_update(
        RG, "g1", "img1", {"properties": {**image_body()["properties"], "description": "d"}}
    ).result()
    assert patched.description == "d" and patched.hyper_v_generation == "V2"
    names = sorted(i.name for i in client.gallery_images.list_by_gallery(RG, "g1"))
    assert names == ["img1", "img2"]
    client.gallery_images.begin_delete(RG, "g1", "img2").result()
    with pytest.raises(ResourceNotFoundError):
        client.gallery_images.get(RG, "g1", "img2")


def test_version_lifecycle(client: Any) -> None:
    make_definition(client, osState="Specialized")
    body = version_body(
        [
            "westcentralus",
            {"name": "southcentralus", "regionalReplicaCount": 1},
            {"name": "eastus", "regionalReplicaCount": 1, "storageAccountType": "Standard_ZRS"},
        ],
        replicaCount=2,
    )
    v = client.gallery_image_versions.begin_create_or_update(RG, "g1", "img1", "1.0.0", body).result()
    assert v.provisioning_state == "Succeeded"
    pp = v.publishing_profile
    assert [(t.name, t.regional_replica_count, t.storage_account_type) for t in pp.target_regions] == [
        ("West Central US", 2, "Standard_LRS"),  # no ZRS in westcentralus, so PreferStandard_ZRS falls back
        ("South Central US", 1, "Standard_ZRS"),
        ("East US", 1, "Standard_ZRS"),
    ]
    assert pp.replica_count == 2 and pp.exclude_from_latest is False and pp.published_date is not None
    assert v.storage_profile.os_disk_image.size_in_gb == 30
    assert v.safety_profile.allow_deletion_of_replicated_locations is False
    updated = client.gallery_image_versions.begin_update(
        RG,
        "g1",
        "img1",
        "1.0.0",
        {
            "properties": {
                "publishingProfile": {"excludeFromLatest": True, "endOfLifeDate": "2099-01-01T00:00:00Z"},
                "storageProfile": {},
            }
        },
    ).result()
    assert updated.publishing_profile.exclude_from_latest is True
    assert len(updated.publishing_profile.target_regions) == 3
    listed = list(client.gallery_image_versions.list_by_gallery_image(RG, "g1", "img1"))
    assert [x.name for x in listed] == ["1.0.0"]
    client.gallery_image_versions.begin_delete(RG, "g1", "img1", "1.0.0").result()
    with pytest.raises(ResourceNotFoundError):
        client.gallery_image_versions.get(RG, "g1", "img1", "1.0.0")


@pytest.mark.parametrize(
    ("source", "kind", "definition"),
    [
        (VM_ID, "id", {}),
        (VM_ID, "virtualMachineId", {}),
        ("platform-images/providers/Microsoft.Compute/images/ubuntu-base", "id", {"hyperVGeneration": "V2"}),
        ("platform-images/providers/Microsoft.Compute/snapshots/ubuntu-os-snap", "osDisk", {}),
        ("https://imagevhds.blob.core.windows.net/vhds/ubuntu.vhd", "vhd", {}),
    ],
    ids=["vm-id", "vm-virtualMachineId", "managed-image", "snapshot", "vhd"],
)
def test_version_sources(client: Any, source: str, kind: str, definition: dict[str, Any]) -> None:
    make_definition(client, **definition)
    pi = f"/subscriptions/{SUB}/resourceGroups/"
    full = source if source.startswith(("/", "https")) else pi + source
    if kind == "id":
        sp: dict[str, Any] = {"source": {"id": full}}
    elif kind == "virtualMachineId":
        sp = {"source": {"virtualMachineId": full}}
    elif kind == "osDisk":
        sp = {
            "osDiskImage": {"source": {"id": full}},
            "dataDiskImages": [
                {"lun": 0, "source": {"id": pi + "platform-images/providers/Microsoft.Compute/disks/data-disk-1"}}
            ],
        }
    else:
        account = pi + "platform-images/providers/Microsoft.Storage/storageAccounts/imagevhds"
        sp = {"osDiskImage": {"source": {"uri": full, "storageAccountId": account}}}
    region = "eastus" if source == VM_ID else "westeurope"
    body = {
        "location": region,
        "properties": {"publishingProfile": {"targetRegions": [{"name": region}]}, "storageProfile": sp},
    }
    v = client.gallery_image_versions.begin_create_or_update(RG, "g1", "img1", "1.0.0", body).result()
    assert v.provisioning_state == "Succeeded"
    if kind == "osDisk":
        assert v.storage_profile.data_disk_images[0].size_in_gb == 128


def test_version_from_another_gallery_version(client: Any) -> None:
    make_definition(client)
    client.gallery_image_versions.begin_create_or_update(RG, "g1", "img1", "1.0.0", version_body()).result()
    source = client.gallery_image_versions.get(RG, "g1", "img1", "1.0.0").id
    v = client.gallery_image_versions.begin_create_or_update(
        RG, "g1", "img1", "1.0.1", version_body(source=source)
    ).result()
    assert v.storage_profile.source.id == source


def test_paging_follows_next_link(emu: Any, adm: Any) -> None:
    from reconciler.emulator.testing import make_compute_client

    adm.config(page_size=2)
    client = make_compute_client(emu)
    client.galleries.begin_create_or_update(RG, "g0", {"location": "eastus"}).result()
    for i in range(5):
        client.gallery_images.begin_create_or_update(
            RG, "g0", f"img{i}", image_body(identifier={"publisher": "p", "offer": "o", "sku": f"s{i}"})
        ).result()
        client.gallery_image_versions.begin_create_or_update(RG, "g0", "img0", f"1.0.{i}", version_body()).result()
        client.galleries.begin_create_or_update(RG, f"extra{i}", {"location": "eastus"}).result()
    adm.reset()
    assert sorted(i.name for i in client.gallery_images.list_by_gallery(RG, "g0")) == [f"img{i}" for i in range(5)]
    assert adm.requests()["byOperation"]["GalleryImages_ListByGallery"] == 3
    assert len(list(client.gallery_image_versions.list_by_gallery_image(RG, "g0", "img0"))) == 5
    assert len(list(client.galleries.list())) == 6
    assert len(list(client.galleries.list_by_resource_group(RG))) == 6


def test_next_link_is_absolute_https(raw: Any, adm: Any) -> None:
    adm.config(page_size=1)
    for name in ("a1", "a2"):
        assert (
            raw(
                "PUT",
                f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries/{name}",
                {"location": "eastus"},
            ).status_code
            == 201
        )
    first = raw("GET", f"/subscriptions/{SUB}/providers/Microsoft.Compute/galleries").json()
    assert first["nextLink"].startswith(raw.url + "/subscriptions/")
    assert len(first["value"]) == 1
    second = raw.session.get(
        first["nextLink"], headers={"Authorization": f"Bearer {raw.token}"}, verify=raw.verify
    ).json()
    assert len(second["value"]) == 1 and "nextLink" not in second
    assert second["value"][0]["name"] != first["value"][0]["name"]
