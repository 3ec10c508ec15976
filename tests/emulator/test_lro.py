"""The LRO protocol on the wire and simulated replication, region by region."""

from __future__ import annotations

import time
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from .conftest import RG, SUB, gallery_path, image_body, make_definition, version_body


def test_put_create_then_update_statuses_and_headers(raw: Any, adm: Any) -> None:
    adm.config(retry_after=3)
    created = raw("PUT", gallery_path("g1"), {"location": "eastus"})
    assert created.status_code == 201
    assert created.json()["properties"]["provisioningState"] == "Creating"
    op_url = created.headers["Azure-AsyncOperation"]
    assert op_url.startswith(
        f"{raw.url}/subscriptions/{SUB}/providers/Microsoft.Compute/locations/eastus/capsOperations/"
    )
    assert "Location" not in created.headers  # the live service sends no Location on PUT (API-FACTS §6.2)
    status = raw.session.get(op_url, headers={"Authorization": f"Bearer {raw.token}"}, verify=raw.verify)
    assert status.status_code == 200
    assert status.json()["status"] == "Succeeded" and "endTime" in status.json()
    again = raw("PUT", gallery_path("g1"), {"location": "eastus"})
    assert again.status_code == 200 and again.json()["properties"]["provisioningState"] == "Updating"
    patched = raw("PATCH", gallery_path("g1"), {"tags": {"a": "b"}})
    assert patched.status_code == 200 and patched.json()["tags"] == {"a": "b"}


def test_delete_202_then_204(raw: Any, adm: Any) -> None:
    adm.config(retry_after=2)
    raw("PUT", gallery_path("g1"), {"location": "eastus"})
    deleted = raw("DELETE", gallery_path("g1"))
    assert deleted.status_code == 202 and deleted.content == b""
    assert "capsOperations" in deleted.headers["Azure-AsyncOperation"]
    assert "monitor=true" in deleted.headers["Location"]
    monitor = raw.session.get(
        deleted.headers["Location"], headers={"Authorization": f"Bearer {raw.token}"}, verify=raw.verify
    )
    assert monitor.status_code == 204
    assert raw("DELETE", gallery_path("g1")).status_code == 204


def test_version_lro_in_progress_then_succeeded(emu: Any, raw: Any, adm: Any, client: Any) -> None:
    make_definition(client)
    adm.config(replication_seconds=0.3, retry_after=1)
    path = gallery_path("g1") + "/images/img1/versions/1.0.0"
    resp = raw("PUT", path, version_body(["westcentralus", "eastus"]))
    assert resp.status_code == 201 and resp.headers["Retry-After"] == "1"
    body = resp.json()["properties"]
    assert body["provisioningState"] == "Creating" and "sizeInGB" not in body["storageProfile"].get("osDiskImage", {})
    op_url = resp.headers["Azure-AsyncOperation"]
    poll = raw.session.get(op_url, headers={"Authorization": f"Bearer {raw.token}"}, verify=raw.verify)
    assert poll.json()["status"] == "InProgress" and poll.headers["Retry-After"] == "1"
    assert raw("GET", path).json()["properties"]["provisioningState"] == "Creating"
    time.sleep(0.65)
    poll = raw.session.get(op_url, headers={"Authorization": f"Bearer {raw.token}"}, verify=raw.verify)
    assert poll.json()["status"] == "Succeeded" and "Retry-After" not in poll.headers
    done = raw("GET", path).json()["properties"]
    assert done["provisioningState"] == "Succeeded"
    assert done["storageProfile"]["osDiskImage"]["sizeInGB"] == 30


def test_replication_progresses_region_by_region(client: Any, adm: Any) -> None:
    make_definition(client)
    adm.config(replication_seconds=0.2)
    poller = client.gallery_image_versions.begin_create_or_update(
        RG, "g1", "img1", "1.0.0", version_body(["westcentralus", "eastus", "southcentralus"])
    )

    def summary() -> list[tuple[str, str]]:
        v = client.gallery_image_versions.get(RG, "g1", "img1", "1.0.0", expand="ReplicationStatus")
        return [(s.region, s.state) for s in v.replication_status.summary], v.replication_status.aggregated_state

    first, agg = summary()
    # the source's region replicates first
    assert first[0] == ("East US", "Replicating") and agg == "InProgress"
    assert {state for _, state in first[1:]} == {"Replicating"}
    time.sleep(0.25)
    second, _ = summary()
    assert second[0] == ("East US", "Completed")
    assert poller.result().provisioning_state == "Succeeded"
    final, agg = summary()
    assert agg == "Completed" and all(state == "Completed" for _, state in final)
    v = client.gallery_image_versions.get(RG, "g1", "img1", "1.0.0", expand="ReplicationStatus")
    assert all(s.progress == 100 for s in v.replication_status.summary)
    plain = client.gallery_image_versions.get(RG, "g1", "img1", "1.0.0")
    assert plain.replication_status is None


def test_adding_a_region_replicates_only_that_region(client: Any, adm: Any) -> None:
    make_definition(client)
    client.gallery_image_versions.begin_create_or_update(RG, "g1", "img1", "1.0.0", version_body()).result()
    adm.config(replication_seconds=0.3)
    poller = client.gallery_image_versions.begin_update(
        RG, "g1", "img1", "1.0.0", version_body(["eastus", "northeurope"])
    )
    v = client.gallery_image_versions.get(RG, "g1", "img1", "1.0.0", expand="ReplicationStatus")
    assert v.provisioning_state == "Updating"
    states = {s.region: (s.state, s.progress) for s in v.replication_status.summary}
    assert states["East US"] == ("Completed", 100)
    assert states["North Europe"][0] == "Replicating"
    assert poller.result().provisioning_state == "Succeeded"


def test_api_version_checks(raw: Any) -> None:
    for version in ("2022-03-03", "2024-03-03", "2025-03-03", "2026-03-03"):
        assert raw("GET", f"/subscriptions/{SUB}/providers/Microsoft.Compute/galleries", api=version).status_code == 200
    bad = raw("GET", f"/subscriptions/{SUB}/providers/Microsoft.Compute/galleries", api="2021-01-01")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "NoRegisteredProviderFound"
    assert "API version '2021-01-01' for type 'galleries'" in bad.json()["error"]["message"]
    missing = raw("GET", f"/subscriptions/{SUB}/providers/Microsoft.Compute/galleries", api=None)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "MissingApiVersionParameter"


def test_case_insensitive_paths(raw: Any) -> None:
    raw("PUT", gallery_path("Gal1"), {"location": "eastus"})
    lower = f"/SUBSCRIPTIONS/{SUB}/resourcegroups/MYGALLERYRG/providers/microsoft.compute/GALLERIES/gal1"
    got = raw("GET", lower)
    assert got.status_code == 200 and got.json()["name"] == "Gal1"


def test_failed_lro_surfaces_error(client: Any, adm: Any) -> None:
    make_definition(client)
    adm.faults(failRegions=["westcentralus"])
    with pytest.raises(HttpResponseError) as info:
        client.gallery_image_versions.begin_create_or_update(
            RG, "g1", "img1", "1.0.0", version_body(["westcentralus", "eastus"])
        ).result()
    assert info.value.error.code == "CrpPirReplicationJobsNotCompleted"
    assert "Replication job not completed at region: westcentralus" in info.value.error.message
    v = client.gallery_image_versions.get(RG, "g1", "img1", "1.0.0", expand="ReplicationStatus")
    assert v.provisioning_state == "Failed"
    assert v.replication_status.aggregated_state == "Failed"
    assert {s.region: s.state for s in v.replication_status.summary} == {
        "East US": "Completed",
        "West Central US": "Failed",
    }
    # repair: stop failing the region and re-send the version; only the failed region replicates again
    adm.faults(failRegions=[])
    repaired = client.gallery_image_versions.begin_update(
        RG, "g1", "img1", "1.0.0", version_body(["westcentralus", "eastus"])
    ).result()
    assert repaired.provisioning_state == "Succeeded"
    assert repaired.storage_profile.os_disk_image.size_in_gb == 30


def test_image_patch_is_updating(raw: Any) -> None:
    raw("PUT", gallery_path("g1"), {"location": "eastus"})
    raw("PUT", gallery_path("g1") + "/images/i", image_body())
    resp = raw("PATCH", gallery_path("g1") + "/images/i", image_body(description="x"))
    assert resp.status_code == 200 and resp.json()["properties"]["provisioningState"] == "Updating"
