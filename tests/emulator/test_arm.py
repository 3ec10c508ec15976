"""The ARM surface around galleries: auth, metadata, token endpoint, subscriptions, tenants, groups, sources, seed."""

from __future__ import annotations

import base64
import json
from typing import Any

from .conftest import RG, SUB, Raw


def test_token_required(raw: Any) -> None:
    path = f"/subscriptions/{SUB}/providers/Microsoft.Compute/galleries"
    none = raw("GET", path, headers={})
    assert none.status_code == 401
    assert none.json()["error"]["code"] == "AuthenticationFailed"
    assert "WWW-Authenticate" in none.headers
    junk = raw("GET", path, headers={"Authorization": "Bearer not-a-jwt"})
    assert junk.status_code == 401 and junk.json()["error"]["code"] == "InvalidAuthenticationToken"
    basic = raw("GET", path, headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
    assert raw("GET", path).status_code == 200


def test_metadata_and_managed_identity_token(raw: Any) -> None:
    meta = raw("GET", "/metadata/endpoints", headers={}, api="2022-09-01").json()
    assert meta["resourceManager"] == raw.url + "/"
    assert meta["authentication"]["audiences"]
    assert raw("GET", "/msi/token", headers={}, api="2019-08-01").status_code == 401
    token = raw(
        "GET",
        "/msi/token",
        headers={"X-IDENTITY-HEADER": "x"},
        api="2019-08-01",
        params={"resource": "https://management.core.windows.net/"},
    ).json()
    assert token["token_type"] == "Bearer" and int(token["expires_on"]) > 0
    claims = token["access_token"].split(".")[1]
    decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert decoded["tid"] == "00000000-0000-0000-0000-000000000001"
    got = raw("GET", f"/subscriptions/{SUB}", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert got.status_code == 200


def test_subscriptions_and_tenants(raw: Any, adm: Any) -> None:
    subs = raw("GET", "/subscriptions", api="2022-12-01").json()["value"]
    assert [s["subscriptionId"] for s in subs] == [SUB]
    assert subs[0]["displayName"] == "Emulator subscription" and subs[0]["state"] == "Enabled"
    adm.seed({"subscriptions": [{"id": "22222222-2222-2222-2222-222222222222", "displayName": "Second"}]})
    assert len(raw("GET", "/subscriptions", api="2022-12-01").json()["value"]) == 2
    tenants = raw("GET", "/tenants", api="2022-12-01").json()["value"]
    assert tenants[0]["tenantId"] == "00000000-0000-0000-0000-000000000001"
    missing = raw("GET", "/subscriptions/33333333-3333-3333-3333-333333333333", api="2022-12-01")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "SubscriptionNotFound"


def test_resource_groups(raw: Any) -> None:
    base = f"/subscriptions/{SUB}/resourcegroups"
    created = raw("PUT", f"{base}/newRG", {"location": "westus2", "tags": {"a": "1"}}, api="2024-11-01")
    assert created.status_code == 201 and created.json()["location"] == "westus2"
    assert raw("PUT", f"{base}/newRG", {"location": "westus2"}, api="2024-11-01").status_code == 200
    assert raw("HEAD", f"{base}/NEWRG", api="2024-11-01").status_code == 204
    assert raw("HEAD", f"{base}/absent", api="2024-11-01").status_code == 404
    got = raw("GET", f"/subscriptions/{SUB}/resourceGroups/newrg", api="2021-04-01").json()
    assert got["name"] == "newRG" and got["properties"]["provisioningState"] == "Succeeded"
    names = [g["name"] for g in raw("GET", base, api="2024-11-01").json()["value"]]
    assert "newRG" in names and RG in names
    raw("PUT", f"{base}/newRG/providers/Microsoft.Compute/galleries/inrg", {"location": "westus2"})
    assert raw("DELETE", f"{base}/newRG", api="2024-11-01").status_code == 200
    gone = raw("GET", f"{base}/newRG", api="2024-11-01")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "ResourceGroupNotFound"
    orphan = raw("GET", f"{base}/newRG/providers/Microsoft.Compute/galleries/inrg")
    assert orphan.status_code == 404


def test_source_resources_through_arm(raw: Any, client: Any) -> None:
    base = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers"
    vm = raw(
        "PUT",
        f"{base}/Microsoft.Compute/virtualMachines/vm2",
        {"location": "eastus2", "properties": {"storageProfile": {"osDisk": {"osType": "Windows"}}}},
        api="2024-07-01",
    )
    assert vm.status_code == 201 and vm.json()["type"] == "Microsoft.Compute/virtualMachines"
    # each type answers its PUT as its spec says: VMs and images 201, disks and snapshots 202 with the
    # resource, storage accounts 202 with an empty body (recordings/azure-cli/test_gallery_image_version_vhd.yaml)
    for kind, name, props, status in (
        ("Microsoft.Compute/snapshots", "snap2", {"osType": "Linux", "hyperVGeneration": "V1", "diskSizeGB": 64}, 202),
        ("Microsoft.Compute/disks", "disk2", {"diskSizeGB": 16}, 202),
        (
            "Microsoft.Compute/images",
            "img2",
            {"storageProfile": {"osDisk": {"osType": "Linux", "osState": "Generalized"}}},
            201,
        ),
        ("Microsoft.Storage/storageAccounts", "acct2", {}, 202),
    ):
        resp = raw("PUT", f"{base}/{kind}/{name}", {"location": "eastus2", "properties": props}, api="2023-01-01")
        assert resp.status_code == status, resp.text
        assert raw("GET", f"{base}/{kind}/{name}", api="2023-01-01").json()["name"] == name
    assert len(raw("GET", f"{base}/Microsoft.Compute/snapshots", api="2023-01-01").json()["value"]) == 1
    assert raw("DELETE", f"{base}/Microsoft.Compute/disks/disk2", api="2023-01-01").status_code == 200
    assert raw("DELETE", f"{base}/Microsoft.Compute/disks/disk2", api="2023-01-01").status_code == 204
    assert raw("GET", f"{base}/Microsoft.Compute/disks/disk2", api="2023-01-01").status_code == 404
    bad = raw("PUT", f"{base}/Microsoft.Storage/storageAccounts/Bad_Name", {"location": "eastus"}, api="2023-01-01")
    assert bad.status_code == 400
    # a version can be made from the VM created through ARM
    client.galleries.begin_create_or_update(RG, "g1", {"location": "eastus2"}).result()
    client.gallery_images.begin_create_or_update(
        RG,
        "g1",
        "win",
        {
            "location": "eastus2",
            "properties": {
                "osType": "Windows",
                "osState": "Generalized",
                "identifier": {"publisher": "p", "offer": "o", "sku": "s"},
            },
        },
    ).result()
    v = client.gallery_image_versions.begin_create_or_update(
        RG,
        "g1",
        "win",
        "1.0.0",
        {
            "location": "eastus2",
            "properties": {
                "publishingProfile": {"targetRegions": [{"name": "eastus2"}]},
                "storageProfile": {"source": {"id": vm.json()["id"]}},
            },
        },
    ).result()
    assert v.provisioning_state == "Succeeded"


def test_seed_endpoint_yaml_and_errors(raw: Any, adm: Any) -> None:
    created = adm.seed(
        "resourceGroups: [{name: seeded, location: northeurope}]\n"
        "snapshots: [{resourceGroup: seeded, name: s1, location: northeurope, osType: Linux}]\n"
    )["created"]
    assert created[-1].endswith("/resourceGroups/seeded/providers/Microsoft.Compute/snapshots/s1")
    assert raw("GET", f"/subscriptions/{SUB}/resourcegroups/seeded", api="2024-11-01").status_code == 200
    for bad, message in (
        ("nonsense: []", "unknown seed section"),
        ("snapshots: [{name: x}]", "'resourceGroup'"),
        ("resourceGroups: [{name: r, location: mars}]", "LocationNotAvailable"),
    ):
        try:
            adm.seed(bad)
        except RuntimeError as err:
            assert "400" in str(err) and message in str(err)
        else:
            raise AssertionError(f"seed {bad!r} was accepted")


def test_unknown_path_and_method(raw: Raw) -> None:
    assert raw("GET", f"/subscriptions/{SUB}/providers/Microsoft.Nope/things").status_code == 404
    assert raw("POST", f"/subscriptions/{SUB}/resourcegroups/{RG}").status_code == 405


def test_admin_state_dump(adm: Any) -> None:
    ids = [r["id"] for r in adm.state()["resources"]]
    assert f"/subscriptions/{SUB}/resourceGroups/platform-images/providers/Microsoft.Compute/images/ubuntu-base" in ids
