"""Model resources to ARM REST bodies: PUT bodies for creates and the minimal PATCH bodies for updates (pure).

The counterpart of `reconciler.wire`, which reads ARM bodies into the model.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler import model as m
from reconciler.regions import display_name, fold_region
from reconciler.wire import JSON, format_datetime


def _drop_none(value: Any) -> Any:
    """Remove None values and empty containers left by optional fields, recursively."""
    if isinstance(value, dict):
        cleaned = {k: _drop_none(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in cleaned.items() if v != {} and v != []}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def gallery_body(g: m.Gallery) -> JSON:
    soft = {"isSoftDeleteEnabled": g.soft_delete} if g.soft_delete is not None else None
    return _drop_none(
        {
            "location": g.location,
            "tags": dict(g.tags),
            "properties": {"description": g.description, "softDeletePolicy": soft},
        }
    )


def _range_body(r: m.Range | None) -> JSON | None:
    return None if r is None else {"min": r.min, "max": r.max}


def definition_body(d: m.ImageDefinition, *, allow_update_image: bool = False) -> JSON:
    plan = d.purchase_plan
    recommended = {"vCPUs": _range_body(d.recommended_vcpus), "memory": _range_body(d.recommended_memory)}
    disallowed = {"diskTypes": list(d.disallowed_disk_types)} if d.disallowed_disk_types is not None else None
    return _drop_none(
        {
            "location": d.location,
            "tags": dict(d.tags),
            "properties": {
                "identifier": {
                    "publisher": d.identifier.publisher,
                    "offer": d.identifier.offer,
                    "sku": d.identifier.sku,
                },
                "osType": d.os_type,
                "osState": d.os_state,
                "hyperVGeneration": d.hyper_v_generation,
                "architecture": d.architecture,
                "features": [{"name": f.name, "value": f.value} for f in d.features] or None,
                "allowUpdateImage": True if allow_update_image else None,
                "purchasePlan": {"name": plan.name, "product": plan.product, "publisher": plan.publisher}
                if plan
                else None,
                "description": d.description,
                "eula": d.eula,
                "privacyStatementUri": d.privacy_statement_uri,
                "releaseNoteUri": d.release_note_uri,
                "endOfLifeDate": format_datetime(d.end_of_life_date),
                "recommended": recommended,
                "disallowed": disallowed,
            },
        }
    )


def _disk_source_body(s: m.Source) -> JSON:
    if s.kind is m.SourceKind.VHD:
        return {"uri": s.uri, "storageAccountId": s.storage_account_id}
    return {"id": s.id}


def _encryption_body(e: m.RegionEncryption | None) -> JSON | None:
    if e is None:
        return None
    return {
        "osDiskImage": {"diskEncryptionSetId": e.os_disk_encryption_set_id} if e.os_disk_encryption_set_id else None,
        "dataDiskImages": [{"lun": lun, "diskEncryptionSetId": des} for lun, des in e.data_disk_encryption_set_ids]
        or None,
    }


def target_region_body(r: m.TargetRegion) -> JSON:
    return _drop_none(
        {
            "name": display_name(r.name),
            "regionalReplicaCount": r.replica_count,
            "storageAccountType": r.storage_account_type,
            "excludeFromLatest": r.exclude_from_latest,
            "encryption": _encryption_body(r.encryption),
        }
    )


def storage_profile_body(v: m.ImageVersion) -> JSON:
    storage: JSON = {}
    os_disk: JSON = {}
    src = v.source
    if src is not None:
        if src.kind is m.SourceKind.VIRTUAL_MACHINE:
            storage["source"] = {"virtualMachineId": src.id}
        elif src.kind in (m.SourceKind.MANAGED_IMAGE, m.SourceKind.GALLERY_IMAGE_VERSION):
            storage["source"] = {"id": src.id}
        else:
            os_disk["source"] = _disk_source_body(src)
    if v.os_disk_host_caching:
        os_disk["hostCaching"] = v.os_disk_host_caching
    if os_disk:
        storage["osDiskImage"] = os_disk
    if v.data_disks:
        storage["dataDiskImages"] = [
            _drop_none({"lun": d.lun, "hostCaching": d.host_caching, "source": _disk_source_body(d.source)})
            for d in v.data_disks
        ]
    return storage


def version_body(v: m.ImageVersion) -> JSON:
    safety = {
        "allowDeletionOfReplicatedLocations": v.allow_deletion_of_replicated_locations,
        "blockDeletionBeforeEndOfLife": v.block_deletion_before_end_of_life,
    }
    return _drop_none(
        {
            "location": v.location,
            "tags": dict(v.tags),
            "properties": {
                "publishingProfile": {
                    "targetRegions": [target_region_body(r) for r in v.target_regions],
                    "replicaCount": v.replica_count,
                    "storageAccountType": v.storage_account_type,
                    "excludeFromLatest": v.exclude_from_latest,
                    "endOfLifeDate": format_datetime(v.end_of_life_date),
                    "replicationMode": v.replication_mode,
                },
                "storageProfile": storage_profile_body(v),
                "safetyProfile": safety,
            },
        }
    )


def body_for(resource: m.Resource, **options: Any) -> JSON:
    if isinstance(resource, m.Gallery):
        return gallery_body(resource)
    if isinstance(resource, m.ImageDefinition):
        return definition_body(resource, **options)
    return version_body(resource)


def _strip_read_only_storage(storage: JSON) -> JSON:
    """The live storage profile minus read-only sizes: resent unchanged so PATCH changes no immutable field."""
    clean = json.loads(json.dumps(storage))
    for disk in [clean.get("osDiskImage") or {}, *(clean.get("dataDiskImages") or [])]:
        disk.pop("sizeInGB", None)
    return clean


def version_patch_body(desired: m.ImageVersion, live_body: JSON) -> JSON:
    """The minimal PATCH for a version: mutable fields from the manifest, immutable ones as Azure has them.

    Each region that exists keeps the storage account type Azure reports for it: resending a
    different one (or the global default in its place) is refused by the service.
    """
    live_props = live_body.get("properties") or {}
    live_pub = live_props.get("publishingProfile") or {}
    live_types = {fold_region(r["name"]): r.get("storageAccountType") for r in live_pub.get("targetRegions") or []}
    live_enc = {fold_region(r["name"]): r.get("encryption") for r in live_pub.get("targetRegions") or []}
    regions = []
    for region in desired.target_regions:
        body = target_region_body(region)
        if region.name in live_types:
            if live_types[region.name]:
                body["storageAccountType"] = live_types[region.name]
            if live_enc.get(region.name) and "encryption" not in body:
                body["encryption"] = live_enc[region.name]
        regions.append(body)
    publishing: JSON = {"targetRegions": regions}
    publishing["replicaCount"] = desired.replica_count if desired.replica_count is not None else 1
    publishing["excludeFromLatest"] = bool(desired.exclude_from_latest)
    if desired.end_of_life_date is not None:
        publishing["endOfLifeDate"] = format_datetime(desired.end_of_life_date)
    properties: JSON = {
        "publishingProfile": publishing,
        "storageProfile": _strip_read_only_storage(live_props.get("storageProfile") or {}),
    }
    if desired.block_deletion_before_end_of_life is not None:
        properties["safetyProfile"] = {"blockDeletionBeforeEndOfLife": desired.block_deletion_before_end_of_life}
    return {"tags": dict(desired.tags), "properties": properties}


def gallery_patch_body(desired: m.Gallery) -> JSON:
    props: JSON = {}
    if desired.description is not None:
        props["description"] = desired.description
    if desired.soft_delete is not None:
        props["softDeletePolicy"] = {"isSoftDeleteEnabled": desired.soft_delete}
    return {"tags": dict(desired.tags), "properties": props}


def definition_patch_body(desired: m.ImageDefinition, live_body: JSON) -> JSON:
    """PATCH for a definition: osType, osState and identifier are required by the API even in a PATCH."""
    full = definition_body(desired)["properties"]
    live_props = live_body.get("properties") or {}
    props: JSON = {k: live_props[k] for k in ("osType", "osState", "identifier") if k in live_props}
    for key in ("description", "releaseNoteUri", "endOfLifeDate", "recommended", "disallowed"):
        if key in full:
            props[key] = full[key]
    if desired.features:
        live_features = {f["name"].lower(): f for f in live_props.get("features") or []}
        for feature in desired.features:
            live_features[feature.name.lower()] = {"name": feature.name, "value": feature.value}
        wanted = sorted(live_features.values(), key=lambda f: f["name"])
        if wanted != sorted(live_props.get("features") or [], key=lambda f: f["name"]):
            props["features"] = wanted
            props["allowUpdateImage"] = True
    return {"tags": dict(desired.tags), "properties": props}
