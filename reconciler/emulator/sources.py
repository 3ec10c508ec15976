"""Image-version sources (VMs, managed images, snapshots, disks, storage accounts) with their own ARM endpoints."""

from __future__ import annotations

import copy
import re
from typing import Any

from . import apiversions
from .backend import Backend
from .common import Ctx, Response, check_location, page
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


def _segment(ctx: Ctx) -> str:
    return ctx.params["kind"].lower()


def source_id(rg: Record, segment: str, name: str) -> str:
    rtype = KINDS[segment][0]
    return f"{rg.id}/providers/{rtype}/{name}"


def _normalise_props(segment: str, props: dict[str, Any]) -> dict[str, Any]:
    """Accept the flat seed spelling (osType/osState/hyperVGeneration) and keep ARM's nesting where ARM has one."""
    props = copy.deepcopy(props)
    for key in ("osType", "osState"):
        value = props.get(key)
        if value is not None and not isinstance(value, str):
            raise invalid_parameter(f"The value of parameter '{key}' must be a string.", f"properties.{key}")
    if segment == "virtualmachines":
        os_disk = props.setdefault("storageProfile", {}).setdefault("osDisk", {})
        if "osType" in props:
            os_disk["osType"] = props.pop("osType")
    elif segment == "images":
        os_disk = props.setdefault("storageProfile", {}).setdefault("osDisk", {})
        for key in ("osType", "osState"):
            if key in props:
                os_disk[key] = props.pop(key)
    return props


def describe(rec: Record) -> dict[str, Any]:
    """What a version needs to know about a source: location and OS properties (None when not recorded)."""
    props = rec.body.get("properties", {})
    os_disk = props.get("storageProfile", {}).get("osDisk", {})
    return {
        "location": rec.body.get("location"),
        "osType": os_disk.get("osType") or props.get("osType"),
        "osState": os_disk.get("osState") or props.get("osState"),
        "hyperVGeneration": props.get("hyperVGeneration"),
        "sizeGB": props.get("diskSizeGB") or os_disk.get("diskSizeGB") or DEFAULT_SIZE_GB,
    }


def put_source(
    backend: Backend,
    sub: str,
    rg_name: str,
    segment: str,
    name: str,
    location: str,
    props: dict[str, Any],
    tags: dict[str, str] | None = None,
) -> tuple[Record, bool]:
    """Create or replace a source resource; shared by the ARM endpoint and the seed loader."""
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
        if tags:
            body["tags"] = tags
        body["properties"] = {**_normalise_props(segment, props), "provisioningState": "Succeeded"}
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
    rec, created = put_source(
        ctx.backend, p["sub"], p["rg"], segment, p["name"], raw["location"], props, raw.get("tags")
    )
    return Response(201 if created else 200, rec.body)


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
