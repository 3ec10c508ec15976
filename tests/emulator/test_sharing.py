"""Gallery sharing through the real SDK: `…/share`, groups on GET, the consumer-side shared and community reads."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from reconciler.emulator.testing import Admin, make_compute_client

from .conftest import RG, SUB, Raw, gallery_path, image_body, version_body

CONSUMER = "22222222-2222-2222-2222-222222222222"
OTHER_TENANT = "33333333-3333-3333-3333-333333333333"
TENANT_SUB = "44444444-4444-4444-4444-444444444444"
COMMUNITY = {
    "publisherUri": "https://contoso.example",
    "publisherContact": "images@contoso.example",
    "eula": "https://contoso.example/eula",
    "publicNamePrefix": "contoso",
}


def _groups(client: Any, gallery: str = "g1", **kw: Any) -> dict[str, list[str]]:
    found = client.galleries.get(RG, gallery, **kw).sharing_profile
    return {g.type: list(g.ids) for g in (found.groups or [])}


def _shared(client: Any, gallery: str = "g1", permissions: str = "Groups") -> None:
    body = {"location": "eastus", "properties": {"sharingProfile": {"permissions": permissions}}}
    client.galleries.begin_create_or_update(RG, gallery, body).result()


def test_add_and_remove_compare_as_sets_and_groups_only_show_when_asked(client: Any) -> None:
    _shared(client)
    share = client.gallery_sharing_profile
    share.begin_update(
        RG, "g1", {"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": [CONSUMER, SUB]}]}
    ).result()
    # adding an id already there (any case) is no change; a second type is appended
    share.begin_update(
        RG,
        "g1",
        {
            "operationType": "Add",
            "groups": [
                {"type": "Subscriptions", "ids": [CONSUMER.upper()]},
                {"type": "AADTenants", "ids": [OTHER_TENANT]},
            ],
        },
    ).result()
    assert _groups(client, expand="SharingProfile/Groups") == {
        "Subscriptions": [CONSUMER, SUB],
        "AADTenants": [OTHER_TENANT],
    }
    assert _groups(client, select="Permissions") == _groups(client, expand="SharingProfile/Groups")
    assert _groups(client) == {}  # a plain GET does not show them
    assert all(not g.sharing_profile.groups for g in client.galleries.list_by_resource_group(RG))
    share.begin_update(
        RG, "g1", {"operationType": "Remove", "groups": [{"type": "AADTenants", "ids": [OTHER_TENANT]}]}
    ).result()
    assert _groups(client, expand="SharingProfile/Groups") == {"Subscriptions": [CONSUMER, SUB]}
    share.begin_update(RG, "g1", {"operationType": "Reset"}).result()
    reset = client.galleries.get(RG, "g1", expand="SharingProfile/Groups").sharing_profile
    assert reset.permissions == "Private" and not reset.groups


def test_share_answers_202_with_both_operation_headers(raw: Raw, client: Any) -> None:
    _shared(client)
    resp = raw("POST", gallery_path() + "/share", {"operationType": "Add", "groups": []}, api="2026-03-03")
    assert resp.status_code == 202 and not resp.content
    assert {"azure-asyncoperation", "location"} <= {h.lower() for h in resp.headers}


def test_add_to_a_private_gallery_and_enable_community_on_a_groups_gallery_are_refused(client: Any) -> None:
    _shared(client, "private1", "Private")
    _shared(client, "groups1")
    share = client.gallery_sharing_profile
    with pytest.raises(ResourceExistsError) as err:
        share.begin_update(
            RG, "private1", {"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": [CONSUMER]}]}
        ).result()
    assert err.value.error.code == "OperationNotAllowed" and "'Private', not 'Groups'" in err.value.error.message
    with pytest.raises(ResourceExistsError) as err:
        share.begin_update(RG, "groups1", {"operationType": "EnableCommunity"}).result()
    assert "not 'Community'" in err.value.error.message
    with pytest.raises(HttpResponseError) as bad:
        share.begin_update(RG, "groups1", {"operationType": "Add", "groups": [{"type": "Users", "ids": ["x"]}]})
    assert bad.value.status_code == 400


def test_permissions_cannot_change_in_place(client: Any) -> None:
    _shared(client, "g1", "Private")
    with pytest.raises(ResourceExistsError) as err:
        _shared(client, "g1", "Groups")
    assert err.value.error.code == "PropertyChangeNotAllowed"
    assert err.value.error.target == "gallery.properties.sharingProfile.permissions"


def test_an_update_keeps_groups_and_the_community_state(client: Any) -> None:
    _shared(client)
    client.gallery_sharing_profile.begin_update(
        RG, "g1", {"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": [CONSUMER]}]}
    ).result()
    client.galleries.begin_create_or_update(
        RG, "g1", {"location": "eastus", "properties": {"description": "d"}}
    ).result()
    client.galleries.begin_update(RG, "g1", {"properties": {"description": "e"}}).result()
    assert _groups(client, expand="SharingProfile/Groups") == {"Subscriptions": [CONSUMER]}


def _community(client: Any, gallery: str = "pub1") -> Any:
    body = {
        "location": "eastus",
        "properties": {"sharingProfile": {"permissions": "Community", "communityGalleryInfo": dict(COMMUNITY)}},
    }
    return client.galleries.begin_create_or_update(RG, gallery, body).result()


def test_community_gallery_lifecycle(client: Any, adm: Admin, emu: Any) -> None:
    created = _community(client)
    info = created.sharing_profile.community_gallery_info
    assert info.community_gallery_enabled is False
    [public] = info.public_names
    assert public.startswith("contoso-")
    consumer = make_compute_client(emu, CONSUMER)
    adm.seed({"subscriptions": [{"id": CONSUMER, "tenantId": OTHER_TENANT}]})
    with pytest.raises(ResourceNotFoundError):
        consumer.community_galleries.get("eastus", public)  # not public before EnableCommunity
    client.gallery_sharing_profile.begin_update(RG, "pub1", {"operationType": "EnableCommunity"}).result()
    seen = consumer.community_galleries.get("eastus", public)
    assert seen.name == public and seen.identifier.unique_id == f"/CommunityGalleries/{public}"
    assert seen.as_dict()["communityMetadata"]["publisherUri"] == COMMUNITY["publisherUri"]
    with pytest.raises(ResourceNotFoundError):
        consumer.community_galleries.get("westus", public)  # no version replicates there
    # the public name prefix and contacts cannot change in place
    with pytest.raises(ResourceExistsError):
        client.galleries.begin_create_or_update(
            RG,
            "pub1",
            {
                "location": "eastus",
                "properties": {
                    "sharingProfile": {
                        "permissions": "Community",
                        "communityGalleryInfo": {**COMMUNITY, "publicNamePrefix": "other"},
                    }
                },
            },
        )
    # a community gallery is reset before it is deleted (share-gallery-community docs)
    with pytest.raises(ResourceExistsError) as err:
        client.galleries.begin_delete(RG, "pub1").result()
    assert "reset its sharing" in err.value.error.message
    client.gallery_sharing_profile.begin_update(RG, "pub1", {"operationType": "Reset"}).result()
    assert client.galleries.get(RG, "pub1").sharing_profile.permissions == "Private"
    with pytest.raises(ResourceNotFoundError):
        consumer.community_galleries.get("eastus", public)
    client.galleries.begin_delete(RG, "pub1").result()


def test_shared_galleries_are_listed_for_the_subscriptions_and_tenants_they_are_shared_with(
    client: Any, adm: Admin, emu: Any
) -> None:
    adm.seed(
        {
            "subscriptions": [
                {"id": CONSUMER, "tenantId": OTHER_TENANT},
                {"id": TENANT_SUB, "tenantId": "55555555-5555-5555-5555-555555555555"},
            ]
        }
    )
    _shared(client)
    client.gallery_images.begin_create_or_update(RG, "g1", "img1", image_body()).result()
    client.gallery_image_versions.begin_create_or_update(
        RG, "g1", "img1", "1.0.0", version_body(["eastus", "westus2"])
    ).result()
    consumer, tenant_member = make_compute_client(emu, CONSUMER), make_compute_client(emu, TENANT_SUB)
    unique = f"{SUB}-G1"
    assert list(consumer.shared_galleries.list("eastus")) == []
    client.gallery_sharing_profile.begin_update(
        RG,
        "g1",
        {
            "operationType": "Add",
            "groups": [
                {"type": "Subscriptions", "ids": [CONSUMER]},
                {"type": "AADTenants", "ids": ["55555555-5555-5555-5555-555555555555"]},
            ],
        },
    ).result()
    assert [g.name for g in consumer.shared_galleries.list("eastus")] == [unique]
    assert [g.name for g in consumer.shared_galleries.list("westus2")] == [unique]  # a version's target region
    assert list(consumer.shared_galleries.list("westeurope")) == []
    assert list(consumer.shared_galleries.list("eastus", shared_to="tenant")) == []  # shared by subscription only
    assert [g.name for g in tenant_member.shared_galleries.list("eastus", shared_to="tenant")] == [unique]
    got = consumer.shared_galleries.get("eastus", unique)
    assert got.identifier.unique_id == f"/SharedGalleries/{unique}"
    with pytest.raises(ResourceNotFoundError):
        make_compute_client(emu).shared_galleries.get("eastus", unique)  # the owner's subscription: not shared
