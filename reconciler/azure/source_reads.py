"""Read the resources image versions are made from, once each and concurrently, for the plan's source checks.

Typed azure-mgmt-compute calls in the target subscription (a VM with its instance view, images,
snapshots, disks, gallery image versions with their definition); azure-mgmt-resource's generic
`get_by_id` for storage accounts and for sources in other subscriptions. A 404 means the source does not
exist; any other refusal (permission, a subscription the credential cannot see) makes it unreadable,
which the plan reports as a warning rather than guessing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from reconciler.azure.reads import as_json
from reconciler.azure.session import Clients
from reconciler.core.api import GALLERY_API_VERSION
from reconciler.core.arm_json import resource_type
from reconciler.core.regions import fold_region
from reconciler.core.source_facts import SourceFacts

READ_CONCURRENCY = 16
GENERIC_API_VERSIONS = {
    "microsoft.storage/storageaccounts": "2023-05-01",
    "microsoft.compute/virtualmachines": "2024-07-01",
    "microsoft.compute/images": "2024-07-01",
    "microsoft.compute/snapshots": "2024-03-02",
    "microsoft.compute/disks": "2024-03-02",
    "microsoft.compute/galleries/images/versions": GALLERY_API_VERSION,
}
"""api-versions for `get_by_id`, used for storage accounts and for sources outside the target subscription."""


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _plan(value: Any) -> tuple[str, str, str] | None:
    if not isinstance(value, dict) or not value.get("name"):
        return None
    return (str(value.get("name")), str(value.get("product", "")), str(value.get("publisher", "")))


def facts_from_body(resource_id: str, body: dict[str, Any], definition: dict[str, Any] | None = None) -> SourceFacts:
    """What an ARM body of a source says (pure; `definition` is a gallery image version's image definition)."""
    arm_type = resource_type(resource_id)
    props = body.get("properties") or {}
    location = fold_region(body["location"]) if isinstance(body.get("location"), str) else None
    if arm_type == "microsoft.compute/virtualmachines":
        storage = props.get("storageProfile") or {}
        os_disk = storage.get("osDisk") or {}
        view = props.get("instanceView")
        statuses = [s.get("code", "") for s in (view or {}).get("statuses") or [] if isinstance(s, dict)]
        os_state = None
        if view is not None and statuses:
            # A generalized VM says so in its instance view; one that does not is specialized.
            os_state = "Generalized" if any(c.lower() == "osstate/generalized" for c in statuses) else "Specialized"
        return SourceFacts(
            resource_id,
            arm_type,
            location=location,
            os_type=os_disk.get("osType"),
            os_state=os_state,
            hyper_v_generation=(view or {}).get("hyperVGeneration") or props.get("hyperVGeneration"),
            os_disk_size_gb=_int(os_disk.get("diskSizeGB")),
            data_disks=tuple((int(d["lun"]), _int(d.get("diskSizeGB"))) for d in storage.get("dataDisks") or []),
            purchase_plan=_plan(body.get("plan")),
        )
    if arm_type == "microsoft.compute/images":
        storage = props.get("storageProfile") or {}
        os_disk = storage.get("osDisk") or {}
        return SourceFacts(
            resource_id,
            arm_type,
            location=location,
            os_type=os_disk.get("osType"),
            os_state=os_disk.get("osState"),
            hyper_v_generation=props.get("hyperVGeneration"),
            os_disk_size_gb=_int(os_disk.get("diskSizeGB")),
            data_disks=tuple((int(d["lun"]), _int(d.get("diskSizeGB"))) for d in storage.get("dataDisks") or []),
        )
    if arm_type in ("microsoft.compute/snapshots", "microsoft.compute/disks"):
        return SourceFacts(
            resource_id,
            arm_type,
            location=location,
            os_type=props.get("osType"),
            hyper_v_generation=props.get("hyperVGeneration"),
            architecture=(props.get("supportedCapabilities") or {}).get("architecture"),
            os_disk_size_gb=_int(props.get("diskSizeGB")),
            purchase_plan=_plan(props.get("purchasePlan")),
        )
    if arm_type == "microsoft.compute/galleries/images/versions":
        dprops = (definition or {}).get("properties") or {}
        os_image = (props.get("storageProfile") or {}).get("osDiskImage") or {}
        return SourceFacts(
            resource_id,
            arm_type,
            location=location,
            os_type=dprops.get("osType"),
            os_state=dprops.get("osState"),
            hyper_v_generation=dprops.get("hyperVGeneration"),
            architecture=dprops.get("architecture"),
            os_disk_size_gb=_int(os_image.get("sizeInGB")),
            provisioning_state=props.get("provisioningState"),
        )
    return SourceFacts(resource_id, arm_type, location=location)


class _Reader:
    def __init__(self, clients: Clients, subscription_id: str, concurrency: int) -> None:
        self.clients, self.subscription = clients, subscription_id.lower()
        self.sem = asyncio.Semaphore(concurrency)

    async def read(self, resource_id: str) -> SourceFacts:
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
        from azure.mgmt.core.tools import parse_resource_id

        arm_type = resource_type(resource_id)
        parts = parse_resource_id(resource_id)
        try:
            async with self.sem:
                if parts.get("subscription", "").lower() == self.subscription:
                    body, definition = await self._typed(arm_type, parts)
                else:
                    body, definition = await self._generic(resource_id, arm_type), None
        except ResourceNotFoundError:
            return SourceFacts(resource_id, arm_type, found=False)
        except HttpResponseError as err:
            code = getattr(getattr(err, "error", None), "code", None) or err.status_code
            return SourceFacts(resource_id, arm_type, unreadable=f"Azure answered {code} when reading it")
        return facts_from_body(resource_id, body, definition)

    async def _typed(self, arm_type: str, p: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        compute, rg = self.clients.compute, p["resource_group"]
        if arm_type == "microsoft.compute/virtualmachines":
            return as_json(await compute.virtual_machines.get(rg, p["name"], expand="instanceView")), None
        if arm_type == "microsoft.compute/images":
            return as_json(await compute.images.get(rg, p["name"])), None
        if arm_type == "microsoft.compute/snapshots":
            return as_json(await compute.snapshots.get(rg, p["name"])), None
        if arm_type == "microsoft.compute/disks":
            return as_json(await compute.disks.get(rg, p["name"])), None
        if arm_type == "microsoft.compute/galleries/images/versions":
            gallery, image, version = p["name"], p["child_name_1"], p["child_name_2"]
            body = await compute.gallery_image_versions.get(
                rg, gallery, image, version, expand="ReplicationStatus", api_version=GALLERY_API_VERSION
            )
            definition = await compute.gallery_images.get(rg, gallery, image, api_version=GALLERY_API_VERSION)
            return as_json(body), as_json(definition)
        return await self._generic(_rebuild(p), arm_type), None

    async def _generic(self, resource_id: str, arm_type: str) -> dict[str, Any]:
        version = GENERIC_API_VERSIONS.get(arm_type, "2023-05-01")
        return as_json(await self.clients.resources.resources.get_by_id(resource_id, api_version=version))


def _rebuild(parts: dict[str, str]) -> str:
    from azure.mgmt.core.tools import resource_id

    return resource_id(**{k: v for k, v in parts.items() if k in _ID_KEYS})


_ID_KEYS = ("subscription", "resource_group", "namespace", "type", "name")


async def read_sources(
    clients: Clients, subscription_id: str, ids: Iterable[str], *, concurrency: int = READ_CONCURRENCY
) -> dict[str, SourceFacts]:
    """Facts for each distinct source id (keyed by the lower-cased id), read concurrently, once each."""
    unique = {i.lower(): i for i in ids if i}
    reader = _Reader(clients, subscription_id, concurrency)
    found = await asyncio.gather(*(reader.read(i) for i in unique.values()))
    return dict(zip(unique, found, strict=True))
