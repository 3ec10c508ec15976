"""Gallery image versions: validation against their sources, defaults, replication-backed LROs."""

from __future__ import annotations

import copy
from typing import Any

from . import apiversions, lro, regions, replication, rules
from .common import Ctx, Response, check_location, deep_merge, iso, page, parse_time, store_resource
from .errors import ArmError, invalid_parameter, parent_not_found, property_change_not_allowed, resource_not_found
from .store import Record
from .validation import clean_body
from .version_sources import check_sources

VERSION_TYPE = "Microsoft.Compute/galleries/images/versions"
PREFIX = "galleryImageVersion"
IMMUTABLE = (
    "properties.publishingProfile.storageAccountType",
    "properties.publishingProfile.replicationMode",
    "properties.publishingProfile.storageAccountStrategy",
    "properties.safetyProfile.allowDeletionOfReplicatedLocations",
)
# publishingProfile fields a PUT keeps when it leaves them out (immutable or server-set).
KEEP = ("storageAccountType", "replicationMode", "storageAccountStrategy", "publishedDate")


def render(rec: Record, now: float, state: str | None = None, expand: str = "") -> dict[str, Any]:
    body = copy.deepcopy(rec.body)
    props = body["properties"]
    plan = rec.meta["plan"]
    props["provisioningState"] = state or replication.provisioning_state(plan, rec.meta["label"], now)
    size_at = rec.meta.get("size_at")
    if size_at is not None and now >= size_at:
        sizes = rec.meta.get("sizes", {})
        sp = props.setdefault("storageProfile", {})
        os_disk = sp.setdefault("osDiskImage", {"hostCaching": "ReadOnly"})
        props["storageProfile"]["osDiskImage"] = {"sizeInGB": sizes.get("os", 30), **os_disk}
        for disk in sp.get("dataDiskImages", []):
            disk.setdefault("sizeInGB", sizes.get("data", {}).get(str(disk.get("lun")), 30))
    if "replicationstatus" in expand.lower():
        props["replicationStatus"] = replication.status(plan, now)
    return body


def _parent_image(ctx: Ctx) -> Record:
    p = ctx.params
    rg = ctx.backend.resource_group(p["sub"], p["rg"])
    gallery_id = f"{rg.id}/providers/Microsoft.Compute/galleries/{p['gallery']}"
    if ctx.backend.store.get(gallery_id) is None:
        raise parent_not_found(p["gallery"])
    image = ctx.backend.store.get(f"{gallery_id}/images/{p['image']}")
    if image is None:
        raise parent_not_found(p["image"])
    return image


def version_get(ctx: Ctx) -> Response:
    apiversions.check_gallery(ctx.req.api_version, "galleries/images/versions")
    p = ctx.params
    image = _parent_image(ctx)
    rec = ctx.backend.store.get(f"{image.id}/versions/{p['version']}")
    if rec is None:
        raise resource_not_found(VERSION_TYPE, f"{p['gallery']}/{p['image']}/{p['version']}", p["rg"])
    return Response(200, render(rec, ctx.now, expand=ctx.req.query.get("$expand", "")))


def version_list(ctx: Ctx) -> Response:
    apiversions.check_gallery(ctx.req.api_version, "galleries/images/versions")
    image = _parent_image(ctx)
    size = ctx.backend.config.page_size
    rows = ctx.backend.store.children(image.id, "galleryImageVersion", ctx.req.query.get("$skiptoken", ""), size + 1)
    more = len(rows) > size
    rows = rows[:size]
    return page(ctx, [render(r, ctx.now) for r in rows], more, rows[-1].key if rows else "")


def _region_type(region: str, pp: dict[str, Any], old_types: dict[str, str]) -> str:
    if region in old_types:
        return old_types[region]
    if "storageAccountType" in pp:
        return pp["storageAccountType"]
    if pp.get("storageAccountStrategy") == "PreferStandard_ZRS":
        return "Standard_ZRS" if regions.supports_zrs(region) else "Standard_LRS"
    return "Standard_LRS"


def _publishing(pp: dict[str, Any], location: str, api: str, old: dict[str, Any] | None, now: float) -> dict[str, Any]:
    """Apply the service's defaults and checks to a publishing profile; returns the profile to store."""
    pp = dict(pp)
    target = "galleryImageVersion.properties.publishingProfile"
    if "storageAccountType" in pp and "storageAccountStrategy" in pp and not old:
        raise invalid_parameter(
            "storageAccountType cannot be specified along with storageAccountStrategy.", f"{target}.storageAccountType"
        )
    if old is None and "storageAccountType" not in pp and "storageAccountStrategy" not in pp:
        if apiversions.at_least(api, apiversions.V2_DEFAULT_FROM):
            pp["storageAccountStrategy"] = "PreferStandard_ZRS"
        else:
            pp["storageAccountType"] = "Standard_LRS"
    pp.setdefault("replicaCount", 1)
    pp.setdefault("excludeFromLatest", False)
    pp.setdefault("publishedDate", iso(now))
    rules.check_replicas(pp["replicaCount"], f"{target}.replicaCount")
    old_regions = {regions.fold(r["name"]): r for r in (old or {}).get("targetRegions", [])}
    old_types = {k: v["storageAccountType"] for k, v in old_regions.items() if "storageAccountType" in v}
    seen: set[str] = set()
    out = []
    for tr in pp.get("targetRegions") or [{"name": location}]:
        folded = regions.fold(tr["name"])
        if folded in seen:
            raise invalid_parameter(
                "Duplicate regions are not allowed in target publishing regions.", f"{target}.targetRegions"
            )
        seen.add(folded)
        if not regions.is_known(folded):
            raise invalid_parameter(
                f"The region '{tr['name']}' is not a valid Azure region.", f"{target}.targetRegions"
            )
        prior = old_regions.get(folded, {})
        if "storageAccountType" in tr and prior and tr["storageAccountType"] != prior.get("storageAccountType"):
            raise property_change_not_allowed(f"{target}.targetRegions.storageAccountType")
        if "encryption" in prior and "encryption" in tr and tr["encryption"] != prior["encryption"]:
            raise property_change_not_allowed(f"{target}.targetRegions.encryption")
        rtype = tr.get("storageAccountType") or _region_type(folded, pp, old_types)
        explicit_zrs = tr.get("storageAccountType") == "Standard_ZRS" or (
            "storageAccountType" not in tr and pp.get("storageAccountType") == "Standard_ZRS"
        )
        if explicit_zrs and not regions.supports_zrs(folded) and folded not in old_types:
            raise invalid_parameter(
                "ZRS storage account type is not supported in this region. Please choose other storage account type.",
                f"{target}.targetRegions.storageAccountType",
            )
        rules.check_replicas(tr.get("regionalReplicaCount"), f"{target}.targetRegions.regionalReplicaCount")
        region = {
            **tr,
            "name": regions.display(folded),
            "regionalReplicaCount": tr.get("regionalReplicaCount", pp["replicaCount"]),
            "storageAccountType": rtype,
            "excludeFromLatest": tr.get("excludeFromLatest", False),
        }
        if "encryption" in prior and "encryption" not in tr:
            region["encryption"] = prior["encryption"]
        out.append(region)
    pp["targetRegions"] = out
    return pp


def _source_order(targets: list[dict[str, Any]], source_region: str | None) -> list[str]:
    names = [regions.fold(t["name"]) for t in targets]
    if source_region in names:
        names.remove(source_region)
        names.insert(0, source_region)
    return names


def version_put(ctx: Ctx, patch: bool = False) -> Response:
    api = apiversions.check_gallery(ctx.req.api_version, "galleries/images/versions")
    p = ctx.params
    rules.check_version_name(p["version"])
    raw = ctx.req.json()
    if isinstance(raw, dict):
        rules.check_body_name(raw, p["version"], PREFIX)
    clean = clean_body(raw, "GalleryImageVersionUpdate" if patch else "GalleryImageVersion", PREFIX)
    b = ctx.backend
    now = ctx.now
    with b.store.transaction():
        image = _parent_image(ctx)
        rid = f"{image.id}/versions/{p['version']}"
        old = b.store.get(rid)
        if patch and old is None:
            raise resource_not_found(VERSION_TYPE, f"{p['gallery']}/{p['image']}/{p['version']}", p["rg"])
        new_props = clean.get("properties", {})
        if old is None:
            name, location = p["version"], check_location(clean["location"], VERSION_TYPE)
            props = copy.deepcopy(new_props)
            pp = _publishing(props.get("publishingProfile", {}), location, api, None, now)
            sizes, source_region = check_sources(ctx, image, props.get("storageProfile", {}), pp["targetRegions"])
            safety = props.get("safetyProfile", {})
            props["safetyProfile"] = {
                "reportedForPolicyViolation": False,
                "allowDeletionOfReplicatedLocations": False,
                **safety,
            }
            meta: dict[str, Any] = {"created": now, "sizes": sizes, "source_region": source_region, "plan": {}}
            tags = clean.get("tags")
        else:
            name, location, meta = old.name, old.body["location"], dict(old.meta)
            if not patch and check_location(clean["location"], VERSION_TYPE) != location:
                raise ArmError(
                    409,
                    "InvalidResourceLocation",
                    f"The resource '{rid}' already exists in location "
                    f"'{location}' in resource group '{p['rg']}'. A resource with the same name cannot be "
                    f"created in location '{clean['location']}'. Please select a new resource name.",
                )
            rules.check_immutable(old.body, clean, IMMUTABLE, PREFIX)
            _check_storage_profile(old.body["properties"].get("storageProfile", {}), new_props.get("storageProfile"))
            old_props = old.body["properties"]
            old_pp = old_props["publishingProfile"]
            if patch:
                props = deep_merge(old_props, new_props)
            else:
                props = copy.deepcopy(new_props)
                kept = {k: old_pp[k] for k in KEEP if k in old_pp}
                props["publishingProfile"] = {**kept, **props.get("publishingProfile", {})}
                props["safetyProfile"] = {**old_props.get("safetyProfile", {}), **props.get("safetyProfile", {})}
            props["storageProfile"] = old_props["storageProfile"]
            pp = _publishing(props.get("publishingProfile", {}), location, api, old_pp, now)
            _check_region_removal(old, pp, props["safetyProfile"], now)
            tags = clean.get("tags", old.body.get("tags")) if patch else clean.get("tags")
        props["publishingProfile"] = pp
        if "endOfLifeDate" in new_props.get("publishingProfile", {}):
            rules.check_future(pp["endOfLifeDate"], f"{PREFIX}.properties.publishingProfile.endOfLifeDate", now)
        order = _source_order(pp["targetRegions"], meta.get("source_region"))
        plan = replication.schedule(meta["plan"], order, now, b.config.replication_seconds, b.faults.fail_regions())
        error = replication.first_failure(plan)
        end = replication.finished_at(plan)
        meta.update(plan=plan, label="Updating" if old else "Creating")
        if meta.get("size_at") is None and error is None:
            meta["size_at"] = end
        rec = store_resource(ctx, rid, "galleryImageVersion", VERSION_TYPE, image.id, name, location, tags, props, meta)
        op = lro.start(ctx, rid, end, error)
    status, state = (200, "Updating") if old else (201, "Creating")
    return Response(status, render(rec, now, state), lro.headers(ctx, op, location))


def version_patch(ctx: Ctx) -> Response:
    return version_put(ctx, patch=True)


def _disk_source(disk: dict[str, Any] | None) -> str | None:
    src = (disk or {}).get("source") or {}
    value = src.get("id") or src.get("uri")
    return value.lower() if value else None


def _check_storage_profile(old: dict[str, Any], new: dict[str, Any] | None) -> None:
    """Sources, disks and LUNs cannot change after creation; leaving them out keeps them."""
    if not new:
        return
    target = f"{PREFIX}.properties.storageProfile"
    for key in ("id", "virtualMachineId"):
        after = (new.get("source") or {}).get(key)
        if after and after.lower() != ((old.get("source") or {}).get(key) or "").lower():
            raise property_change_not_allowed(f"{target}.source.{key}")
    if "osDiskImage" in new and _disk_source(new["osDiskImage"]) not in (None, _disk_source(old.get("osDiskImage"))):
        raise property_change_not_allowed(f"{target}.osDiskImage.source.id")
    if "dataDiskImages" in new:
        old_disks = {d["lun"]: _disk_source(d) for d in old.get("dataDiskImages", [])}
        new_disks = {d["lun"]: _disk_source(d) for d in new["dataDiskImages"]}
        if set(old_disks) != set(new_disks):
            raise ArmError(
                409,
                "PropertyChangeNotAllowed",
                "Adding new Data Disks or changing the LUN of a Data Disk in an existing Image is not allowed.",
                f"{target}.dataDiskImages",
            )
        for lun, src in new_disks.items():
            if src is not None and src != old_disks[lun]:
                raise property_change_not_allowed(f"{target}.dataDiskImages.source.id")


def _check_region_removal(old: Record, pp: dict[str, Any], safety: dict[str, Any], now: float) -> None:
    """A replicated region may only be dropped when safetyProfile.allowDeletionOfReplicatedLocations is true."""
    if safety.get("allowDeletionOfReplicatedLocations"):
        return
    kept = {regions.fold(t["name"]) for t in pp["targetRegions"]}
    removed = [
        regions.display(region)
        for region, slot in old.meta["plan"].items()
        if region not in kept and replication.region_state(slot, now)[0] == "Completed"
    ]
    if removed:
        raise ArmError(
            409,
            "OperationNotAllowed",
            f"Removing replicated regions ({', '.join(removed)}) from gallery image version '{old.name}' is not "
            "allowed because safetyProfile.allowDeletionOfReplicatedLocations is false.",
            f"{PREFIX}.properties.publishingProfile.targetRegions",
        )


def version_delete(ctx: Ctx) -> Response:
    apiversions.check_gallery(ctx.req.api_version, "galleries/images/versions")
    p = ctx.params
    b = ctx.backend
    with b.store.transaction():
        image = _parent_image(ctx)
        rid = f"{image.id}/versions/{p['version']}"
        rec = b.store.get(rid)
        if rec is None:
            return Response(204)
        props = rec.body["properties"]
        eol = props.get("publishingProfile", {}).get("endOfLifeDate")
        if props.get("safetyProfile", {}).get("blockDeletionBeforeEndOfLife") and (
            eol is None or parse_time(eol) > ctx.now
        ):
            raise ArmError(
                409,
                "DeleteGalleryImageVersionBlockedBeforeEndOfLife",
                f"Deleting gallery image version '{rec.name}' is not allowed before its end of life date because "
                "safetyProfile.blockDeletionBeforeEndOfLife is set.",
            )
        b.store.delete(rid)
        b.note_child_deleted(image.id, rid)
        op = lro.start(ctx, rid, ctx.now)
    return Response(202, None, lro.headers(ctx, op, rec.body["location"], delete=True, in_progress=False))
