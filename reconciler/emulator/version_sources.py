"""An image version's sources as the Compute RP checks and reads them: rules, and the storage profile they give.

Rules (API-FACTS §5.3 and the troubleshooting page [D-TSG] it quotes): sources exist and are of a kind that
may stand where they are given; a VM of another subscription must be given as `virtualMachineId` (the service's
400 quoted in hashicorp/packer-plugin-azure#403); every source lies in the version's region (a gallery version:
has finished replicating there); the version's region is a target region; OS type, OS state and Hyper-V
generation agree with the definition. A disk larger than the replication mode allows is not refused here: its
replication fails ([D-TSG] "Replication failed in this region due to ..."), see `oversize`.

The storage profile Azure reports is derived from the sources (recordings/azure-cli/test_gallery_e2e.yaml,
test_image_version_create_for_diff_source.yaml, test_gallery_image_version_vhd.yaml): from a VM, managed image
or gallery version, `osDiskImage {sizeInGB, hostCaching, source: {}}` and a `dataDiskImages` entry per data disk
of the source (LUN, size, host caching), shown once the version has been created; from snapshots, disks and VHDs
the disks as given, host caching defaulted (OS disk ReadWrite, data disks ReadOnly), sizes once created.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from . import regions, replication
from .common import Ctx
from .errors import invalid_parameter
from .sources import blob_account, describe
from .store import Record

PREFIX = "galleryImageVersion.properties.storageProfile"
VM_TYPE = "microsoft.compute/virtualmachines"
TOP_TYPES = (VM_TYPE, "microsoft.compute/images", "microsoft.compute/galleries/images/versions")
DISK_TYPES = ("microsoft.compute/disks", "microsoft.compute/snapshots")
# [D-TSG]: "The GalleryImageVersion source resource size 2520 exceeds the max size 2048 supported" (full copies);
# [D-ACG]: shallow replication takes images up to 32 TB.
MAX_SIZE_GB = {"Full": 2048, "Shallow": 32768}
OVERSIZE_CODE = "GallerySourceResourceExceedsMaxSize"


@dataclass
class Placement:
    """What a version's sources give it: the storage profile while creating and once created, and more."""

    pending: dict[str, Any]
    created: dict[str, Any]
    region: str | None
    largest_gb: int = 0
    platform: list[dict[str, str]] = field(default_factory=list)


def _type_of(resource_id: str) -> str:
    """The ARM type of an id, lower-cased: '/subscriptions/s/resourceGroups/g/providers/A.B/c/n/d/m' -> 'a.b/c/d'."""
    parts = resource_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        return ""
    rest = parts[lowered.index("providers") + 1 :]
    if not rest:
        return ""
    return "/".join([rest[0], *rest[1::2]]).lower()


def _subscription_of(resource_id: str) -> str:
    parts = resource_id.strip("/").split("/")
    return parts[1].lower() if len(parts) > 1 and parts[0].lower() == "subscriptions" else ""


def _not_found(source: str, target: str) -> Exception:
    return invalid_parameter(
        f"Source {source} is not found. Please check source exists, and in the same region as gallery image version "
        "being created.",
        target,
    )


def _lookup(ctx: Ctx, source_id: str, target: str, location: str) -> dict[str, Any]:
    rec = ctx.backend.store.get(source_id.rstrip("/"))
    if rec is None or rec.kind in ("gallery", "galleryImage", "resourceGroup", "subscription"):
        raise _not_found(source_id, target)
    if rec.kind == "galleryImageVersion":
        info = _describe_version(ctx, rec)
        if location not in info["regions"]:
            raise _not_found(source_id, target)
        info["location"] = location
        return info
    info = describe(rec)
    if regions.fold(info["location"] or "") != location:
        raise _not_found(source_id, target)
    return info


def _describe_version(ctx: Ctx, rec: Record) -> dict[str, Any]:
    """A gallery version as a source: its definition's OS properties, its disks, where it has replicated."""
    image = ctx.backend.store.get(rec.parent)
    props = image.body["properties"] if image else {}
    storage = rec.body["properties"].get("storageProfile", {})
    os_disk = storage.get("osDiskImage") or {}
    done = rec.meta.get("size_at") is not None and ctx.now >= rec.meta["size_at"]
    return {
        "location": rec.body["location"],
        "osType": props.get("osType"),
        "osState": props.get("osState"),
        "hyperVGeneration": props.get("hyperVGeneration"),
        "osDisk": {"sizeGB": os_disk.get("sizeInGB", 30), "hostCaching": os_disk.get("hostCaching")},
        "dataDisks": [
            {"lun": d["lun"], "sizeGB": d.get("sizeInGB", 30), "hostCaching": d.get("hostCaching")}
            for d in storage.get("dataDiskImages") or []
        ],
        # a version can be copied from a region once its replica there is complete
        "regions": [
            region
            for region, slot in rec.meta.get("plan", {}).items()
            if done and replication.region_state(slot, ctx.now)[0] == "Completed"
        ],
    }


def _lookup_vhd(ctx: Ctx, src: dict[str, Any], target: str, location: str) -> dict[str, Any]:
    # Newer api-versions name the account `storageAccountId`; 2022-03-03 clients send it as `id` beside the uri
    # (recordings/azure-cli/test_gallery_image_version_vhd.yaml).
    account_id = src.get("storageAccountId") or src.get("id")
    if not account_id:
        raise invalid_parameter(
            f"Required parameter '{target}.storageAccountId' is missing (null).", f"{target}.storageAccountId"
        )
    account = ctx.backend.store.get(account_id.rstrip("/"))
    if account is None or account.kind != "Microsoft.Storage/storageAccounts":
        raise _not_found(account_id, f"{target}.storageAccountId")
    blobs = [b.lower() for b in account.body.get("properties", {}).get("blobs", [])]
    uri = src["uri"]
    if blob_account(uri) != account.name.lower() or (blobs and uri.lower() not in blobs):
        raise _not_found(uri, f"{target}.uri")
    if regions.fold(account.body["location"]) != location:
        raise _not_found(uri, f"{target}.uri")
    return {"location": account.body["location"], "osDisk": {"sizeGB": 30}, "dataDisks": []}


def _check_os(image: Record, info: dict[str, Any], source: str) -> None:
    props = image.body["properties"]

    def differs(key: str) -> tuple[str, str] | None:
        want, have = props.get(key), info.get(key)
        return (want, have) if want and have and want.lower() != have.lower() else None

    if pair := differs("osType"):
        raise invalid_parameter(
            f"The resource with id '{source}' has a different OS type ['{pair[1]}'] than the parent gallery image "
            f"OS type generation ['{pair[0]}']",
            f"{PREFIX}.source",
        )
    if pair := differs("osState"):
        raise invalid_parameter(
            f"Cannot create Gallery Image Version from: {source} since the OS State in the parent gallery image "
            f"({pair[0]}) is not {pair[1]}",
            f"{PREFIX}.source",
        )
    if pair := differs("hyperVGeneration"):
        raise invalid_parameter(
            f"The resource with id '{source}' has a different Hypervisor generation ['{pair[1]}'] than the parent "
            f"gallery image Hypervisor generation ['{pair[0]}']",
            f"{PREFIX}.source",
        )


def _check_shape(sp: dict[str, Any]) -> None:
    top = sp.get("source") or {}
    os_src = (sp.get("osDiskImage") or {}).get("source") or {}
    data = sp.get("dataDiskImages") or []
    if (top.get("id") or top.get("virtualMachineId") or top.get("communityGalleryImageId")) and (
        os_src.get("id") or os_src.get("uri") or any((d.get("source") or {}) for d in data)
    ):
        raise invalid_parameter(
            "The gallery artifact version source can only be specified either directly under storageProfile or "
            "within individual OS or data disks",
            f"{PREFIX}.source",
        )
    luns = [d.get("lun") for d in data]
    if len(luns) != len(set(luns)):
        raise invalid_parameter(
            "Duplicated lun numbers have been detected in the input data disks. Lun number must be unique for each "
            "data disk.",
            f"{PREFIX}.dataDiskImages",
        )


def _top_level(ctx: Ctx, top: dict[str, Any], location: str) -> tuple[dict[str, Any], str]:
    sub = ctx.params["sub"].lower()
    if top.get("virtualMachineId"):
        vm_id = top["virtualMachineId"]
        if _type_of(vm_id) != VM_TYPE:
            raise _not_found(vm_id, f"{PREFIX}.source.virtualMachineId")
        return _lookup(ctx, vm_id, f"{PREFIX}.source.virtualMachineId", location), vm_id
    source_id = top["id"]
    kind = _type_of(source_id)
    if kind not in TOP_TYPES:
        raise invalid_parameter(
            f"The source id: {source_id} must either be a managed image, virtual machine or another gallery image "
            "version",
            f"{PREFIX}.source.id",
        )
    if kind == VM_TYPE and _subscription_of(source_id) != sub:
        raise invalid_parameter(
            f"The source VM '{source_id}' is a cross subscription source for the galleryImageVersion created in "
            f"subscription '{ctx.params['sub']}'. Please retry the call by specifying the VM id in "
            "'galleryImageVersion.properties.storageProfile.source.virtualMachineId' instead. See "
            "https://aka.ms/acgsecurityupdates for more details.",
            f"{PREFIX}.source.id",
        )
    return _lookup(ctx, source_id, f"{PREFIX}.source.id", location), source_id


def _disk(ctx: Ctx, src: dict[str, Any], target: str, location: str) -> dict[str, Any]:
    if src.get("uri"):
        return _lookup_vhd(ctx, src, target, location)
    if _type_of(src["id"]) not in DISK_TYPES:
        raise invalid_parameter(f"The source id: {src['id']} must be a managed disk or snapshot", f"{target}.id")
    return _lookup(ctx, src["id"], f"{target}.id", location)


def _from_top(sp: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    wanted = {d.get("lun"): d for d in sp.get("dataDiskImages") or []}
    os_req = sp.get("osDiskImage") or {}
    os_info = info.get("osDisk") or {}
    created: dict[str, Any] = {
        "source": copy.deepcopy(sp["source"]),
        "osDiskImage": {
            "sizeInGB": os_info.get("sizeGB", 30),
            "hostCaching": os_req.get("hostCaching") or os_info.get("hostCaching") or "ReadWrite",
            "source": {},
        },
    }
    disks = [
        {
            "lun": d["lun"],
            "sizeInGB": d.get("sizeGB", 30),
            "hostCaching": (wanted.get(d["lun"]) or {}).get("hostCaching") or d.get("hostCaching") or "None",
        }
        for d in sorted(info.get("dataDisks") or [], key=lambda d: d["lun"])
    ]
    if disks:
        created["dataDiskImages"] = disks
    return created


def check_sources(
    ctx: Ctx, image: Record, sp: dict[str, Any], location: str, targets: list[dict[str, Any]]
) -> Placement:
    """Validate a new version's storage profile; return the profiles Azure reports while creating and after.

    :param location: the version's region (folded); every source must be there.
    :raises ArmError: 400 InvalidParameter for a rule the sources break (messages of [D-TSG] / API-FACTS §5.3).
    """
    _check_shape(sp)
    _check_targets(location, targets)
    top = sp.get("source") or {}
    pending = copy.deepcopy(sp)
    if top.get("communityGalleryImageId") and not (top.get("id") or top.get("virtualMachineId")):
        info: dict[str, Any] = {"osDisk": {"sizeGB": 30}, "dataDisks": []}
        placement = Placement(pending, _from_top(sp, info), None)
    elif top.get("id") or top.get("virtualMachineId"):
        info, source = _top_level(ctx, top, location)
        _check_os(image, info, source)
        created = _from_top(sp, info)
        sizes = [created["osDiskImage"]["sizeInGB"], *(d["sizeInGB"] for d in created.get("dataDiskImages", []))]
        placement = Placement(pending, created, location, max(sizes), _platform(info))
    else:
        placement = _from_disks(ctx, image, sp, location)
    return placement


def _from_disks(ctx: Ctx, image: Record, sp: dict[str, Any], location: str) -> Placement:
    os_req = sp.get("osDiskImage") or {}
    os_src = os_req.get("source") or {}
    if not (os_src.get("id") or os_src.get("uri")):
        raise invalid_parameter(f"Required parameter '{PREFIX}.source' is missing (null).", f"{PREFIX}.source")
    info = _disk(ctx, os_src, f"{PREFIX}.osDiskImage.source", location)
    _check_os(image, info, os_src.get("id") or os_src["uri"])
    os_disk = {"hostCaching": os_req.get("hostCaching") or "ReadWrite", "source": copy.deepcopy(os_src)}
    pending: dict[str, Any] = {"osDiskImage": os_disk}
    created: dict[str, Any] = {"osDiskImage": {"sizeInGB": (info.get("osDisk") or {}).get("sizeGB", 30), **os_disk}}
    sizes = [created["osDiskImage"]["sizeInGB"]]
    for disk in sp.get("dataDiskImages") or []:
        src = disk.get("source") or {}
        if not (src.get("id") or src.get("uri")):
            raise invalid_parameter(
                f"Required parameter '{PREFIX}.dataDiskImages.source' is missing (null).",
                f"{PREFIX}.dataDiskImages.source",
            )
        disk_info = _disk(ctx, src, f"{PREFIX}.dataDiskImages.source", location)
        shown = {"lun": disk["lun"], "hostCaching": disk.get("hostCaching") or "ReadOnly", "source": copy.deepcopy(src)}
        size = (disk_info.get("osDisk") or {}).get("sizeGB", 30)
        sizes.append(size)
        pending.setdefault("dataDiskImages", []).append(shown)
        created.setdefault("dataDiskImages", []).append({"lun": disk["lun"], "sizeInGB": size, **shown})
    return Placement(pending, created, location, max(sizes))


def _check_targets(location: str, targets: list[dict[str, Any]]) -> None:
    names = [regions.fold(t["name"]) for t in targets]
    if location not in names:
        shown = ", ".join(regions.display(n) for n in names)
        raise invalid_parameter(
            f"Gallery image version publishing profile regions '{shown}' must contain the location of image "
            f"version '{regions.display(location)}'.",
            "galleryImageVersion.properties.publishingProfile.targetRegions",
        )


def _platform(info: dict[str, Any]) -> list[dict[str, str]]:
    """validationsProfile.platformAttributes of a VM source: the marketplace image it runs (recorded, 2024-03-03)."""
    ref = info.get("imageReference") or {}
    return [{"name": f"source_image_{key}", "value": ref[key]} for key in ("publisher", "offer", "sku") if ref.get(key)]


def oversize(placement: Placement, mode: str) -> dict[str, str] | None:
    """The replication error of a source disk too large for the replication mode, else None."""
    limit = MAX_SIZE_GB.get(mode, MAX_SIZE_GB["Full"])
    if placement.largest_gb <= limit:
        return None
    size = placement.largest_gb
    message = f"The GalleryImageVersion source resource size {size} exceeds the max size {limit} supported."
    return {"code": OVERSIZE_CODE, "message": f"Replication failed in this region due to '{message}'"}
