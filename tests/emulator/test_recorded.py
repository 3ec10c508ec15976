"""Behaviour recorded from live Azure (recordings/azure-cli/*.yaml) that the emulator now follows, case by case.

The whole recordings are replayed in tests/replay; these tests pin each difference the replay found, one rule
at a time, with the api-version and shape the recording shows.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import PI, RG, SUB, VM_ID, Raw, gallery_path, image_body

OLD = "2022-03-03"  # the Azure CLI's version api-version in the 2023 recordings


def _gallery(raw: Raw, name: str = "g1", location: str = "eastus", api: str = "2021-10-01") -> str:
    path = gallery_path(name)
    assert raw("PUT", path, {"location": location}, api=api).status_code == 201
    return path


def _definition(raw: Raw, gallery: str, **props: Any) -> str:
    path = gallery + "/images/img1"
    body = image_body(**props)
    body["location"] = raw("GET", gallery).json()["location"]
    resp = raw("PUT", path, body, api="2021-10-01")
    assert resp.status_code == 201, resp.text
    return path


def _version_body(location: str, source: dict[str, Any], regions: list[Any] | None = None) -> dict[str, Any]:
    targets = [{"name": r} if isinstance(r, str) else r for r in (regions or [location])]
    return {
        "location": location,
        "tags": {},
        "properties": {"publishingProfile": {"targetRegions": targets}, "storageProfile": source},
    }


def _seed_vm(adm: Any, name: str = "buildVM", location: str = "eastus", **fields: Any) -> str:
    adm.seed({"virtualMachines": [{"resourceGroup": RG, "name": name, "location": location, **fields}]})
    return f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines/{name}"


def test_empty_tags_are_echoed_and_absent_tags_stay_absent(raw: Raw) -> None:
    with_tags = raw("PUT", gallery_path("g1"), {"location": "eastus", "tags": {}}, api="2021-10-01")
    assert with_tags.json()["tags"] == {}
    assert raw("GET", gallery_path("g1")).json()["tags"] == {}
    without = raw("PUT", gallery_path("g2"), {"location": "eastus"}, api="2026-03-03")
    assert "tags" not in without.json()


def test_definition_empty_collections_and_security_type_spelling(raw: Raw) -> None:
    gallery = _gallery(raw)
    body = image_body(disallowed={}, features=[], hyperVGeneration="V2")
    created = raw("PUT", gallery + "/images/img1", body, api="2021-10-01").json()["properties"]
    assert "disallowed" not in created and "features" not in created
    cvm = image_body(
        identifier={"publisher": "p", "offer": "o", "sku": "cvm"},
        hyperVGeneration="V2",
        features=[{"name": "SecurityType", "value": "ConfidentialVm"}],
    )
    echoed = raw("PUT", gallery + "/images/cvm", cvm, api="2021-10-01").json()["properties"]["features"]
    assert echoed == [{"name": "SecurityType", "value": "ConfidentialVM"}]


def test_canary_regions_are_accepted_and_listed(raw: Raw, adm: Any) -> None:
    gallery = _gallery(raw, location="centraluseuap")
    _definition(raw, gallery)
    vm = _seed_vm(adm, location="centraluseuap", osType="Linux")
    body = _version_body("centraluseuap", {"source": {"id": vm}}, ["CentralUSEUAP", "eastus2euap"])
    created = raw("PUT", gallery + "/images/img1/versions/1.0.0", body, api=OLD)
    assert created.status_code == 201, created.text
    names = [r["name"] for r in created.json()["properties"]["publishingProfile"]["targetRegions"]]
    assert names == ["Central US EUAP", "East US 2 EUAP"]
    listed = {
        r["name"]: r["displayName"]
        for r in raw("GET", f"/subscriptions/{SUB}/locations", api="2022-12-01").json()["value"]
    }
    assert listed["centraluseuap"] == "Central US EUAP" and listed["eastus2euap"] == "East US 2 EUAP"


def test_per_region_exclude_from_latest_exists_from_2022_08_03_and_is_never_filled_in(raw: Raw) -> None:
    gallery = _gallery(raw)
    _definition(raw, gallery)
    path = gallery + "/images/img1/versions"
    plain = raw("PUT", f"{path}/1.0.0", _version_body("eastus", {"source": {"id": VM_ID}}), api=OLD).json()
    assert plain["properties"]["publishingProfile"]["targetRegions"] == [
        {"name": "East US", "regionalReplicaCount": 1, "storageAccountType": "Standard_LRS"}
    ]
    flagged = _version_body("eastus", {"source": {"id": VM_ID}}, [{"name": "eastus", "excludeFromLatest": True}])
    old = raw("PUT", f"{path}/1.0.1", flagged, api=OLD).json()["properties"]["publishingProfile"]["targetRegions"]
    assert "excludeFromLatest" not in old[0]  # unknown at 2022-03-03: ignored on the way in
    new = raw("PUT", f"{path}/1.0.2", flagged, api="2022-08-03").json()["properties"]["publishingProfile"]
    assert new["targetRegions"][0]["excludeFromLatest"] is True
    read_old = raw("GET", f"{path}/1.0.2", api=OLD).json()["properties"]["publishingProfile"]["targetRegions"]
    assert "excludeFromLatest" not in read_old[0]


@pytest.mark.parametrize("api", ["2018-06-01", "2019-03-01", "2019-07-01", "2021-03-01"])
def test_every_api_version_arm_lists_is_served_with_its_shape(raw: Raw, adm: Any, api: str) -> None:
    gallery = _gallery(raw, api="2026-03-03")
    image = _definition(raw, gallery)
    body = _version_body("eastus", {"source": {"virtualMachineId": VM_ID}})
    body["properties"]["publishingProfile"]["replicationMode"] = "Full"
    assert raw("PUT", image + "/versions/1.0.0", body, api="2026-03-03").status_code == 201
    assert raw("GET", f"/subscriptions/{SUB}/providers/Microsoft.Compute/galleries", api=api).status_code == 200
    definition = raw("GET", image, api=api).json()["properties"]
    assert "architecture" not in definition and "features" not in definition  # 2021-10-01 / 2020-09-30 fields
    version = raw("GET", image + "/versions/1.0.0", api=api).json()["properties"]
    assert "safetyProfile" not in version and "replicationMode" not in version["publishingProfile"]
    assert "virtualMachineId" not in version["storageProfile"]["source"]


def test_storage_profile_is_derived_from_a_vm_and_the_cli_update_is_accepted(raw: Raw, adm: Any) -> None:
    vm = _seed_vm(
        adm,
        osType="Linux",
        diskSizeGB=30,
        hostCaching="ReadWrite",
        dataDisks=[{"lun": 0, "diskSizeGB": 10, "hostCaching": "None"}, {"lun": 1, "diskSizeGB": 20}],
    )
    gallery = _gallery(raw)
    image = _definition(raw, gallery)
    path = image + "/versions/1.1.2"
    created = raw("PUT", path, _version_body("eastus", {"source": {"id": vm}}), api=OLD)
    assert created.status_code == 201
    assert created.json()["properties"]["storageProfile"] == {"source": {"id": vm}}  # as sent, while creating
    storage = raw("GET", path, api=OLD).json()["properties"]["storageProfile"]
    assert storage == {
        "source": {"id": vm},
        "osDiskImage": {"sizeInGB": 30, "hostCaching": "ReadWrite", "source": {}},
        "dataDiskImages": [
            {"lun": 0, "sizeInGB": 10, "hostCaching": "None"},
            {"lun": 1, "sizeInGB": 20, "hostCaching": "None"},
        ],
    }
    # `az sig image-version update --add publishingProfile.targetRegions name=westus2`: the whole version back,
    # its data disks echoed, a region added (recordings/azure-cli/test_gallery_e2e.yaml, Azure: 200)
    update = _version_body("eastus", {}, [{"name": "westus2", "regionalReplicaCount": 1}, {"name": "eastus"}])
    update["properties"]["storageProfile"] = {
        "osDiskImage": {"hostCaching": "ReadWrite"},
        "dataDiskImages": [{"hostCaching": "None", "lun": 0}, {"hostCaching": "None", "lun": 1}],
    }
    update["properties"]["safetyProfile"] = {"allowDeletionOfReplicatedLocations": False}
    accepted = raw("PUT", path, update, api=OLD)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["properties"]["storageProfile"] == storage
    update["properties"]["storageProfile"]["dataDiskImages"].append({"lun": 2})
    refused = raw("PUT", path, update, api=OLD)
    assert refused.status_code == 409 and "Adding new Data Disks" in refused.json()["error"]["message"]


def test_storage_profile_from_snapshots_defaults_host_caching(raw: Raw) -> None:
    gallery = _gallery(raw, location="westeurope")
    image = _definition(raw, gallery, hyperVGeneration="V2")  # as the OS snapshot
    source = {
        "osDiskImage": {"source": {"id": f"{PI}/Microsoft.Compute/snapshots/ubuntu-os-snap"}},
        "dataDiskImages": [
            {"lun": 0, "source": {"id": f"{PI}/Microsoft.Compute/snapshots/data-snap-1"}},
            {"lun": 1, "hostCaching": "None", "source": {"id": f"{PI}/Microsoft.Compute/disks/data-disk-1"}},
        ],
    }
    created = raw("PUT", image + "/versions/1.0.0", _version_body("westeurope", source), api=OLD).json()
    shown = created["properties"]["storageProfile"]
    assert shown["osDiskImage"] == {"hostCaching": "ReadWrite", "source": source["osDiskImage"]["source"]}
    assert [(d["lun"], d["hostCaching"]) for d in shown["dataDiskImages"]] == [(0, "ReadOnly"), (1, "None")]
    done = raw("GET", image + "/versions/1.0.0", api=OLD).json()["properties"]["storageProfile"]
    assert done["osDiskImage"]["sizeInGB"] == 30
    assert [(d["lun"], d["sizeInGB"]) for d in done["dataDiskImages"]] == [(0, 64), (1, 128)]


def test_a_version_from_a_version_shows_its_disks(raw: Raw, adm: Any) -> None:
    vm = _seed_vm(adm, osType="Linux", dataDisks=[{"lun": 0, "diskSizeGB": 10, "hostCaching": "None"}])
    image = _definition(raw, _gallery(raw))
    raw("PUT", image + "/versions/1.0.0", _version_body("eastus", {"source": {"id": vm}}), api=OLD)
    source = raw("GET", image + "/versions/1.0.0", api=OLD).json()
    raw("PUT", image + "/versions/1.0.1", _version_body("eastus", {"source": {"id": source["id"]}}), api=OLD)
    copy = raw("GET", image + "/versions/1.0.1", api=OLD).json()["properties"]["storageProfile"]
    assert copy["dataDiskImages"] == source["properties"]["storageProfile"]["dataDiskImages"]
    assert copy["osDiskImage"] == {"sizeInGB": 30, "hostCaching": "ReadWrite", "source": {}}


def test_allow_deletion_of_replicated_locations_switches_on_in_place(raw: Raw) -> None:
    image = _definition(raw, _gallery(raw))
    path = image + "/versions/1.0.0"
    raw("PUT", path, _version_body("eastus", {"source": {"id": VM_ID}}, ["eastus", "westus"]), api=OLD)
    switched = _version_body("eastus", {}, ["eastus", "westus"])
    switched["properties"]["safetyProfile"] = {"allowDeletionOfReplicatedLocations": True}
    resp = raw("PUT", path, switched, api=OLD)
    assert resp.status_code == 200, resp.text
    assert resp.json()["properties"]["safetyProfile"]["allowDeletionOfReplicatedLocations"] is True
    shrunk = raw("PUT", path, _version_body("eastus", {}, ["eastus"]), api=OLD)
    assert shrunk.status_code == 200
    assert [r["name"] for r in shrunk.json()["properties"]["publishingProfile"]["targetRegions"]] == ["East US"]


def test_a_vm_of_another_subscription_must_be_given_as_virtual_machine_id(raw: Raw, adm: Any) -> None:
    other = "22222222-2222-2222-2222-222222222222"
    adm.seed(
        {
            "subscriptions": [{"id": other}],
            "resourceGroups": [{"name": "builds", "location": "eastus", "subscription": other}],
            "virtualMachines": [
                {
                    "resourceGroup": "builds",
                    "name": "pkrvm",
                    "location": "eastus",
                    "osType": "Linux",
                    "subscription": other,
                }
            ],
        }
    )
    vm = f"/subscriptions/{other}/resourceGroups/builds/providers/Microsoft.Compute/virtualMachines/pkrvm"
    image = _definition(raw, _gallery(raw))
    refused = raw("PUT", image + "/versions/1.0.0", _version_body("eastus", {"source": {"id": vm}}), api="2024-03-03")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "InvalidParameter"
    assert f"The source VM '{vm}' is a cross subscription source" in error["message"]
    assert "storageProfile.source.virtualMachineId" in error["message"]
    ok = raw("PUT", image + "/versions/1.0.0", _version_body("eastus", {"source": {"virtualMachineId": vm}}))
    assert ok.status_code == 201, ok.text


def test_sources_must_be_in_the_versions_region(raw: Raw) -> None:
    image = _definition(raw, _gallery(raw))
    elsewhere = {"source": {"id": f"{PI}/Microsoft.Compute/images/ubuntu-base"}}  # in westeurope
    body = _version_body("eastus", elsewhere, ["eastus", "westeurope"])
    resp = raw("PUT", image + "/versions/1.0.0", body)
    assert resp.status_code == 400
    assert "is not found. Please check source exists, and in the same region" in resp.json()["error"]["message"]
    disk = {"source": {"id": f"{PI}/Microsoft.Compute/disks/data-disk-1"}}
    wrong_kind = raw("PUT", image + "/versions/1.0.0", _version_body("eastus", disk))
    assert "must either be a managed image, virtual machine or another gallery image version" in wrong_kind.text


def test_a_gallery_version_source_must_have_replicated(raw: Raw, adm: Any) -> None:
    image = _definition(raw, _gallery(raw))
    adm.config(replication_seconds=30)
    raw("PUT", image + "/versions/1.0.0", _version_body("eastus", {"source": {"id": VM_ID}}))
    source = (
        f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries/g1/images/img1/versions/1.0.0"
    )
    early = raw("PUT", image + "/versions/1.0.1", _version_body("eastus", {"source": {"id": source}}))
    assert early.status_code == 400 and f"Source {source} is not found" in early.json()["error"]["message"]


@pytest.mark.parametrize(("mode", "fails"), [("Full", True), ("Shallow", False)])
def test_a_disk_too_large_for_the_replication_mode_fails_replication(
    raw: Raw, adm: Any, mode: str, fails: bool
) -> None:
    vm = _seed_vm(adm, osType="Linux", dataDisks=[{"lun": 0, "diskSizeGB": 2520}])
    image = _definition(raw, _gallery(raw))
    body = _version_body("eastus", {"source": {"id": vm}})
    body["properties"]["publishingProfile"]["replicationMode"] = mode
    created = raw("PUT", image + "/versions/1.0.0", body)
    assert created.status_code == 201
    status = raw.session.get(
        created.headers["Azure-AsyncOperation"], headers={"Authorization": f"Bearer {raw.token}"}, verify=raw.verify
    ).json()
    if not fails:
        assert status["status"] == "Succeeded"
        return
    assert status["status"] == "Failed"
    assert status["error"]["code"] == "GallerySourceResourceExceedsMaxSize"
    assert (
        "The GalleryImageVersion source resource size 2520 exceeds the max size 2048 supported"
        in status["error"]["message"]
    )
    got = raw("GET", image + "/versions/1.0.0", params={"$expand": "ReplicationStatus"}).json()["properties"]
    assert got["provisioningState"] == "Failed"
    assert got["replicationStatus"]["summary"][0]["details"].startswith("Replication failed in this region due to")


def test_validations_profile_from_2024_03_03(raw: Raw, adm: Any) -> None:
    vm = _seed_vm(
        adm, osType="Linux", imageReference={"publisher": "Canonical", "offer": "UbuntuServer", "sku": "16.04-LTS"}
    )
    image = _definition(raw, _gallery(raw))
    path = image + "/versions/1.1.1"
    created = raw("PUT", path, _version_body("eastus", {"source": {"virtualMachineId": vm}}), api="2024-03-03")
    assert created.json()["properties"]["validationsProfile"] == {"validationOperationStatus": "NotExecuted"}
    got = raw("GET", path, api="2024-03-03").json()["properties"]["validationsProfile"]
    assert got["platformAttributes"] == [
        {"name": "source_image_publisher", "value": "Canonical"},
        {"name": "source_image_offer", "value": "UbuntuServer"},
        {"name": "source_image_sku", "value": "16.04-LTS"},
    ]
    updated = raw("PUT", path, _version_body("eastus", {}), api="2024-03-03").json()["properties"]
    assert "validationsProfile" not in updated
    assert "validationsProfile" not in raw("GET", path, api="2023-07-03").json()["properties"]


def test_os_disk_encryption_echoes_an_empty_security_profile(raw: Raw) -> None:
    image = _definition(raw, _gallery(raw))
    des = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/diskEncryptionSets/des1"
    region = {"name": "eastus", "encryption": {"osDiskImage": {"diskEncryptionSetId": des}}}
    body = _version_body("eastus", {"source": {"id": VM_ID}}, [region])
    shown = raw("PUT", image + "/versions/1.0.0", body, api=OLD).json()["properties"]["publishingProfile"]
    assert shown["targetRegions"][0]["encryption"]["osDiskImage"] == {"diskEncryptionSetId": des, "securityProfile": {}}
    again = raw("PUT", image + "/versions/1.0.0", body, api=OLD)
    assert again.status_code == 200, again.text  # the same encryption re-sent is no change


def test_edge_zones_are_echoed_with_display_names_and_default_storage(raw: Raw) -> None:
    image = _definition(raw, _gallery(raw))
    body = _version_body("eastus", {"source": {"id": VM_ID}})
    zone = {"name": "westus", "extendedLocation": {"name": "microsoftlosangeles1", "type": "EdgeZone"}}
    body["properties"]["publishingProfile"]["targetExtendedLocations"] = [
        {**zone, "extendedLocationReplicaCount": 1},
        {"name": "eastus", "extendedLocation": {"name": "x", "type": "EdgeZone"}, "storageAccountType": "premium_lrs"},
    ]
    shown = raw("PUT", image + "/versions/1.0.0", body, api=OLD).json()["properties"]["publishingProfile"]
    assert [(z["name"], z["storageAccountType"]) for z in shown["targetExtendedLocations"]] == [
        ("West US", "StandardSSD_LRS"),
        ("East US", "Premium_LRS"),
    ]


def test_gallery_list_by_group_names_the_group_upper_cased(raw: Raw) -> None:
    _gallery(raw)
    listed = raw("GET", f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries").json()
    assert listed["value"][0]["id"] == gallery_path("g1").replace(f"/{RG}/", f"/{RG.upper()}/")
    assert raw("GET", gallery_path("g1")).json()["id"] == gallery_path("g1")


def test_source_puts_answer_as_their_specs(raw: Raw) -> None:
    base = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers"
    disk = raw(
        "PUT",
        f"{base}/Microsoft.Compute/disks/d1",
        {
            "location": "eastus",
            "tags": {},
            "sku": {"name": "Premium_LRS"},
            "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 10},
        },
        api="2023-04-02",
    )
    assert disk.status_code == 202 and disk.json()["properties"]["provisioningState"] == "Updating"
    assert "/DiskOperations/" in disk.headers["Azure-AsyncOperation"] and "/DiskOperations/" in disk.headers["Location"]
    status = raw.session.get(
        disk.headers["Azure-AsyncOperation"], headers={"Authorization": f"Bearer {raw.token}"}, verify=raw.verify
    ).json()
    assert status["status"] == "Succeeded" and status["properties"]["output"]["name"] == "d1"
    snap = raw(
        "PUT",
        f"{base}/Microsoft.Compute/snapshots/s1",
        {
            "location": "eastus",
            "properties": {
                "creationData": {"createOption": "Copy", "sourceResourceId": f"{base}/Microsoft.Compute/disks/d1"}
            },
        },
        api="2023-04-02",
    )
    assert snap.status_code == 202
    got = raw("GET", f"{base}/Microsoft.Compute/snapshots/s1", api="2023-04-02").json()["properties"]
    assert got["diskSizeGB"] == 10 and got["provisioningState"] == "Succeeded" and got["diskState"] == "Unattached"
    account = raw(
        "PUT",
        f"{base}/Microsoft.Storage/storageAccounts/acct1",
        {"location": "eastus", "sku": {"name": "Standard_LRS"}},
        api="2023-01-01",
    )
    assert account.status_code == 202 and account.content == b""
    polled = raw.session.get(
        account.headers["Location"], headers={"Authorization": f"Bearer {raw.token}"}, verify=raw.verify
    )
    assert polled.status_code == 200 and polled.json()["name"] == "acct1"


def test_generic_resource_lists(raw: Raw) -> None:
    image = _definition(raw, _gallery(raw))
    raw("PUT", image + "/versions/1.0.0", _version_body("eastus", {"source": {"id": VM_ID}}))
    in_group = raw("GET", f"/subscriptions/{SUB}/resourceGroups/{RG}/resources", api="2024-11-01").json()["value"]
    assert {r["type"] for r in in_group} == {
        "Microsoft.Compute/galleries",
        "Microsoft.Compute/galleries/images",
        "Microsoft.Compute/galleries/images/versions",
        "Microsoft.Compute/virtualMachines",
    }
    assert all(set(r) >= {"id", "name", "type", "location"} for r in in_group)
    everywhere = raw("GET", f"/subscriptions/{SUB}/resources", api="2024-11-01").json()["value"]
    assert len(everywhere) > len(in_group)  # the demo seed's platform-images group too
    filtered = raw(
        "GET",
        f"/subscriptions/{SUB}/resources",
        api="2024-11-01",
        params={"$filter": "resourceType eq 'microsoft.compute/images' and resourceGroup eq 'platform-images'"},
    ).json()["value"]
    assert sorted(r["name"] for r in filtered) == ["ubuntu-base", "win2022-base"]
    bad = raw("GET", f"/subscriptions/{SUB}/resources", api="2024-11-01", params={"$filter": "tagName eq 'x'"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "InvalidFilterInQueryString"


def test_published_date_can_be_set_for_tests(raw: Raw, adm: Any) -> None:
    image = _definition(raw, _gallery(raw))
    raw("PUT", image + "/versions/1.0.0", _version_body("eastus", {"source": {"id": VM_ID}}))
    version_id = raw("GET", image + "/versions/1.0.0").json()["id"]
    assert (
        adm.set_published_date(version_id, "2020-01-02T03:04:05Z")["publishedDate"]
        == "2020-01-02T03:04:05.0000000+00:00"
    )
    got = raw("GET", image + "/versions/1.0.0").json()["properties"]["publishingProfile"]["publishedDate"]
    assert got == "2020-01-02T03:04:05.0000000+00:00"
    with pytest.raises(RuntimeError, match="404"):
        adm.set_published_date(version_id + "9", "2020-01-02T03:04:05Z")
