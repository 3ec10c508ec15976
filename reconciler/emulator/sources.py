"""Image-version sources (VMs, managed images, snapshots, disks, storage accounts) with their own ARM endpoints.

Status codes follow each type's spec (Compute 2023-04-02 disk specs, as recorded in
recordings/azure-cli/test_gallery_image_version_vhd.yaml; Storage 2023-01-01):

- virtualMachines, images: 201 created / 200 updated, the resource in the body.
- disks, snapshots: 202 with the resource (`provisioningState: Updating`), `Azure-AsyncOperation` at
  `…/locations/{region}/DiskOperations/{id}` (its status carries the resource as `properties.output`) and
  `Location` at the same URL with `monitor=true` (202 while running, then 200 with the resource).
- storageAccounts: 202 with an empty body and `Location: …/Microsoft.Storage/locations/{region}/asyncoperations/{id}`,
  which answers 202 while running and then 200 with the account.

Bodies keep ARM's nesting (a VM's disks under `storageProfile.osDisk` / `dataDisks`, a managed image's
likewise, a disk's `diskSizeGB` / `osType` / `hyperVGeneration` under `properties`); `describe` reads them.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

from . import apiversions, lro, regions
from .backend import Backend
from .common import Ctx, Response, check_location, iso, page
from .errors import ArmError, invalid_parameter, resource_not_found
from .store import Record

# URL segment (lower) -> (ARM type, operation-name prefix)
KINDS = {
    "virtualmachines": ("Microsoft.Compute/virtualMachines", "VirtualMachines"),
    "images": ("Microsoft.Compute/images", "Images"),
    "snapshots": ("Microsoft.Compute/snapshots", "Snapshots"),
    "disks": ("Microsoft.Compute/disks", "Disks"),
    "storageaccounts": ("Microsoft.Storage/storageAccounts", "StorageAccounts"),
}
_STORAGE_NAME = re.compile(r"^[a-z0-9]{3,24}$")
DEFAULT_SIZE_GB = 30
_GIB = 1024**3


def _segment(ctx: Ctx) -> str:
    return ctx.params["kind"].lower()


def source_id(rg: Record, segment: str, name: str) -> str:
    rtype = KINDS[segment][0]
    return f"{rg.id}/providers/{rtype}/{name}"


def _str(props: dict[str, Any], key: str) -> None:
    value = props.get(key)
    if value is not None and not isinstance(value, str):
        raise invalid_parameter(f"The value of parameter '{key}' must be a string.", f"properties.{key}")


def _disks(items: Any) -> list[dict[str, Any]]:
    """Seed-style data disks [{lun, diskSizeGB, hostCaching}] in ARM's spelling [{lun, diskSizeGB, caching}]."""
    if not isinstance(items, list) or not all(isinstance(d, dict) and isinstance(d.get("lun"), int) for d in items):
        raise invalid_parameter("'dataDisks' must be a list of objects with an integer 'lun'.", "properties.dataDisks")
    out = []
    for d in items:
        disk: dict[str, Any] = {"lun": d["lun"]}
        for ours, theirs in (("diskSizeGB", "diskSizeGB"), ("hostCaching", "caching"), ("caching", "caching")):
            if d.get(ours) is not None:
                disk[theirs] = d[ours]
        out.append(disk)
    return out


def _normalise_props(segment: str, props: dict[str, Any]) -> dict[str, Any]:
    """Accept the flat seed spelling (osType, hostCaching, dataDisks, ...) and keep ARM's nesting where ARM has one."""
    props = copy.deepcopy(props)
    for key in ("osType", "osState", "hostCaching"):
        _str(props, key)
    if segment in ("virtualmachines", "images"):
        storage = props.setdefault("storageProfile", {})
        os_disk = storage.setdefault("osDisk", {})
        moved = ("osType", "osState") if segment == "images" else ("osType",)
        for key in moved:
            if key in props:
                os_disk[key] = props.pop(key)
        if "hostCaching" in props:
            os_disk["caching"] = props.pop("hostCaching")
        if "diskSizeGB" in props:
            os_disk["diskSizeGB"] = props.pop("diskSizeGB")
        if "dataDisks" in props:
            storage["dataDisks"] = _disks(props.pop("dataDisks"))
        if segment == "virtualmachines" and "imageReference" in props:
            storage["imageReference"] = props.pop("imageReference")
    return props


def describe(rec: Record) -> dict[str, Any]:
    """What a version needs to know about a source: region, OS properties, disks (None where not recorded)."""
    props = rec.body.get("properties", {})
    storage = props.get("storageProfile", {})
    os_disk = storage.get("osDisk", {})
    hyper_v = props.get("hyperVGeneration") or (props.get("instanceView") or {}).get("hyperVGeneration")
    return {
        "location": rec.body.get("location"),
        "osType": os_disk.get("osType") or props.get("osType"),
        "osState": os_disk.get("osState") or props.get("osState"),
        "hyperVGeneration": hyper_v,
        "osDisk": {
            "sizeGB": os_disk.get("diskSizeGB") or props.get("diskSizeGB") or DEFAULT_SIZE_GB,
            "hostCaching": os_disk.get("caching"),
        },
        "dataDisks": [
            {"lun": d["lun"], "sizeGB": d.get("diskSizeGB") or DEFAULT_SIZE_GB, "hostCaching": d.get("caching")}
            for d in storage.get("dataDisks", [])
            if isinstance(d, dict) and "lun" in d
        ],
        "imageReference": storage.get("imageReference") if rec.kind == KINDS["virtualmachines"][0] else None,
    }


def _disk_properties(backend: Backend, props: dict[str, Any], old: Record | None, now: float) -> dict[str, Any]:
    """A disk's or snapshot's server-set properties: size (copied from its source when it is a copy), state, ids."""
    creation = props.get("creationData") or {}
    source_ref = creation.get("sourceResourceId")
    source = backend.store.get(source_ref.rstrip("/")) if isinstance(source_ref, str) and source_ref else None
    if source is not None:
        src_props = source.body.get("properties", {})
        for key in ("osType", "hyperVGeneration", "diskSizeGB"):
            if key in src_props and key not in props:
                props[key] = src_props[key]
        if src_props.get("uniqueId"):
            creation.setdefault("sourceUniqueId", src_props["uniqueId"])
    props.setdefault("diskSizeGB", DEFAULT_SIZE_GB)
    kept = (old.body.get("properties", {}) if old else {}) or {}
    props["timeCreated"] = kept.get("timeCreated") or iso(now)
    props["diskState"] = "Unattached"
    props["diskSizeBytes"] = int(props["diskSizeGB"]) * _GIB
    props["uniqueId"] = kept.get("uniqueId") or str(uuid.uuid4())
    return props


def put_source(
    backend: Backend,
    sub: str,
    rg_name: str,
    segment: str,
    name: str,
    location: str,
    props: dict[str, Any],
    tags: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[Record, bool]:
    """Create or replace a source resource; shared by the ARM endpoint and the seed loader.

    :param extra: top-level body members besides `properties` (e.g. `sku`), stored as sent.
    """
    rtype = KINDS[segment][0]
    if segment == "storageaccounts" and not _STORAGE_NAME.match(name):
        raise ArmError(
            400,
            "AccountNameInvalid",
            f"{name} is not a valid storage account name. Storage account name must be between 3 and 24 characters "
            "in length and use numbers and lower-case letters only.",
        )
    with backend.store.transaction():
        rg = backend.resource_group(sub, rg_name)
        rid = source_id(rg, segment, name)
        old = backend.store.get(rid)
        if old is not None:
            name = old.name
        body: dict[str, Any] = {"id": rid, "name": name, "type": rtype, "location": check_location(location, rtype)}
        if tags is not None:
            body["tags"] = tags
        body.update(copy.deepcopy(extra or {}))
        normalised = _normalise_props(segment, props)
        if segment in ("disks", "snapshots"):
            normalised = _disk_properties(backend, normalised, old, backend.clock())
        body["properties"] = {**normalised, "provisioningState": "Succeeded"}
        rec = Record(rid, rtype, rg.id, sub, name, body)
        backend.store.put(rec)
    return rec, old is None


def source_put(ctx: Ctx) -> Response:
    p = ctx.params
    segment = _segment(ctx)
    apiversions.check_any(ctx.req.api_version, KINDS[segment][0])
    raw = ctx.req.json()
    if not isinstance(raw, dict) or not isinstance(raw.get("location"), str):
        raise invalid_parameter("Required parameter 'location' is missing (null).", "location")
    props = raw.get("properties") or {}
    if not isinstance(props, dict):
        raise invalid_parameter("The value of parameter 'properties' must be an object.", "properties")
    extra = {k: v for k, v in raw.items() if k in ("sku", "kind", "zones", "extendedLocation")}
    rec, created = put_source(
        ctx.backend, p["sub"], p["rg"], segment, p["name"], raw["location"], props, raw.get("tags"), extra
    )
    if segment in ("disks", "snapshots"):
        return _disk_accepted(ctx, rec, raw)
    if segment == "storageaccounts":
        return _storage_accepted(ctx, rec)
    return Response(201 if created else 200, rec.body)


def _disk_accepted(ctx: Ctx, rec: Record, raw: dict[str, Any]) -> Response:
    """202 as the disk RP answers: the request echoed as `Updating`, both LRO headers at DiskOperations."""
    op = lro.start(ctx, rec.id, ctx.now, output=rec.body)
    url = (
        f"{ctx.req.base_url}/subscriptions/{ctx.params['sub']}/providers/Microsoft.Compute/locations/"
        f"{regions.fold(rec.body['location'])}/DiskOperations/{op}"
    )
    body = {k: rec.body[k] for k in ("name", "id", "type", "location") if k in rec.body}
    body.update({k: copy.deepcopy(v) for k, v in raw.items() if k not in ("properties", "name", "id", "type")})
    body["location"] = rec.body["location"]
    body["properties"] = {**copy.deepcopy(raw.get("properties") or {}), "provisioningState": "Updating"}
    version = f"api-version={ctx.req.api_version}"
    return Response(
        202, body, {"Azure-AsyncOperation": f"{url}?{version}", "Location": f"{url}?monitor=true&{version}"}
    )


def _storage_accepted(ctx: Ctx, rec: Record) -> Response:
    op = lro.start(ctx, rec.id, ctx.now, output=rec.body)
    url = (
        f"{ctx.req.base_url}/subscriptions/{ctx.params['sub']}/providers/Microsoft.Storage/locations/"
        f"{regions.fold(rec.body['location'])}/asyncoperations/{op}?monitor=true&api-version={ctx.req.api_version}"
    )
    headers = {"Location": url}
    if ctx.backend.config.retry_after:
        headers["Retry-After"] = str(ctx.backend.config.retry_after)
    return Response(202, None, headers)


def source_get(ctx: Ctx) -> Response:
    p = ctx.params
    segment = _segment(ctx)
    apiversions.check_any(ctx.req.api_version, KINDS[segment][0])
    rg = ctx.backend.resource_group(p["sub"], p["rg"])
    rec = ctx.backend.store.get(source_id(rg, segment, p["name"]))
    if rec is None:
        raise resource_not_found(KINDS[segment][0], p["name"], p["rg"])
    return Response(200, rec.body)


def source_delete(ctx: Ctx) -> Response:
    p = ctx.params
    segment = _segment(ctx)
    apiversions.check_any(ctx.req.api_version, KINDS[segment][0])
    with ctx.backend.store.transaction():
        rg = ctx.backend.resource_group(p["sub"], p["rg"])
        rid = source_id(rg, segment, p["name"])
        if ctx.backend.store.get(rid) is None:
            return Response(204)
        ctx.backend.store.delete(rid)
    return Response(200)


def source_list(ctx: Ctx) -> Response:
    p = ctx.params
    segment = _segment(ctx)
    apiversions.check_any(ctx.req.api_version, KINDS[segment][0])
    rg = ctx.backend.resource_group(p["sub"], p["rg"])
    size = ctx.backend.config.page_size
    rows = ctx.backend.store.children(rg.id, KINDS[segment][0], ctx.req.query.get("$skiptoken", ""), size + 1)
    more = len(rows) > size
    rows = rows[:size]
    return page(ctx, [r.body for r in rows], more, rows[-1].key if rows else "")


def blob_account(uri: str) -> str | None:
    """The storage account name of a blob URI (https://NAME.blob.core.windows.net/...)."""
    m = re.match(r"^https://([a-z0-9]{3,24})\.blob\.core\.windows\.net/.+", uri, re.IGNORECASE)
    return m.group(1).lower() if m else None
