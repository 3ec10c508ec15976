"""Gallery sharing: `POST …/share` (Add, Remove, Reset, EnableCommunity), the sharing profile as GETs show it,
and the consumer-side reads of shared and community galleries by location.

As recorded (recordings/azure-cli/test_shared_gallery.yaml, test_community_gallery_operations.yaml, API-FACTS §12):
- `POST …/share` answers 202 with an empty body, `Azure-AsyncOperation` and `Location`; the operation succeeds.
- Groups are shown by a gallery GET with `$select=Permissions` (how az reads them back) or
  `$expand=SharingProfile/Groups` (the spec's expand); never in lists; a group left without ids disappears.
- `Reset` returns the gallery to `Private`: groups and community information are gone.
- A gallery created with `permissions: Community` gets `communityGalleryEnabled: false` and one public name,
  `{publicNamePrefix}-{GUID}`; `EnableCommunity` turns `communityGalleryEnabled` on.
- `GET …/locations/{l}/sharedGalleries` lists, for the subscription in the path, the galleries shared with it
  (or its tenant): `{location, name: uniqueName, identifier: {uniqueId: /SharedGalleries/{uniqueName}}}`; the GET of
  one adds `properties: {}`. `GET …/locations/{l}/communityGalleries/{publicName}` shows `communityMetadata` twice
  (top level and in `properties`) with the disclaimer link, for every Azure subscription.

Decided without a recording (docs/emulator.md lists them): Add and Remove only on a gallery whose permissions are
`Groups`, EnableCommunity only on a `Community` one (409 `OperationNotAllowed` otherwise); a community gallery is
not deleted until it is reset (docs: "you must first run az sig share reset"); a shared or community gallery is
visible from its own region and every target region of its versions.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from . import apiversions, lro, regions
from .common import Ctx, Response
from .errors import ArmError, resource_not_found
from .store import Record
from .validation import clean_body

DISCLAIMER = "https://aka.ms/community-gallery-disclaimer"
COMMUNITY_FIELDS = ("publisherUri", "publisherContact", "eula", "publicNamePrefix")
_GROUP_ORDER = ("Subscriptions", "AADTenants")


def wants_groups(ctx: Ctx) -> bool:
    """True when a gallery GET asks for the sharing groups: `$select=Permissions` or `$expand=SharingProfile/Groups`."""
    query = ctx.req.query
    return (query.get("$select") or "").lower() == "permissions" or (
        (query.get("$expand") or "").lower() == "sharingprofile/groups"
    )


def view(body: dict[str, Any], with_groups: bool) -> dict[str, Any]:
    """A gallery body as answered: groups only when asked for, and never an empty group list (in place)."""
    profile = (body.get("properties") or {}).get("sharingProfile")
    if isinstance(profile, dict) and "groups" in profile and (not with_groups or not profile["groups"]):
        profile.pop("groups")
    return body


def on_create(props: dict[str, Any]) -> None:
    """What Azure fills in when a gallery is created shared: a community gallery's public name and state."""
    profile = props.get("sharingProfile")
    if not isinstance(profile, dict):
        return
    if profile.get("permissions") == "Community":
        info = profile.setdefault("communityGalleryInfo", {})
        prefix = info.get("publicNamePrefix") or "gallery"
        profile["communityGalleryInfo"] = {
            "communityGalleryEnabled": False,
            **{k: info[k] for k in COMMUNITY_FIELDS if k in info},
            "publicNames": [f"{prefix}-{uuid.uuid4()}"],
        }


def keep_on_update(old: dict[str, Any], props: dict[str, Any]) -> None:
    """An update keeps what only `…/share` changes (groups, whether community sharing is on, the public names).

    A body without a sharing profile leaves it as it is: the permissions cannot change in place anyway.
    """
    before = old.get("sharingProfile")
    if not isinstance(before, dict):
        return
    after = props.get("sharingProfile")
    if not isinstance(after, dict):
        props["sharingProfile"] = copy.deepcopy(before)
        return
    if before.get("groups"):
        after["groups"] = copy.deepcopy(before["groups"])
    old_info = before.get("communityGalleryInfo")
    if isinstance(old_info, dict):
        info = {**old_info, **(after.get("communityGalleryInfo") or {})}
        for key in ("communityGalleryEnabled", "publicNames"):
            if key in old_info:
                info[key] = old_info[key]
        after["communityGalleryInfo"] = info


def community_enabled(body: dict[str, Any]) -> bool:
    info = ((body.get("properties") or {}).get("sharingProfile") or {}).get("communityGalleryInfo") or {}
    return bool(info.get("communityGalleryEnabled"))


def _not_allowed(message: str) -> ArmError:
    return ArmError(409, "OperationNotAllowed", message)


def _merge(groups: list[dict[str, Any]], changes: list[dict[str, Any]], add: bool) -> list[dict[str, Any]]:
    by_type = {g["type"]: list(g.get("ids") or []) for g in groups}
    order = [g["type"] for g in groups]
    for change in changes:
        kind = change.get("type")
        if kind not in _GROUP_ORDER:
            raise ArmError(
                400,
                "InvalidParameter",
                f"The value '{kind}' of parameter 'sharingUpdate.groups.type' is not valid. Allowed values: "
                "Subscriptions, AADTenants.",
                "sharingUpdate.groups.type",
            )
        ids = by_type.setdefault(kind, [])
        if kind not in order:
            order.append(kind)
        have = {i.lower() for i in ids}
        for item in change.get("ids") or []:
            if add and item.lower() not in have:
                ids.append(item)
                have.add(item.lower())
            elif not add:
                ids[:] = [i for i in ids if i.lower() != item.lower()]
    return [{"type": kind, "ids": by_type[kind]} for kind in order if by_type[kind]]


def share(ctx: Ctx) -> Response:
    """POST …/galleries/{g}/share (GallerySharingProfile_Update): 202, empty body, the operation to poll."""
    apiversions.check_gallery(ctx.req.api_version, "galleries/share")
    p = ctx.params
    update = clean_body(ctx.req.json(), "SharingUpdate", "sharingUpdate")
    b = ctx.backend
    with b.store.transaction():
        rg = b.resource_group(p["sub"], p["rg"])
        rid = f"{rg.id}/providers/Microsoft.Compute/galleries/{p['gallery']}"
        rec = b.store.get(rid)
        if rec is None:
            raise resource_not_found("Microsoft.Compute/galleries", p["gallery"], p["rg"])
        props = rec.body.setdefault("properties", {})
        profile = props.setdefault("sharingProfile", {"permissions": "Private"})
        permissions = profile.get("permissions", "Private")
        operation = update["operationType"]
        if operation in ("Add", "Remove"):
            if permissions != "Groups":
                raise _not_allowed(
                    f"The gallery '{rec.name}' cannot be shared with subscriptions or tenants: its "
                    f"sharingProfile.permissions is '{permissions}', not 'Groups' (set when the gallery is created)."
                )
            profile["groups"] = _merge(profile.get("groups") or [], update.get("groups") or [], operation == "Add")
        elif operation == "Reset":
            props["sharingProfile"] = {"permissions": "Private"}
        else:  # EnableCommunity
            if permissions != "Community":
                raise _not_allowed(
                    f"The gallery '{rec.name}' cannot be shared with the community: its "
                    f"sharingProfile.permissions is '{permissions}', not 'Community' (set when the gallery is created)."
                )
            profile.setdefault("communityGalleryInfo", {})["communityGalleryEnabled"] = True
        b.store.put(rec)
        op = lro.start(ctx, rid, ctx.now)
    return Response(202, None, lro.headers(ctx, op, rec.body["location"], delete=True, in_progress=False))


# --- the consumer side ------------------------------------------------------------------------------------------


def visible_regions(ctx: Ctx, gallery: Record) -> set[str]:
    """Regions a shared gallery is visible from: its own and every target region of its versions (folded)."""
    found = {regions.fold(gallery.body.get("location", ""))}
    for image in ctx.backend.store.children(gallery.id, "galleryImage"):
        for version in ctx.backend.store.children(image.id, "galleryImageVersion"):
            pub = version.body.get("properties", {}).get("publishingProfile", {})
            found.update(regions.fold(t.get("name", "")) for t in pub.get("targetRegions") or [])
    return found


def _tenant_of(ctx: Ctx, sub: str) -> str:
    return str(ctx.backend.subscription(sub).body.get("tenantId", "")).lower()


def _shared_with(ctx: Ctx, gallery: Record, sub: str, tenant_only: bool) -> bool:
    profile = gallery.body.get("properties", {}).get("sharingProfile") or {}
    if profile.get("permissions") != "Groups":
        return False
    tenant = _tenant_of(ctx, sub)
    for group in profile.get("groups") or []:
        ids = {i.lower() for i in group.get("ids") or []}
        if group.get("type") == "AADTenants" and tenant in ids:
            return True
        if group.get("type") == "Subscriptions" and not tenant_only and sub.lower() in ids:
            return True
    return False


def _shared_item(ctx: Ctx, gallery: Record) -> dict[str, Any]:
    unique = gallery.body["properties"]["identifier"]["uniqueName"]
    return {"location": ctx.params["loc"], "name": unique, "identifier": {"uniqueId": f"/SharedGalleries/{unique}"}}


def _shared(ctx: Ctx) -> list[Record]:
    sub = ctx.params["sub"]
    ctx.backend.subscription(sub)
    tenant_only = (ctx.req.query.get("sharedto") or "").lower() == "tenant"
    loc = regions.fold(ctx.params["loc"])
    return [
        g
        for g in ctx.backend.store.all_of_kind("gallery")
        if _shared_with(ctx, g, sub, tenant_only) and loc in visible_regions(ctx, g)
    ]


def shared_gallery_list(ctx: Ctx) -> Response:
    """GET /subscriptions/{s}/providers/Microsoft.Compute/locations/{l}/sharedGalleries[?sharedTo=tenant]."""
    apiversions.check_gallery(ctx.req.api_version, "locations/sharedGalleries")
    return Response(200, {"value": [_shared_item(ctx, g) for g in _shared(ctx)]})


def shared_gallery_get(ctx: Ctx) -> Response:
    """GET …/locations/{l}/sharedGalleries/{uniqueName}: 404 unless shared with this subscription there."""
    apiversions.check_gallery(ctx.req.api_version, "locations/sharedGalleries")
    wanted = ctx.params["name"].lower()
    for gallery in _shared(ctx):
        if gallery.body["properties"]["identifier"]["uniqueName"].lower() == wanted:
            return Response(200, {"properties": {}, **_shared_item(ctx, gallery)})
    raise ArmError(
        404,
        "ResourceNotFound",
        f"The shared gallery '{ctx.params['name']}' was not found in location '{ctx.params['loc']}' for "
        f"subscription '{ctx.params['sub']}'.",
    )


def community_gallery_get(ctx: Ctx) -> Response:
    """GET …/locations/{l}/communityGalleries/{publicName}: any subscription sees an enabled community gallery."""
    apiversions.check_gallery(ctx.req.api_version, "locations/communityGalleries")
    ctx.backend.subscription(ctx.params["sub"])
    wanted = ctx.params["name"].lower()
    loc = regions.fold(ctx.params["loc"])
    for gallery in ctx.backend.store.all_of_kind("gallery"):
        info = (gallery.body.get("properties", {}).get("sharingProfile") or {}).get("communityGalleryInfo") or {}
        names = info.get("publicNames") or []
        if not info.get("communityGalleryEnabled") or wanted not in {n.lower() for n in names}:
            continue
        if loc not in visible_regions(ctx, gallery):
            break
        name = next(n for n in names if n.lower() == wanted)
        metadata = {k: info[k] for k in ("publisherUri", "publisherContact", "eula") if k in info}
        metadata["publicNames"] = list(names)
        body = {
            "properties": {"communityMetadata": metadata, "disclaimer": DISCLAIMER},
            "communityMetadata": copy.deepcopy(metadata),
            "location": ctx.params["loc"],
            "name": name,
            "identifier": {"uniqueId": f"/CommunityGalleries/{name}"},
        }
        return Response(200, body)
    raise ArmError(
        404,
        "ResourceNotFound",
        f"The community gallery '{ctx.params['name']}' was not found in location '{ctx.params['loc']}'.",
    )
