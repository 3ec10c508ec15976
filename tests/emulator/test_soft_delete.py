"""Soft delete through the real SDK: the recycle bin, its listing, restore (PUT and PATCH), bypass, parents."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

from .conftest import RG, SUB, Raw, gallery_path, image_body, version_body

DAY = 86400.0


def parse_time(value: Any) -> float:
    """The SDK reads consumptionEndTime and hardDeletionTargetTime as datetimes, softDeletedTime as text (spec)."""
    from reconciler.emulator.common import parse_time as parse_text

    return float(value.timestamp()) if hasattr(value, "timestamp") else parse_text(value)


def _setup(client: Any, policy: dict[str, Any] | None, versions: tuple[str, ...] = ("1.0.0",)) -> None:
    props = {"softDeletePolicy": policy} if policy is not None else {}
    client.galleries.begin_create_or_update(RG, "g1", {"location": "eastus", "properties": props}).result()
    client.gallery_images.begin_create_or_update(RG, "g1", "img1", image_body()).result()
    for name in versions:
        body = version_body(["eastus"])
        body["tags"] = {"team": "a"}
        client.gallery_image_versions.begin_create_or_update(RG, "g1", "img1", name, body).result()


def _bin(client: Any, image: str = "img1") -> list[Any]:
    return list(client.soft_deleted_resource.list_by_artifact_name(RG, "g1", "Images", image))


ON = {"isSoftDeleteEnabled": True, "retentionPeriodInDays": 30, "gracePeriodInDays": 7}


def test_delete_goes_to_the_recycle_bin_with_the_policys_dates(client: Any, raw: Raw) -> None:
    _setup(client, ON)
    before = client.gallery_image_versions.get(RG, "g1", "img1", "1.0.0")
    client.gallery_image_versions.begin_delete(RG, "g1", "img1", "1.0.0").result()
    with pytest.raises(ResourceNotFoundError):
        client.gallery_image_versions.get(RG, "g1", "img1", "1.0.0")
    assert list(client.gallery_image_versions.list_by_gallery_image(RG, "g1", "img1")) == []
    [item] = _bin(client)
    props = item.properties
    assert (
        item.name == "1.0.0" and item.type == "Microsoft.Compute/galleries/softDeletedArtifactTypes/artifacts/versions"
    )
    assert props.resource_arm_id == before.id and props.soft_deleted_artifact_type == "Images"
    deleted = parse_time(props.soft_deleted_time)
    assert parse_time(props.consumption_end_time) - deleted == 30 * DAY
    assert parse_time(props.hard_deletion_target_time) - deleted == 37 * DAY
    # the generic resource list does not show what sits in the bin
    listed = raw("GET", f"/subscriptions/{SUB}/resources", api="2021-04-01").json()["value"]
    assert [r["type"] for r in listed if "softDeleted" in r["type"]] == []
    assert "Microsoft.Compute/galleries/images" in {r["type"] for r in listed}


def test_restore_by_patch_brings_the_version_back_as_it_was(client: Any) -> None:
    _setup(client, ON)
    before = client.gallery_image_versions.get(RG, "g1", "img1", "1.0.0")
    client.gallery_image_versions.begin_delete(RG, "g1", "img1", "1.0.0").result()
    restored = client.gallery_image_versions.begin_update(
        RG, "g1", "img1", "1.0.0", {"properties": {"restore": True, "storageProfile": {}}}
    ).result()
    assert restored.provisioning_state == "Succeeded"
    assert restored.publishing_profile.published_date == before.publishing_profile.published_date
    assert restored.tags == {"team": "a"}
    assert restored.storage_profile.source.id == before.storage_profile.source.id
    assert _bin(client) == []


def test_restore_by_put_with_only_location_and_tags(raw: Raw, client: Any) -> None:
    _setup(client, ON)
    client.gallery_image_versions.begin_delete(RG, "g1", "img1", "1.0.0").result()
    path = gallery_path() + "/images/img1/versions/1.0.0"
    resp = raw("PUT", path, {"location": "eastus", "tags": {}}, api="2024-03-03")
    assert resp.status_code == 200 and resp.json()["properties"]["provisioningState"] == "Updating"
    assert "azure-asyncoperation" in {h.lower() for h in resp.headers}
    assert client.gallery_image_versions.get(RG, "g1", "img1", "1.0.0").tags == {}


def test_a_full_put_on_a_soft_deleted_name_is_refused(client: Any) -> None:
    _setup(client, ON)
    client.gallery_image_versions.begin_delete(RG, "g1", "img1", "1.0.0").result()
    with pytest.raises(ResourceExistsError) as err:
        client.gallery_image_versions.begin_create_or_update(RG, "g1", "img1", "1.0.0", version_body(["eastus"]))
    assert err.value.error.code == "OperationNotAllowed" and "soft-deleted" in err.value.error.message


def test_bypass_deletes_for_good_and_purges_the_bin(client: Any) -> None:
    _setup(client, ON, ("1.0.0", "2.0.0"))
    versions = client.gallery_image_versions
    versions.begin_delete(RG, "g1", "img1", "1.0.0", bypass_soft_delete=True).result()
    versions.begin_delete(RG, "g1", "img1", "2.0.0").result()
    assert [i.name for i in _bin(client)] == ["2.0.0"]
    versions.begin_delete(RG, "g1", "img1", "2.0.0", bypass_soft_delete=True).result()
    assert _bin(client) == []
    with pytest.raises(ResourceNotFoundError):
        versions.begin_update(
            RG, "g1", "img1", "1.0.0", {"properties": {"restore": True, "storageProfile": {}}}
        ).result()


def test_without_soft_delete_a_delete_is_permanent(client: Any) -> None:
    _setup(client, None)
    client.gallery_image_versions.begin_delete(RG, "g1", "img1", "1.0.0").result()
    assert _bin(client) == []


def test_a_definition_holding_soft_deleted_versions_is_kept_while_soft_delete_is_on(client: Any) -> None:
    _setup(client, ON)
    client.gallery_image_versions.begin_delete(RG, "g1", "img1", "1.0.0").result()
    with pytest.raises(ResourceExistsError) as err:
        client.gallery_images.begin_delete(RG, "g1", "img1").result()
    assert err.value.error.code == "OperationNotAllowed" and "img1/versions/1.0.0" in err.value.error.message
    with pytest.raises(ResourceExistsError):
        client.galleries.begin_delete(RG, "g1").result()
    # with soft delete off (recorded: test_gallery_soft_delete.yaml) they go with the definition
    client.galleries.begin_create_or_update(
        RG, "g1", {"location": "eastus", "properties": {"softDeletePolicy": {"isSoftDeleteEnabled": False}}}
    ).result()
    client.gallery_images.begin_delete(RG, "g1", "img1").result()
    client.galleries.begin_delete(RG, "g1").result()


def test_versions_past_their_hard_deletion_time_are_gone(client: Any, emu: Any) -> None:
    _setup(client, {"isSoftDeleteEnabled": True, "retentionPeriodInDays": 1, "gracePeriodInDays": 1})
    client.gallery_image_versions.begin_delete(RG, "g1", "img1", "1.0.0").result()
    real = emu.backend.clock
    emu.backend.clock = lambda: real() + 2 * DAY + 1
    try:
        assert _bin(client) == []
        client.gallery_images.begin_delete(RG, "g1", "img1").result()
    finally:
        emu.backend.clock = real


def test_a_policy_without_periods_keeps_versions_seven_days(client: Any) -> None:
    _setup(client, {"isSoftDeleteEnabled": True})
    client.gallery_image_versions.begin_delete(RG, "g1", "img1", "1.0.0").result()
    [item] = _bin(client)
    props = item.properties
    assert parse_time(props.consumption_end_time) - parse_time(props.soft_deleted_time) == 7 * DAY
    assert props.hard_deletion_target_time == props.consumption_end_time
    assert SUB in item.id
