"""ARM's generic resource lists: `GET /subscriptions/{s}/resources` and `…/resourceGroups/{rg}/resources`.

Each item is the generic resource envelope (`id`, `name`, `type`, `location`, `tags`, `sku`/`kind` when the
resource has them) of every resource the emulator holds: galleries, image definitions and versions (ARM lists
nested tracked resources too) and the image sources. `$filter` takes `resourceType eq '…'`, `name eq '…'` and
`resourceGroup eq '…'` clauses joined by `and` (what `az resource list --resource-type/--name/-g` and Ansible's
`azure_rm_resource_info` send); `$expand` may ask for `createdTime`, `changedTime` and `provisioningState`.
"""

from __future__ import annotations

import re
from typing import Any

from . import apiversions
from .common import Ctx, Response, iso, page
from .errors import ArmError
from .store import Record

_CLAUSE = re.compile(r"^\s*(resourceType|name|resourceGroup)\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)


def _filters(raw: str | None) -> list[tuple[str, str]]:
    if not raw:
        return []
    out = []
    for clause in re.split(r"\s+and\s+", raw.strip(), flags=re.IGNORECASE):
        m = _CLAUSE.match(clause)
        if not m:
            raise ArmError(400, "InvalidFilterInQueryString", f"Invalid $filter '{raw}' specified in the query string.")
        out.append((m.group(1).lower(), m.group(2).lower()))
    return out


def _group_of(rec: Record) -> str:
    parts = rec.id.split("/")
    return parts[4].lower() if len(parts) > 4 else ""


def _matches(rec: Record, filters: list[tuple[str, str]]) -> bool:
    have = {"resourcetype": rec.body.get("type", "").lower(), "name": rec.name.lower(), "resourcegroup": _group_of(rec)}
    return all(have[key] == value for key, value in filters)


def _item(rec: Record, expand: str) -> dict[str, Any]:
    body = rec.body
    item = {k: body[k] for k in ("id", "name", "type", "sku", "kind", "location", "tags") if k in body}
    wanted = {w.strip().lower() for w in expand.split(",") if w.strip()}
    created = rec.meta.get("created")
    if created is not None and "createdtime" in wanted:
        item["createdTime"] = iso(created)
    if created is not None and "changedtime" in wanted:
        item["changedTime"] = iso(created)
    if "provisioningstate" in wanted:
        item["provisioningState"] = (body.get("properties") or {}).get("provisioningState", "Succeeded")
    return item


def _list(ctx: Ctx, under: str | None) -> Response:
    apiversions.check_any(ctx.req.api_version, "resources")
    query = ctx.req.query
    filters = _filters(query.get("$filter"))
    after = query.get("$skiptoken", "").lower()
    rows = [r for r in ctx.backend.store.resources(ctx.params["sub"], under) if r.key > after and _matches(r, filters)]
    size = ctx.backend.config.page_size
    if query.get("$top", "").isdigit():
        size = min(size, int(query["$top"]))
    more = len(rows) > size
    rows = rows[:size]
    expand = query.get("$expand", "")
    return page(ctx, [_item(r, expand) for r in rows], more, rows[-1].key if rows else "")


def list_in_subscription(ctx: Ctx) -> Response:
    """GET /subscriptions/{s}/resources (Resources_List)."""
    ctx.backend.subscription(ctx.params["sub"])
    return _list(ctx, None)


def list_in_group(ctx: Ctx) -> Response:
    """GET /subscriptions/{s}/resourceGroups/{rg}/resources (Resources_ListByResourceGroup); 404 for a missing group."""
    rg = ctx.backend.resource_group(ctx.params["sub"], ctx.params["rg"])
    return _list(ctx, rg.id)
