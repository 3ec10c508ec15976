"""Checks an image version's sources the way the Compute RP does: existence, region, OS type/state, generation."""

from __future__ import annotations

from typing import Any

from . import regions
from .common import Ctx
from .errors import invalid_parameter
from .sources import blob_account, describe
from .store import Record

PREFIX = "galleryImageVersion.properties.storageProfile"
_TOP_KINDS = ("Microsoft.Compute/virtualMachines", "Microsoft.Compute/images", "galleryImageVersion")


def _not_found(source: str, target: str) -> Exception:
    return invalid_parameter(
        f"Source {source} is not found. Please check source exists, and in the same region as gallery image version "
        "being created.",
        target,
    )


def _lookup(ctx: Ctx, source_id: str, target: str, kinds: tuple[str, ...] | None = None) -> dict[str, Any]:
    rec = ctx.backend.store.get(source_id.rstrip("/"))
    if rec is None or (kinds and rec.kind not in kinds) or rec.kind in ("gallery", "galleryImage", "resourceGroup"):
        raise _not_found(source_id, target)
    if rec.kind == "galleryImageVersion":
        return _describe_version(ctx, rec)
    return describe(rec)


def _describe_version(ctx: Ctx, rec: Record) -> dict[str, Any]:
    image = ctx.backend.store.get(rec.parent)
    props = image.body["properties"] if image else {}
    return {
        "location": rec.body["location"],
        "osType": props.get("osType"),
        "osState": props.get("osState"),
        "hyperVGeneration": props.get("hyperVGeneration"),
        "sizeGB": rec.meta.get("sizes", {}).get("os", 30),
        # a gallery version can be read wherever it has been replicated
        "regions": [regions.fold(t["name"]) for t in rec.body["properties"]["publishingProfile"]["targetRegions"]],
    }


def _lookup_vhd(ctx: Ctx, src: dict[str, Any], target: str) -> dict[str, Any]:
    account_id = src.get("storageAccountId")
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
    return {
        "location": account.body["location"],
        "osType": None,
        "osState": None,
        "hyperVGeneration": None,
        "sizeGB": 30,
    }


def _check_os(image: Record, info: dict[str, Any], source: str) -> None:
    props = image.body["properties"]
    for key, label in (("osType", "OS Type"), ("osState", "OS State"), ("hyperVGeneration", "Hyper-V Generation")):
        want, have = props.get(key), info.get(key)
        if want and have and want.lower() != have.lower():
            raise invalid_parameter(
                f"Cannot create Gallery Image Version from {source} since the {label} in the parent gallery image "
                f"({want}) is not {have}.",
                f"{PREFIX}.source",
            )


def check_sources(
    ctx: Ctx, image: Record, sp: dict[str, Any], targets: list[dict[str, Any]]
) -> tuple[dict[str, Any], str | None]:
    """Validate the storage profile's sources; return (disk sizes for sizeInGB, the OS source's region)."""
    top = sp.get("source") or {}
    top_id = top.get("id") or top.get("virtualMachineId")
    os_disk = sp.get("osDiskImage") or {}
    os_src = os_disk.get("source") or {}
    data = sp.get("dataDiskImages") or []
    if (top_id or top.get("communityGalleryImageId")) and (os_src or any(d.get("source") for d in data)):
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
    if top.get("communityGalleryImageId") and not top_id:
        return {"os": 30, "data": {}}, None
    if top_id:
        info, source = _lookup(ctx, top_id, f"{PREFIX}.source.id", _TOP_KINDS), top_id
    elif os_src.get("id"):
        info, source = _lookup(ctx, os_src["id"], f"{PREFIX}.osDiskImage.source.id"), os_src["id"]
    elif os_src.get("uri"):
        info, source = _lookup_vhd(ctx, os_src, f"{PREFIX}.osDiskImage.source"), os_src["uri"]
    else:
        raise invalid_parameter(f"Required parameter '{PREFIX}.source' is missing (null).", f"{PREFIX}.source")
    sizes: dict[str, Any] = {"os": info["sizeGB"], "data": {}}
    target_names = [regions.fold(t["name"]) for t in targets]
    located = [(info["location"], source)]
    if info.get("regions"):
        located = [(next((r for r in info["regions"] if r in target_names), info["location"]), source)]
        info["location"] = located[0][0]
    for disk in data:
        src = disk.get("source") or {}
        if src.get("id"):
            disk_info = _lookup(ctx, src["id"], f"{PREFIX}.dataDiskImages.source.id")
        elif src.get("uri"):
            disk_info = _lookup_vhd(ctx, src, f"{PREFIX}.dataDiskImages.source")
        else:
            continue
        sizes["data"][str(disk.get("lun"))] = disk_info["sizeGB"]
        located.append((disk_info["location"], src.get("id") or src.get("uri")))
    for location, _ in located:
        if regions.fold(location) not in target_names:
            shown = ", ".join(regions.display(n) for n in target_names)
            raise invalid_parameter(
                f"Gallery image version publishing profile regions '{shown}' must contain the location of image "
                f"version '{regions.display(location)}'.",
                "galleryImageVersion.properties.publishingProfile.targetRegions",
            )
    _check_os(image, info, source)
    return sizes, regions.fold(info["location"])
