"""Gallery image versions: validation against their sources, defaults, replication-backed LROs.

What a version's body shows depends on the moment and the api-version (recordings/azure-cli/*.yaml):
- its storage profile is the one its sources give (version_sources), the created form once creation succeeded;
- `validationsProfile {validationOperationStatus: NotExecuted}` from 2024-03-03, on the create answer and on
  reads (with `platformAttributes` of a VM source once created), not on update answers;
- fields the request's api-version does not know are left out (shapes).
"""

from __future__ import annotations

import copy
from typing import Any

from . import apiversions, lro, regions, replication, rules, shapes, softdelete
from .common import Ctx, Response, check_location, deep_merge, iso, page, parse_time, store_resource
from .errors import ArmError, invalid_parameter, parent_not_found, property_change_not_allowed, resource_not_found
from .store import Record
from .validation import clean_body
from .version_sources import check_sources, oversize

VERSION_TYPE = "Microsoft.Compute/galleries/images/versions"
KIND = "galleryImageVersion"
PREFIX = "galleryImageVersion"
# allowDeletionOfReplicatedLocations is not here: recorded Azure changed it from false to true in place
# (recordings/azure-cli/test_image_version_with_target_extended_locations.yaml, API-FACTS §5.2).
IMMUTABLE = (
    "properties.publishingProfile.storageAccountType",
    "properties.publishingProfile.replicationMode",
    "properties.publishingProfile.storageAccountStrategy",
)
# publishingProfile fields a PUT keeps when it leaves them out (immutable or server-set).
KEEP = ("storageAccountType", "replicationMode", "storageAccountStrategy", "publishedDate")
# Edge zones default to this storage type (recorded, 2022-03-03).
EDGE_ZONE_STORAGE = "StandardSSD_LRS"


def _created(rec: Record, now: float) -> bool:
    size_at = rec.meta.get("size_at")
    return size_at is not None and now >= size_at


def render(rec: Record, now: float, api: str, mode: str = "read", state: str | None = None, expand: str = "") -> dict:
    """The version as Azure answers at `api`.

    :param mode: "create" (the 201 of a new version), "update" (a PUT/PATCH of an existing one) or "read".
    """
    body = copy.deepcopy(rec.body)
    props = body["properties"]
    plan = rec.meta["plan"]
    props["provisioningState"] = state or replication.provisioning_state(plan, rec.meta["label"], now)
    if mode == "create" or not _created(rec, now):
        props["storageProfile"] = copy.deepcopy(rec.meta.get("pending_storage", props["storageProfile"]))
    if mode != "update":  # shapes.fit drops it below 2024-03-03
        validations: dict[str, Any] = {"validationOperationStatus": "NotExecuted"}
        if mode == "read" and _created(rec, now) and rec.meta.get("platform"):
            validations["platformAttributes"] = copy.deepcopy(rec.meta["platform"])
        props["validationsProfile"] = validations
    # provisioningState reads best last, as Azure orders it
    props["provisioningState"] = props.pop("provisioningState")
    if "replicationstatus" in expand.lower():
        props["replicationStatus"] = replication.status(plan, now)
    return shapes.fit(KIND, body, api)


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
    api = apiversions.check_gallery(ctx.req.api_version, "galleries/images/versions")
    p = ctx.params
    image = _parent_image(ctx)
    rec = ctx.backend.store.get(f"{image.id}/versions/{p['version']}")
    if rec is None:
        raise resource_not_found(VERSION_TYPE, f"{p['gallery']}/{p['image']}/{p['version']}", p["rg"])
    return Response(200, render(rec, ctx.now, api, expand=ctx.req.query.get("$expand", "")))


def version_list(ctx: Ctx) -> Response:
    api = apiversions.check_gallery(ctx.req.api_version, "galleries/images/versions")
    image = _parent_image(ctx)
    size = ctx.backend.config.page_size
    rows = ctx.backend.store.children(image.id, KIND, ctx.req.query.get("$skiptoken", ""), size + 1)
    more = len(rows) > size
    rows = rows[:size]
    return page(ctx, [render(r, ctx.now, api) for r in rows], more, rows[-1].key if rows else "")


def _region_type(region: str, pp: dict[str, Any], old_types: dict[str, str]) -> str:
    if region in old_types:
        return old_types[region]
    if "storageAccountType" in pp:
        return pp["storageAccountType"]
    if pp.get("storageAccountStrategy") == "PreferStandard_ZRS":
        return "Standard_ZRS" if regions.supports_zrs(region) else "Standard_LRS"
    return "Standard_LRS"


def _region(tr: dict[str, Any], prior: dict[str, Any], pp: dict[str, Any], old_types: dict[str, str]) -> dict:
    """One target region as stored: display name, replica count and storage type filled in, encryption kept."""
    target = "galleryImageVersion.properties.publishingProfile"
    folded = regions.fold(tr["name"])
    if "storageAccountType" in tr and prior and tr["storageAccountType"] != prior.get("storageAccountType"):
        raise property_change_not_allowed(f"{target}.targetRegions.storageAccountType")
    if "encryption" in prior and "encryption" in tr and _encryption(tr["encryption"]) != prior["encryption"]:
        raise property_change_not_allowed(f"{target}.targetRegions.encryption")
    explicit_zrs = tr.get("storageAccountType") == "Standard_ZRS" or (
        "storageAccountType" not in tr and pp.get("storageAccountType") == "Standard_ZRS"
    )
    if explicit_zrs and not regions.supports_zrs(folded) and folded not in old_types:
        raise invalid_parameter(
            "ZRS storage account type is not supported in this region. Please choose other storage account type.",
            f"{target}.targetRegions.storageAccountType",
        )
    rules.check_replicas(tr.get("regionalReplicaCount"), f"{target}.targetRegions.regionalReplicaCount")
    # Per-region excludeFromLatest is echoed when sent, never filled in (recordings at 2022-03-03 and 2024-03-03).
    region = {
        **tr,
        "name": regions.display(folded),
        "regionalReplicaCount": tr.get("regionalReplicaCount", pp["replicaCount"]),
        "storageAccountType": tr.get("storageAccountType") or _region_type(folded, pp, old_types),
    }
    if "encryption" in tr:
        region["encryption"] = _encryption(tr["encryption"])
    elif "encryption" in prior:
        region["encryption"] = prior["encryption"]
    return region


def _encryption(encryption: dict[str, Any]) -> dict[str, Any]:
    """An OS-disk encryption is echoed with an empty securityProfile when none was sent (recorded, 2022-03-03)."""
    out = copy.deepcopy(encryption)
    if isinstance(out.get("osDiskImage"), dict):
        out["osDiskImage"].setdefault("securityProfile", {})
    return out


def _edge_zones(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """targetExtendedLocations as echoed: region display names, storage type defaulted to StandardSSD_LRS."""
    out = []
    for item in items:
        zone = copy.deepcopy(item)
        if isinstance(zone.get("name"), str):
            zone["name"] = regions.display(zone["name"])
        zone.setdefault("storageAccountType", EDGE_ZONE_STORAGE)
        out.append(zone)
    return out


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
        out.append(_region(tr, old_regions.get(folded, {}), pp, old_types))
    pp["targetRegions"] = out
    if pp.get("targetExtendedLocations"):
        pp["targetExtendedLocations"] = _edge_zones(pp["targetExtendedLocations"])
    return pp


def _source_order(targets: list[dict[str, Any]], source_region: str | None) -> list[str]:
    names = [regions.fold(t["name"]) for t in targets]
    if source_region in names:
        names.remove(source_region)
        names.insert(0, source_region)
    return names


def _read(ctx: Ctx, api: str, patch: bool) -> tuple[dict[str, Any], bool]:
    """The cleaned body, and whether it asks to restore a soft-deleted version (`properties.restore: true`)."""
    raw = ctx.req.json()
    if isinstance(raw, dict):
        rules.check_body_name(raw, ctx.params["version"], PREFIX)
    clean = clean_body(raw, "GalleryImageVersionUpdate" if patch else "GalleryImageVersion", PREFIX)
    # `restore` asks to undelete a soft-deleted version; it is never part of the resource
    restore = bool(clean.get("properties", {}).pop("restore", False))
    return shapes.fit(KIND, clean, api), restore


def _restore(ctx: Ctx, entry: Record, clean: dict[str, Any], api: str, patch: bool) -> Response:
    """Bring a soft-deleted version back as it was deleted (recorded: 200 Updating, an LRO).

    A restoring PUT carries only `location` and `tags` (recorded); a PATCH `properties.restore: true` (spec). The
    tags of a PUT are the version's tags from then on; nothing else in the request is applied.
    """
    rec = softdelete.restored(entry)
    location = rec.body["location"]
    if not patch:
        if check_location(clean["location"], VERSION_TYPE) != location:
            raise ArmError(
                409,
                "InvalidResourceLocation",
                f"The resource '{rec.id}' already exists in location '{location}' in resource group "
                f"'{ctx.params['rg']}'. A resource with the same name cannot be created in location "
                f"'{clean['location']}'. Please select a new resource name.",
            )
        if clean.get("properties"):
            raise ArmError(
                409,
                "OperationNotAllowed",
                f"Gallery image version '{rec.name}' is soft-deleted. Restore it first (a PUT with only location and "
                "tags, or a PATCH with properties.restore set to true), then update it.",
            )
        if "tags" in clean:
            rec.body["tags"] = clean["tags"]
    elif "tags" in clean:
        rec.body["tags"] = clean["tags"]
    softdelete.purge(ctx, [entry])
    ctx.backend.store.put(rec)
    op = lro.start(ctx, rec.id, ctx.now)
    return Response(200, render(rec, ctx.now, api, "update", "Updating"), lro.headers(ctx, op, location))


def _create(ctx: Ctx, image: Record, clean: dict[str, Any], api: str) -> tuple[dict, dict, str]:
    location = check_location(clean["location"], VERSION_TYPE)
    props = copy.deepcopy(clean.get("properties", {}))
    pp = _publishing(props.get("publishingProfile", {}), location, api, None, ctx.now)
    placement = check_sources(ctx, image, props.get("storageProfile", {}), location, pp["targetRegions"])
    props["publishingProfile"] = pp
    props["storageProfile"] = placement.created
    props["safetyProfile"] = {
        "reportedForPolicyViolation": False,
        "allowDeletionOfReplicatedLocations": False,
        **props.get("safetyProfile", {}),
    }
    meta: dict[str, Any] = {
        "created": ctx.now,
        "source_region": placement.region,
        "pending_storage": placement.pending,
        "platform": placement.platform,
        "oversize": oversize(placement, pp.get("replicationMode", "Full")),
        "plan": {},
    }
    return props, meta, location


def _update(ctx: Ctx, old: Record, clean: dict[str, Any], api: str, patch: bool) -> tuple[dict, dict]:
    p = ctx.params
    location = old.body["location"]
    if not patch and check_location(clean["location"], VERSION_TYPE) != location:
        raise ArmError(
            409,
            "InvalidResourceLocation",
            f"The resource '{old.id}' already exists in location '{location}' in resource group '{p['rg']}'. A "
            f"resource with the same name cannot be created in location '{clean['location']}'. Please select a new "
            "resource name.",
        )
    rules.check_immutable(old.body, clean, IMMUTABLE, PREFIX)
    new_props = clean.get("properties", {})
    old_props = old.body["properties"]
    _check_storage_profile(old_props.get("storageProfile", {}), new_props.get("storageProfile"))
    old_pp = old_props["publishingProfile"]
    if patch:
        props = deep_merge(old_props, new_props)
    else:
        props = copy.deepcopy(new_props)
        kept = {k: old_pp[k] for k in KEEP if k in old_pp}
        props["publishingProfile"] = {**kept, **props.get("publishingProfile", {})}
        props["safetyProfile"] = {**old_props.get("safetyProfile", {}), **props.get("safetyProfile", {})}
    props["storageProfile"] = old_props["storageProfile"]
    props["publishingProfile"] = _publishing(props.get("publishingProfile", {}), location, api, old_pp, ctx.now)
    _check_region_removal(old, props["publishingProfile"], props["safetyProfile"], ctx.now)
    return props, dict(old.meta)


def version_put(ctx: Ctx, patch: bool = False) -> Response:
    api = apiversions.check_gallery(ctx.req.api_version, "galleries/images/versions")
    p = ctx.params
    rules.check_version_name(p["version"])
    clean, restore = _read(ctx, api, patch)
    b = ctx.backend
    now = ctx.now
    with b.store.transaction():
        image = _parent_image(ctx)
        rid = f"{image.id}/versions/{p['version']}"
        old = b.store.get(rid)
        if old is None and (restore or not patch):
            gallery = b.store.get(image.parent)
            entry = softdelete.find(ctx, gallery, image.name, p["version"]) if gallery is not None else None
            if entry is not None:
                return _restore(ctx, entry, clean, api, patch)
        if patch and old is None:
            raise resource_not_found(VERSION_TYPE, f"{p['gallery']}/{p['image']}/{p['version']}", p["rg"])
        if old is None:
            props, meta, location = _create(ctx, image, clean, api)
            name, tags = p["version"], clean.get("tags")
        else:
            props, meta = _update(ctx, old, clean, api, patch)
            name, location = old.name, old.body["location"]
            tags = clean.get("tags", old.body.get("tags")) if patch else clean.get("tags")
        pp = props["publishingProfile"]
        if "endOfLifeDate" in clean.get("properties", {}).get("publishingProfile", {}):
            rules.check_future(pp["endOfLifeDate"], f"{PREFIX}.properties.publishingProfile.endOfLifeDate", now)
        order = _source_order(pp["targetRegions"], meta.get("source_region"))
        plan = replication.schedule(
            meta["plan"], order, now, b.config.replication_seconds, b.faults.fail_regions(), meta.get("oversize")
        )
        error = replication.first_failure(plan)
        end = replication.finished_at(plan)
        meta.update(plan=plan, label="Updating" if old else "Creating")
        if meta.get("size_at") is None and error is None:
            meta["size_at"] = end
        rec = store_resource(ctx, rid, KIND, VERSION_TYPE, image.id, name, location, tags, props, meta)
        op = lro.start(ctx, rid, end, error)
    status, state, mode = (200, "Updating", "update") if old else (201, "Creating", "create")
    return Response(status, render(rec, now, api, mode, state), lro.headers(ctx, op, location))


def version_patch(ctx: Ctx) -> Response:
    return version_put(ctx, patch=True)


def _disk_source(disk: dict[str, Any] | None) -> str | None:
    src = (disk or {}).get("source") or {}
    value = src.get("id") or src.get("uri")
    return value.lower() if value else None


def _check_storage_profile(old: dict[str, Any], new: dict[str, Any] | None) -> None:
    """Sources, disks, LUNs and host caching cannot change after creation; leaving them out keeps them.

    `old` is the created storage profile, data disks from the source included, so a client that echoes them
    back (the Azure CLI's `sig image-version update`) changes nothing.
    """
    if not new:
        return
    target = f"{PREFIX}.properties.storageProfile"
    for key in ("id", "virtualMachineId"):
        after = (new.get("source") or {}).get(key)
        if after and after.lower() != ((old.get("source") or {}).get(key) or "").lower():
            raise property_change_not_allowed(f"{target}.source.{key}")
    new_os = new.get("osDiskImage") or {}
    old_os = old.get("osDiskImage") or {}
    if _disk_source(new_os) not in (None, _disk_source(old_os)):
        raise property_change_not_allowed(f"{target}.osDiskImage.source.id")
    if new_os.get("hostCaching") and new_os["hostCaching"] != old_os.get("hostCaching"):
        raise property_change_not_allowed(f"{target}.osDiskImage.hostCaching")
    if "dataDiskImages" in new:
        old_disks = {d["lun"]: d for d in old.get("dataDiskImages", [])}
        new_disks = {d["lun"]: d for d in new["dataDiskImages"]}
        if set(old_disks) != set(new_disks):
            raise ArmError(
                409,
                "PropertyChangeNotAllowed",
                "Adding new Data Disks or changing the LUN of a Data Disk in an existing Image is not allowed.",
                f"{target}.dataDiskImages",
            )
        for lun, disk in new_disks.items():
            if _disk_source(disk) not in (None, _disk_source(old_disks[lun])):
                raise property_change_not_allowed(f"{target}.dataDiskImages.source.id")
            if disk.get("hostCaching") and disk["hostCaching"] != old_disks[lun].get("hostCaching"):
                raise property_change_not_allowed(f"{target}.dataDiskImages.hostCaching")


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
    """DELETE a version: into the gallery's recycle bin when soft delete is on, unless ?bypassSoftDelete=true."""
    api = apiversions.check_gallery(ctx.req.api_version, "galleries/images/versions")
    p = ctx.params
    b = ctx.backend
    bypass = softdelete.bypassing(ctx, api)
    with b.store.transaction():
        image = _parent_image(ctx)
        gallery = b.store.get(image.parent)
        rid = f"{image.id}/versions/{p['version']}"
        rec = b.store.get(rid)
        if rec is None:
            entry = softdelete.find(ctx, gallery, image.name, p["version"]) if bypass and gallery else None
            if entry is None:
                return Response(204)
            softdelete.purge(ctx, [entry])
            op = lro.start(ctx, rid, ctx.now)
            return Response(202, None, lro.headers(ctx, op, entry.body["location"], delete=True, in_progress=False))
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
        if gallery is not None and softdelete.policy(gallery)[0] and not bypass:
            softdelete.recycle(ctx, gallery, image, rec)
        b.note_child_deleted(image.id, rid)
        op = lro.start(ctx, rid, ctx.now)
    return Response(202, None, lro.headers(ctx, op, rec.body["location"], delete=True, in_progress=False))


def set_published_date(backend: Any, version_id: str, when: str) -> dict[str, Any]:
    """Testing aid: give a stored version another `publishedDate` (read-only in ARM); returns the new value."""
    with backend.store.transaction():
        rec = backend.store.get(version_id.rstrip("/"))
        if rec is None or rec.kind != KIND:
            raise ArmError(404, "ResourceNotFound", f"No gallery image version '{version_id}'.")
        try:
            stamp = iso(parse_time(when))
        except ValueError:
            message = f"'{when}' is not an ISO 8601 date-time."
            raise ArmError(400, "InvalidParameter", message, "publishedDate") from None
        rec.body["properties"]["publishingProfile"]["publishedDate"] = stamp
        backend.store.put(rec)
    return {"id": rec.id, "publishedDate": stamp}
