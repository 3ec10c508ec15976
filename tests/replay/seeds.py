"""The source resources a recording's gallery requests reference, as an emulator seed document.

Sources are read from the recording itself wherever Azure's answer about them was recorded (a VM's GET with
`$expand=instanceView` has its disks' sizes, a managed image's GET its disks and caching, a disk's or
snapshot's GET its size and OS). What a recording references without recording it is listed in `EXTRA`,
each value taken from the recorded gallery answers that show it.
"""

from __future__ import annotations

import re
from typing import Any

from .recordings import Exchange

_SOURCE = re.compile(
    r"/resourceGroups/(?P<rg>[^/]+)/providers/(?P<type>Microsoft\.Compute/(?:virtualMachines|images|snapshots|disks)"
    r"|Microsoft\.Storage/storageAccounts)/(?P<name>[^/?]+)$",
    re.IGNORECASE,
)
_SECTION = {
    "microsoft.compute/virtualmachines": "virtualMachines",
    "microsoft.compute/images": "images",
    "microsoft.compute/snapshots": "snapshots",
    "microsoft.compute/disks": "disks",
    "microsoft.storage/storageaccounts": "storageAccounts",
}

# Referenced but not recorded. Keys are recording names; values are seed sections (resourceGroup is filled in).
EXTRA: dict[str, dict[str, list[dict[str, Any]]]] = {
    # The SDK test's snapshot: a 200 GB OS disk in eastus2 (the version's GET shows sizeInGB 200).
    "test_mgmt_compute_galleries.galleries_only.json": {
        "snapshots": [{"name": "snapshotname4a232cfa", "location": "eastus2", "diskSizeGB": 200}],
    },
    # The VHD's storage account (the test's fixture, not recorded); the version is in westus, as the VHD must be.
    "azure-cli/test_gallery_image_version_vhd.yaml": {
        "storageAccounts": [
            {
                "name": "vhdstorage5519422e2f7888",
                "location": "westus",
                "blobs": ["https://vhdstorage5519422e2f7888.blob.core.windows.net/vhds/osdisk_5519422e2f.vhd"],
            }
        ],
    },
    # The condensed 2026 recording keeps gallery requests only. Its VM: westus, a 30 GB OS disk cached ReadWrite,
    # no data disks, from Canonical UbuntuServer 16.04-LTS (the version's GET shows all of that).
    "azure-cli/test_gallery_soft_delete_policy_and_recycle_bin.yaml": {
        "virtualMachines": [
            {
                "name": "vm1",
                "location": "westus",
                "osType": "Linux",
                "diskSizeGB": 30,
                "hostCaching": "ReadWrite",
                "imageReference": {"publisher": "Canonical", "offer": "UbuntuServer", "sku": "16.04-LTS"},
            }
        ],
    },
}


def _vm(body: dict[str, Any]) -> dict[str, Any]:
    props = body.get("properties") or {}
    storage = props.get("storageProfile") or {}
    os_disk = storage.get("osDisk") or {}
    ref = storage.get("imageReference") or {}
    item: dict[str, Any] = {
        "osType": os_disk.get("osType"),
        "hyperVGeneration": (props.get("instanceView") or {}).get("hyperVGeneration"),
        "diskSizeGB": os_disk.get("diskSizeGB"),
        "hostCaching": os_disk.get("caching"),
        "dataDisks": [_data_disk(d) for d in storage.get("dataDisks") or []],
    }
    if ref.get("publisher"):
        item["imageReference"] = {k: ref[k] for k in ("publisher", "offer", "sku") if k in ref}
    return item


def _image(body: dict[str, Any]) -> dict[str, Any]:
    props = body.get("properties") or {}
    storage = props.get("storageProfile") or {}
    os_disk = storage.get("osDisk") or {}
    return {
        "osType": os_disk.get("osType"),
        "osState": os_disk.get("osState"),
        "hyperVGeneration": props.get("hyperVGeneration"),
        "diskSizeGB": os_disk.get("diskSizeGB"),
        "hostCaching": os_disk.get("caching"),
        "dataDisks": [_data_disk(d) for d in storage.get("dataDisks") or []],
    }


def _disk(body: dict[str, Any]) -> dict[str, Any]:
    props = body.get("properties") or {}
    return {k: props.get(k) for k in ("osType", "hyperVGeneration", "diskSizeGB")}


def _data_disk(disk: dict[str, Any]) -> dict[str, Any]:
    out = {"lun": disk["lun"], "diskSizeGB": disk.get("diskSizeGB"), "hostCaching": disk.get("caching")}
    return {k: v for k, v in out.items() if v is not None}


def _richness(body: dict[str, Any]) -> int:
    """Prefer the answer that says the most: sizes are only in a VM's instanceView-expanded GET."""
    text = str(body)
    return text.count("diskSizeGB") * 2 + ("instanceView" in text)


def sources(exchanges: tuple[Exchange, ...]) -> dict[str, list[dict[str, Any]]]:
    """Seed sections for every source resource whose own GET or PUT answer was recorded."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for ex in exchanges:
        m = _SOURCE.search(ex.path)
        if not m or ex.method not in ("GET", "PUT") or ex.status >= 300 or not isinstance(ex.response, dict):
            continue
        if "location" not in ex.response:
            continue
        key = (m.group("type").lower(), m.group("name").lower())
        if key not in best or _richness(ex.response) >= _richness(best[key]):
            best[key] = ex.response
    doc: dict[str, list[dict[str, Any]]] = {}
    for (rtype, _), body in sorted(best.items()):
        reader = {"virtualMachines": _vm, "images": _image}.get(_SECTION[rtype], _disk)
        fields = {k: v for k, v in reader(body).items() if v not in (None, [])}
        doc.setdefault(_SECTION[rtype], []).append({"name": body["name"], "location": body["location"], **fields})
    return doc


def seed_document(name: str, exchanges: tuple[Exchange, ...], subscription: str, group: str, location: str) -> dict:
    """The whole seed for replaying recording `name` into `subscription`/`group` (a group in `location`)."""
    sections = sources(exchanges)
    for section, items in EXTRA.get(name, {}).items():
        sections.setdefault(section, []).extend(items)
    doc: dict[str, Any] = {
        "subscriptions": [{"id": subscription, "displayName": "Replay"}],
        "resourceGroups": [{"name": group, "location": location, "subscription": subscription}],
    }
    for section, items in sections.items():
        doc[section] = [{**item, "resourceGroup": group, "subscription": subscription} for item in items]
    return doc
