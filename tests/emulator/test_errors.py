"""Every service rule the emulator enforces, with its ARM error code and HTTP status, seen through the SDK."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from .conftest import RG, SUB, VM_ID, gallery_path, image_body, make_definition, version_body

PI = f"/subscriptions/{SUB}/resourceGroups/platform-images/providers/Microsoft.Compute"


def _fails(call: Any, status: int, code: str, fragment: str = "") -> HttpResponseError:
    with pytest.raises(HttpResponseError) as info:
        result = call()
        if hasattr(result, "result"):
            result.result()
    err = info.value
    assert err.status_code == status, err.message
    assert err.error.code == code, err.message
    assert fragment in err.error.message
    return err


def test_invalid_gallery_names(client: Any) -> None:
    for name in ("has-dash", "_lead", "trail.", "x" * 81):
        _fails(
            lambda n=name: client.galleries.begin_create_or_update(RG, n, {"location": "eastus"}),
            400,
            "InvalidResourceName",
            "Gallery name is invalid",
        )


def test_invalid_image_and_version_names(client: Any) -> None:
    client.galleries.begin_create_or_update(RG, "g1", {"location": "eastus"}).result()
    _fails(
        lambda: client.gallery_images.begin_create_or_update(RG, "g1", "bad-", image_body()),
        400,
        "InvalidResourceName",
        "is invalid according to its validation rule",
    )
    client.gallery_images.begin_create_or_update(RG, "g1", "img1", image_body()).result()
    for name in ("1.0", "1.0.0.0", "a.b.c", "1.0.2147483648"):
        _fails(
            lambda n=name: client.gallery_image_versions.begin_create_or_update(RG, "g1", "img1", n, version_body()),
            400,
            "InvalidParameter",
            "Major(int).Minor(int).Patch(int)",
        )


def test_not_found_family(client: Any) -> None:
    _fails(lambda: client.galleries.get(RG, "nope"), 404, "ResourceNotFound", "Microsoft.Compute/galleries/nope")
    _fails(lambda: client.galleries.get("no-such-rg", "g"), 404, "ResourceGroupNotFound", "no-such-rg")
    _fails(
        lambda: client.galleries.begin_create_or_update("no-such-rg", "g", {"location": "eastus"}),
        404,
        "ResourceGroupNotFound",
    )
    _fails(
        lambda: client.gallery_images.begin_create_or_update(RG, "nogallery", "img", image_body()),
        404,
        "ParentResourceNotFound",
        "Parent resource 'nogallery' not found",
    )
    client.galleries.begin_create_or_update(RG, "g1", {"location": "eastus"}).result()
    _fails(lambda: client.gallery_images.get(RG, "g1", "img"), 404, "ResourceNotFound")
    _fails(
        lambda: client.gallery_image_versions.begin_create_or_update(RG, "g1", "noimg", "1.0.0", version_body()),
        404,
        "ParentResourceNotFound",
        "'noimg'",
    )


def test_unknown_subscription(emu: Any) -> None:
    from reconciler.emulator.testing import make_compute_client

    other = make_compute_client(emu, subscription_id="11111111-1111-1111-1111-111111111111")
    _fails(lambda: list(other.galleries.list()), 404, "SubscriptionNotFound", "11111111-1111-1111-1111-111111111111")


def test_cannot_delete_non_empty_parents(client: Any) -> None:
    make_definition(client)
    client.gallery_image_versions.begin_create_or_update(RG, "g1", "img1", "1.0.0", version_body()).result()
    _fails(lambda: client.galleries.begin_delete(RG, "g1"), 409, "CannotDeleteResource", "img1")
    _fails(lambda: client.gallery_images.begin_delete(RG, "g1", "img1"), 409, "CannotDeleteResource", "1.0.0")
    client.gallery_image_versions.begin_delete(RG, "g1", "img1", "1.0.0").result()
    client.gallery_images.begin_delete(RG, "g1", "img1").result()
    client.galleries.begin_delete(RG, "g1").result()


def test_delete_consistency_window(emu: Any, client: Any, adm: Any) -> None:
    adm.config(delete_consistency_seconds=0.4)
    make_definition(client)
    client.gallery_images.begin_delete(RG, "g1", "img1").result()
    _fails(lambda: client.galleries.begin_delete(RG, "g1"), 409, "CannotDeleteResource", "img1")
    import time

    time.sleep(0.45)
    client.galleries.begin_delete(RG, "g1").result()


@pytest.mark.parametrize(
    ("change", "target"),
    [
        ({"osType": "Windows"}, "galleryImage.properties.osType"),
        ({"osState": "Specialized"}, "galleryImage.properties.osState"),
        ({"hyperVGeneration": "V1"}, "galleryImage.properties.hyperVGeneration"),
        (
            {"identifier": {"publisher": "other", "offer": "myOffer", "sku": "mySKU"}},
            "galleryImage.properties.identifier.publisher",
        ),
        ({"architecture": "Arm64"}, "galleryImage.properties.architecture"),
        ({"eula": "new terms"}, "galleryImage.properties.eula"),
    ],
)
def test_image_immutable_properties(client: Any, change: dict[str, Any], target: str) -> None:
    make_definition(client, hyperVGeneration="V2")
    for call in (client.gallery_images.begin_create_or_update, client.gallery_images.begin_update):
        err = _fails(
            lambda c=call: c(RG, "g1", "img1", image_body(**change)),
            409,
            "PropertyChangeNotAllowed",
            f"Changing property '{target}' is not allowed.",
        )
        assert err.error.target == target
    # repeating the stored values is a no-op, not a change
    same = client.gallery_images.begin_create_or_update(RG, "g1", "img1", image_body(hyperVGeneration="V2")).result()
    assert same.provisioning_state == "Succeeded"


def test_features_update_needs_allow_update_image(client: Any) -> None:
    make_definition(client)
    feats = [
        {"name": "SecurityType", "value": "TrustedLaunchSupported"},
        {"name": "DiskControllerTypes", "value": "SCSI, NVMe"},
    ]
    _fails(
        lambda: client.gallery_images.begin_update(RG, "g1", "img1", image_body(features=feats)),
        409,
        "PropertyChangeNotAllowed",
        "features",
    )
    ok = client.gallery_images.begin_update(
        RG, "g1", "img1", image_body(features=feats, allowUpdateImage=True)
    ).result()
    assert len(ok.features) == 2


def test_version_immutable_properties(client: Any) -> None:
    make_definition(client)
    client.gallery_image_versions.begin_create_or_update(RG, "g1", "img1", "1.0.0", version_body()).result()
    other = f"{PI}/images/ubuntu-base"
    _fails(
        lambda: client.gallery_image_versions.begin_create_or_update(
            RG, "g1", "img1", "1.0.0", version_body(source=other)
        ),
        409,
        "PropertyChangeNotAllowed",
        "galleryImageVersion.properties.storageProfile.source.id",
    )
    _fails(
        lambda: client.gallery_image_versions.begin_update(
            RG, "g1", "img1", "1.0.0", version_body(storageAccountType="Premium_LRS")
        ),
        409,
        "PropertyChangeNotAllowed",
        "galleryImageVersion.properties.publishingProfile.storageAccountType",
    )
    _fails(
        lambda: client.gallery_image_versions.begin_update(
            RG, "g1", "img1", "1.0.0", version_body([{"name": "eastus", "storageAccountType": "Premium_LRS"}])
        ),
        409,
        "PropertyChangeNotAllowed",
        "targetRegions.storageAccountType",
    )
    same = client.gallery_image_versions.begin_create_or_update(RG, "g1", "img1", "1.0.0", version_body()).result()
    assert same.provisioning_state == "Succeeded"


def test_location_cannot_change(client: Any) -> None:
    client.galleries.begin_create_or_update(RG, "g1", {"location": "eastus"}).result()
    _fails(
        lambda: client.galleries.begin_create_or_update(RG, "g1", {"location": "westus"}),
        409,
        "InvalidResourceLocation",
    )
    _fails(
        lambda: client.galleries.begin_create_or_update(RG, "g2", {"location": "atlantis"}),
        400,
        "LocationNotAvailableForResourceType",
    )


def test_version_publishing_rules(client: Any) -> None:
    make_definition(client)
    create = client.gallery_image_versions.begin_create_or_update
    _fails(
        lambda: create(RG, "g1", "img1", "1.0.0", version_body(["westcentralus", "West Central US"])),
        400,
        "InvalidParameter",
        "Duplicate regions are not allowed in target publishing regions.",
    )
    _fails(
        lambda: create(RG, "g1", "img1", "1.0.0", version_body(["westcentralus"])),
        400,
        "InvalidParameter",
        "must contain the location of image version 'East US'",
    )
    _fails(
        lambda: create(
            RG, "g1", "img1", "1.0.0", version_body([{"name": "westcentralus", "storageAccountType": "Standard_ZRS"}])
        ),
        400,
        "InvalidParameter",
        "ZRS storage account type is not supported in this region",
    )
    _fails(
        lambda: create(RG, "g1", "img1", "1.0.0", version_body(replicaCount=101)),
        400,
        "InvalidParameter",
        "must be between 1 and 100",
    )
    _fails(
        lambda: create(RG, "g1", "img1", "1.0.0", version_body([{"name": "westcentralus", "regionalReplicaCount": 0}])),
        400,
        "InvalidParameter",
        "out of range",
    )
    _fails(
        lambda: create(RG, "g1", "img1", "1.0.0", version_body(endOfLifeDate="2001-01-01T00:00:00Z")),
        400,
        "InvalidParameter",
        "EndOfLifeDate must be set to a future date.",
    )
    _fails(
        lambda: create(
            RG,
            "g1",
            "img1",
            "1.0.0",
            version_body(storageAccountType="Standard_LRS", storageAccountStrategy="DefaultStandard_LRS"),
        ),
        400,
        "InvalidParameter",
    )


def test_version_source_rules(client: Any) -> None:
    make_definition(client, osState="Generalized")
    create = client.gallery_image_versions.begin_create_or_update
    _fails(
        lambda: create(RG, "g1", "img1", "1.0.0", version_body(source=VM_ID + "x")),
        400,
        "InvalidParameter",
        "is not found",
    )
    _fails(
        lambda: create(
            RG, "g1", "img1", "1.0.0", version_body(location="westeurope", source=f"{PI}/images/win2022-base")
        ),
        400,
        "InvalidParameter",
        "has a different OS type ['Windows'] than the parent gallery image OS type generation ['Linux']",
    )
    body = {
        "location": "westeurope",
        "properties": {
            "publishingProfile": {"targetRegions": [{"name": "westeurope"}]},
            "storageProfile": {
                "osDiskImage": {"source": {"id": f"{PI}/snapshots/ubuntu-os-snap"}},
                "dataDiskImages": [
                    {"lun": 1, "source": {"id": f"{PI}/disks/data-disk-1"}},
                    {"lun": 1, "source": {"id": f"{PI}/snapshots/data-snap-1"}},
                ],
            },
        },
    }
    _fails(lambda: create(RG, "g1", "img1", "1.0.0", body), 400, "InvalidParameter", "Duplicated lun numbers")
    both = {
        "location": "westeurope",
        "properties": {
            "publishingProfile": {"targetRegions": [{"name": "westeurope"}]},
            "storageProfile": {
                "source": {"id": f"{PI}/images/ubuntu-base"},
                "osDiskImage": {"source": {"id": f"{PI}/snapshots/ubuntu-os-snap"}},
            },
        },
    }
    _fails(lambda: create(RG, "g1", "img1", "1.0.0", both), 400, "InvalidParameter", "either directly under")


def test_hyperv_generation_mismatch(client: Any) -> None:
    make_definition(client, hyperVGeneration="V1")
    _fails(
        lambda: client.gallery_image_versions.begin_create_or_update(
            RG, "g1", "img1", "1.0.0", version_body(location="westeurope", source=f"{PI}/images/ubuntu-base")
        ),
        400,
        "InvalidParameter",
        "has a different Hypervisor generation ['V2'] than the parent gallery image Hypervisor generation ['V1']",
    )


def test_os_state_mismatch(client: Any) -> None:
    make_definition(client, osState="Specialized", hyperVGeneration="V2")
    _fails(
        lambda: client.gallery_image_versions.begin_create_or_update(
            RG, "g1", "img1", "1.0.0", version_body(location="westeurope", source=f"{PI}/images/ubuntu-base")
        ),
        400,
        "InvalidParameter",
        "OS State in the parent gallery image (Specialized) is not Generalized",
    )


def test_image_definition_rules(client: Any) -> None:
    make_definition(client)
    create = client.gallery_images.begin_create_or_update
    _fails(
        lambda: create(RG, "g1", "img2", image_body()),
        409,
        "OperationNotAllowed",
        "identified by (publisher:myPublisher, offer:myOffer, sku:mySKU) already exists",
    )
    ident = {"publisher": "p", "offer": "o", "sku": "s"}
    _fails(
        lambda: create(RG, "g1", "img3", image_body(identifier=ident, endOfLifeDate="2000-01-01T00:00:00Z")),
        400,
        "InvalidParameter",
        "EndOfLifeDate must be set to a future date.",
    )
    rec = {"vCPUs": {"min": 8, "max": 2}}
    _fails(
        lambda: create(RG, "g1", "img3", image_body(identifier=ident, recommended=rec)),
        400,
        "InvalidParameter",
        "The minimum value of vCPUs must not be greater than the maximum value of vCPUs.",
    )
    _fails(
        lambda: create(RG, "g1", "img3", image_body(identifier={"publisher": "p.", "offer": "o", "sku": "s"})),
        400,
        "InvalidParameter",
        "galleryImage.properties.identifier.publisher is not valid",
    )


def test_gallery_name_unique_in_subscription(client: Any, raw: Any) -> None:
    raw("PUT", f"/subscriptions/{SUB}/resourcegroups/otherRG", {"location": "eastus"})
    client.galleries.begin_create_or_update(RG, "shared", {"location": "eastus"}).result()
    _fails(
        lambda: client.galleries.begin_create_or_update("otherRG", "SHARED", {"location": "eastus"}),
        409,
        "Conflict",
        "is not unique within the subscription",
    )


def test_region_removal_guarded_by_safety_profile(client: Any) -> None:
    make_definition(client)
    create = client.gallery_image_versions.begin_create_or_update
    create(RG, "g1", "img1", "1.0.0", version_body(["westcentralus", "eastus"])).result()
    _fails(
        lambda: client.gallery_image_versions.begin_update(RG, "g1", "img1", "1.0.0", version_body()),
        409,
        "OperationNotAllowed",
        "allowDeletionOfReplicatedLocations",
    )
    body = version_body(["westcentralus", "eastus"])
    body["properties"]["safetyProfile"] = {"allowDeletionOfReplicatedLocations": True}
    create(RG, "g1", "img1", "1.0.1", body).result()
    shrunk = client.gallery_image_versions.begin_update(RG, "g1", "img1", "1.0.1", version_body()).result()
    assert [t.name for t in shrunk.publishing_profile.target_regions] == ["East US"]


def test_block_deletion_before_end_of_life(client: Any) -> None:
    make_definition(client)
    body = version_body(endOfLifeDate="2099-01-01T00:00:00Z")
    body["properties"]["safetyProfile"] = {"blockDeletionBeforeEndOfLife": True}
    client.gallery_image_versions.begin_create_or_update(RG, "g1", "img1", "1.0.0", body).result()
    _fails(
        lambda: client.gallery_image_versions.begin_delete(RG, "g1", "img1", "1.0.0"),
        409,
        "DeleteGalleryImageVersionBlockedBeforeEndOfLife",
    )


def test_body_checked_against_spec(raw: Any) -> None:
    path = gallery_path("g1")
    assert raw("PUT", path, {"location": "eastus"}).status_code == 201
    img = path + "/images/img1"
    missing = raw("PUT", img, {"location": "eastus", "properties": {"osType": "Linux", "osState": "Generalized"}})
    assert missing.status_code == 400
    assert missing.json()["error"] == {
        "code": "InvalidParameter",
        "message": "Required parameter 'galleryImage.properties.identifier' is missing (null).",
        "target": "galleryImage.properties.identifier",
    }
    bad_enum = raw("PUT", img, image_body(osType="Solaris"))
    assert bad_enum.status_code == 400 and bad_enum.json()["error"]["code"] == "BadRequest"
    bad_type = raw("PUT", img, image_body(recommended={"vCPUs": {"min": "two"}}))
    assert (
        bad_type.status_code == 400 and "Path 'properties.recommended.vCPUs.min'" in bad_type.json()["error"]["message"]
    )
    bad_hv = raw("PUT", img, image_body(hyperVGeneration="V9"))
    assert bad_hv.status_code == 400 and bad_hv.json()["error"]["code"] == "InvalidParameter"
    # read-only properties are ignored, not rejected and not stored
    ok = raw("PUT", img, image_body(provisioningState="Failed"))
    assert ok.status_code == 201 and ok.json()["properties"]["provisioningState"] == "Creating"
    assert raw("GET", img).json()["properties"]["provisioningState"] == "Succeeded"


def test_body_name_mismatch_and_malformed_json(raw: Any) -> None:
    path = gallery_path("g1")
    mismatch = raw("PUT", path, {"name": "other", "location": "eastus"})
    assert mismatch.status_code == 400 and mismatch.json()["error"]["code"] == "InvalidParameter"
    assert "does not match the name in the request URL" in mismatch.json()["error"]["message"]
    garbage = raw(
        "PUT",
        path,
        data=b"{not json",
        headers={"Authorization": f"Bearer {raw.token}", "Content-Type": "application/json"},
    )
    assert garbage.status_code == 400 and garbage.json()["error"]["code"] == "InvalidRequestContent"
    empty = raw("PUT", path, data=b"", headers={"Authorization": f"Bearer {raw.token}"})
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "InvalidParameter"
