"""Galleries and gallery image definitions: create/update/get/list/delete with the Compute RP's rules."""

from __future__ import annotations

import copy
from typing import Any

from . import apiversions, lro, rules, shapes, sharing, softdelete
from .common import Ctx, Response, check_location, deep_merge, page, store_resource
from .errors import ArmError, cannot_delete, parent_not_found, resource_not_found
from .store import Record
from .validation import clean_body

GALLERY_TYPE = "Microsoft.Compute/galleries"
# A direct-shared gallery's permissions "can't currently be updated" ([D-ACG], API-FACTS §5.2), a private gallery
# cannot become a community gallery (share-gallery-community docs); Terraform forces a new gallery for the
# community information, whose public name prefix Azure has already used for the public name.
GALLERY_IMMUTABLE = (
    "properties.sharingProfile.permissions",
    *(f"properties.sharingProfile.communityGalleryInfo.{k}" for k in sharing.COMMUNITY_FIELDS),
)
IMAGE_TYPE = "Microsoft.Compute/galleries/images"
IMAGE_IMMUTABLE = (
    "properties.osType",
    "properties.osState",
    "properties.hyperVGeneration",
    "properties.identifier.publisher",
    "properties.identifier.offer",
    "properties.identifier.sku",
    "properties.architecture",
    "properties.eula",
    "properties.privacyStatementUri",
    "properties.purchasePlan.name",
    "properties.purchasePlan.publisher",
    "properties.purchasePlan.product",
)


# SecurityType values as the service spells them; a request's spelling is echoed in this case ("ConfidentialVm"
# -> "ConfidentialVM" in recordings/azure-cli/test_create_image_version_with_region_cvm_encryption.yaml).
SECURITY_TYPES = (
    "Standard",
    "TrustedLaunch",
    "TrustedLaunchSupported",
    "ConfidentialVM",
    "ConfidentialVmSupported",
    "TrustedLaunchAndConfidentialVmSupported",
)


def render(rec: Record, api: str, state: str | None = None, groups: bool = False) -> dict[str, Any]:
    """The body Azure answers with at `api`: the stored one, its provisioning state, fields `api` knows.

    :param groups: a gallery's sharing groups are shown (only a GET asking for them shows them: `sharing`).
    """
    body = copy.deepcopy(rec.body)
    body.setdefault("properties", {})["provisioningState"] = state or "Succeeded"
    if rec.kind == "gallery":
        sharing.view(body, groups)
    return shapes.fit(rec.kind, body, api)


def _read_body(ctx: Ctx, name: str, prefix: str, definition: str, kind: str, api: str) -> dict[str, Any]:
    raw = ctx.req.json()
    if isinstance(raw, dict):
        rules.check_body_name(raw, name, prefix)
    return shapes.fit(kind, clean_body(raw, definition, prefix), api)


def _listing(ctx: Ctx, rows: list[Record], api: str, upper_group: bool = False) -> Response:
    size = ctx.backend.config.page_size
    more = len(rows) > size
    rows = rows[:size]
    items = [render(r, api) for r in rows]
    if upper_group:
        for item in items:
            item["id"] = _upper_group(item["id"])
    return page(ctx, items, more, rows[-1].key if rows else "")


def _upper_group(rid: str) -> str:
    """Gallery lists name the resource group upper-cased in ids, as Compute lists do (the gallery list of
    recordings/azure-cli/test_gallery_e2e.yaml: `resourceGroups/CLITEST.RG…` where the GET says `clitest.rg…`)."""
    parts = rid.split("/")
    if len(parts) > 4 and parts[3].lower() == "resourcegroups":
        parts[4] = parts[4].upper()
    return "/".join(parts)


# --- galleries -------------------------------------------------------------------------------------------------


def _gallery_id(rg: Record, name: str) -> str:
    return f"{rg.id}/providers/{GALLERY_TYPE}/{name}"


def gallery_get(ctx: Ctx) -> Response:
    api = apiversions.check_gallery(ctx.req.api_version, "galleries")
    p = ctx.params
    rg = ctx.backend.resource_group(p["sub"], p["rg"])
    rec = ctx.backend.store.get(_gallery_id(rg, p["gallery"]))
    if rec is None:
        raise resource_not_found(GALLERY_TYPE, p["gallery"], p["rg"])
    return Response(200, render(rec, api, groups=sharing.wants_groups(ctx)))


def gallery_put(ctx: Ctx, patch: bool = False) -> Response:
    api = apiversions.check_gallery(ctx.req.api_version, "galleries")
    p = ctx.params
    rules.check_gallery_name(p["gallery"])
    clean = _read_body(ctx, p["gallery"], "gallery", "GalleryUpdate" if patch else "Gallery", "gallery", api)
    b = ctx.backend
    with b.store.transaction():
        rg = b.resource_group(p["sub"], p["rg"])
        rid = _gallery_id(rg, p["gallery"])
        old = b.store.get(rid)
        if patch and old is None:
            raise resource_not_found(GALLERY_TYPE, p["gallery"], p["rg"])
        if old is not None:
            name, location = old.name, old.body["location"]
            if not patch and check_location(clean["location"], GALLERY_TYPE) != location:
                raise _location_conflict(rid, location, clean["location"], p["rg"])
            rules.check_immutable(old.body, clean, GALLERY_IMMUTABLE, "gallery")
            props = (
                deep_merge(old.body.get("properties", {}), clean.get("properties", {}))
                if patch
                else dict(clean.get("properties", {}))
            )
            sharing.keep_on_update(old.body.get("properties", {}), props)
            tags = clean.get("tags", old.body.get("tags")) if patch else clean.get("tags")
        else:
            name, location = p["gallery"], check_location(clean["location"], GALLERY_TYPE)
            for other in b.store.by_name(p["sub"], "gallery", name):
                if other.key != rid.lower():
                    raise ArmError(
                        409,
                        "Conflict",
                        f"The gallery name {name} is not unique within the subscription {p['sub']}. "
                        "Pick another gallery name.",
                    )
            props, tags = dict(clean.get("properties", {})), clean.get("tags")
            sharing.on_create(props)
        props["identifier"] = {"uniqueName": f"{p['sub']}-{name.upper()}"}
        meta = old.meta if old else {"created": ctx.now}
        rec = store_resource(ctx, rid, "gallery", GALLERY_TYPE, rg.id, name, location, tags, props, meta)
        op = lro.start(ctx, rid, ctx.now)
    status, state = (200, "Succeeded") if patch else ((200, "Updating") if old else (201, "Creating"))
    return Response(status, render(rec, api, state), lro.headers(ctx, op, location, in_progress=False))


def gallery_patch(ctx: Ctx) -> Response:
    return gallery_put(ctx, patch=True)


def gallery_delete(ctx: Ctx) -> Response:
    apiversions.check_gallery(ctx.req.api_version, "galleries")
    p = ctx.params
    b = ctx.backend
    with b.store.transaction():
        rg = b.resource_group(p["sub"], p["rg"])
        rid = _gallery_id(rg, p["gallery"])
        rec = b.store.get(rid)
        if rec is None:
            return Response(204)
        if sharing.community_enabled(rec.body):
            raise ArmError(
                409,
                "OperationNotAllowed",
                f"The gallery '{rec.name}' is shared with the community; reset its sharing (POST .../share with "
                "operationType Reset) before deleting it.",
            )
        _check_empty(ctx, rid)
        softdelete.refuse_parent_delete(ctx, rec, softdelete.held(ctx, rec), f"gallery '{rec.name}'")
        b.store.delete(rid)
        op = lro.start(ctx, rid, ctx.now)
    return Response(202, None, lro.headers(ctx, op, rec.body["location"], delete=True, in_progress=False))


def gallery_list_by_rg(ctx: Ctx) -> Response:
    api = apiversions.check_gallery(ctx.req.api_version, "galleries")
    p = ctx.params
    rg = ctx.backend.resource_group(p["sub"], p["rg"])
    size = ctx.backend.config.page_size
    rows = ctx.backend.store.children(rg.id, "gallery", ctx.req.query.get("$skiptoken", ""), size + 1)
    return _listing(ctx, rows, api, upper_group=True)


def gallery_list(ctx: Ctx) -> Response:
    api = apiversions.check_gallery(ctx.req.api_version, "galleries")
    sub = ctx.params["sub"]
    ctx.backend.subscription(sub)
    size = ctx.backend.config.page_size
    rows = ctx.backend.store.in_subscription(sub, "gallery", ctx.req.query.get("$skiptoken", ""), size + 1)
    # The subscription-wide list's spelling of groups was not recorded; it keeps them as created.
    return _listing(ctx, rows, api)


def _check_empty(ctx: Ctx, rid: str) -> None:
    child = ctx.backend.store.any_child(rid)
    if child is not None:
        raise cannot_delete(child.id)
    recent = ctx.backend.recently_emptied(rid)
    if recent is not None:
        raise cannot_delete(recent)


def _location_conflict(rid: str, before: str, after: str, rg: str) -> ArmError:
    return ArmError(
        409,
        "InvalidResourceLocation",
        f"The resource '{rid}' already exists in location '{before}' in resource group '{rg}'. A resource with the "
        f"same name cannot be created in location '{after}'. Please select a new resource name.",
    )


# --- image definitions -----------------------------------------------------------------------------------------


def _parent_gallery(ctx: Ctx) -> Record:
    p = ctx.params
    rg = ctx.backend.resource_group(p["sub"], p["rg"])
    gallery = ctx.backend.store.get(_gallery_id(rg, p["gallery"]))
    if gallery is None:
        raise parent_not_found(p["gallery"])
    return gallery


def image_get(ctx: Ctx) -> Response:
    api = apiversions.check_gallery(ctx.req.api_version, "galleries/images")
    p = ctx.params
    gallery = _parent_gallery(ctx)
    rec = ctx.backend.store.get(f"{gallery.id}/images/{p['image']}")
    if rec is None:
        raise resource_not_found(IMAGE_TYPE, f"{p['gallery']}/{p['image']}", p["rg"])
    return Response(200, render(rec, api))


def image_list(ctx: Ctx) -> Response:
    api = apiversions.check_gallery(ctx.req.api_version, "galleries/images")
    gallery = _parent_gallery(ctx)
    size = ctx.backend.config.page_size
    rows = ctx.backend.store.children(gallery.id, "galleryImage", ctx.req.query.get("$skiptoken", ""), size + 1)
    return _listing(ctx, rows, api)


def _image_defaults(props: dict[str, Any], api: str) -> None:
    v2 = apiversions.at_least(api, apiversions.V2_DEFAULT_FROM)
    if "hyperVGeneration" not in props:
        props["hyperVGeneration"] = "V2" if v2 else "V1"
        if v2 and not any(f.get("name", "").lower() == "securitytype" for f in props.get("features", [])):
            props["features"] = [
                *props.get("features", []),
                {"name": "SecurityType", "value": "TrustedLaunchSupported"},
            ]
    props.setdefault("architecture", "x64")


def _features_key(props: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((f.get("name", "").lower(), str(f.get("value", "")).lower()) for f in props.get("features", []))


def image_put(ctx: Ctx, patch: bool = False) -> Response:
    api = apiversions.check_gallery(ctx.req.api_version, "galleries/images")
    p = ctx.params
    rules.check_image_name(p["image"])
    definition = "GalleryImageUpdate" if patch else "GalleryImage"
    clean = _read_body(ctx, p["image"], "galleryImage", definition, "galleryImage", api)
    b = ctx.backend
    with b.store.transaction():
        gallery = _parent_gallery(ctx)
        rid = f"{gallery.id}/images/{p['image']}"
        old = b.store.get(rid)
        if patch and old is None:
            raise resource_not_found(IMAGE_TYPE, f"{p['gallery']}/{p['image']}", p["rg"])
        new_props = clean.get("properties", {})
        if old is not None:
            name, location = old.name, old.body["location"]
            if not patch and check_location(clean["location"], IMAGE_TYPE) != location:
                raise _location_conflict(rid, location, clean["location"], p["rg"])
            rules.check_immutable(old.body, clean, IMAGE_IMMUTABLE, "galleryImage")
            old_props = old.body["properties"]
            if "features" in new_props and _features_key(new_props) != _features_key(old_props):
                can_update = apiversions.at_least(api, apiversions.FEATURE_UPDATE_FROM) and new_props.get(
                    "allowUpdateImage"
                )
                if not can_update:
                    raise ArmError(
                        409,
                        "PropertyChangeNotAllowed",
                        "Changing property 'galleryImage.properties.features' is not allowed.",
                        "galleryImage.properties.features",
                    )
            props = deep_merge(old_props, new_props)
            # endOfLifeDate can be changed but not removed (API-FACTS §5.2), so a PUT without it keeps it.
            if "endOfLifeDate" in old_props and "endOfLifeDate" not in props:
                props["endOfLifeDate"] = old_props["endOfLifeDate"]
            if not patch:
                props = {**{k: old_props[k] for k in IMAGE_KEEP if k in old_props}, **new_props}
            tags = clean.get("tags", old.body.get("tags")) if patch else clean.get("tags")
        else:
            name, location = p["image"], check_location(clean["location"], IMAGE_TYPE)
            props, tags = dict(new_props), clean.get("tags")
            _image_defaults(props, api)
        # write-only, and empty collections are not echoed (API-FACTS §12)
        props.pop("allowUpdateImage", None)
        for key in ("features", "disallowed"):
            if props.get(key) in ([], {}):
                props.pop(key)
        _canonical_features(props)
        rules.check_identifier(props.get("identifier", {}))
        if "endOfLifeDate" in new_props:
            rules.check_future(new_props["endOfLifeDate"], "galleryImage.properties.endOfLifeDate", ctx.now)
        rules.check_range(props)
        _check_unique_identifier(ctx, gallery, rid, name, props["identifier"])
        meta = old.meta if old else {"created": ctx.now}
        rec = store_resource(ctx, rid, "galleryImage", IMAGE_TYPE, gallery.id, name, location, tags, props, meta)
        op = lro.start(ctx, rid, ctx.now)
    status, state = (200, "Updating") if (old or patch) else (201, "Creating")
    return Response(status, render(rec, api, state), lro.headers(ctx, op, location, in_progress=False))


def _canonical_features(props: dict[str, Any]) -> None:
    canonical = {v.lower(): v for v in SECURITY_TYPES}
    for feature in props.get("features", []):
        if str(feature.get("name", "")).lower() == "securitytype" and isinstance(feature.get("value"), str):
            feature["value"] = canonical.get(feature["value"].lower(), feature["value"])


# Properties a PUT keeps when it leaves them out: immutable or server-defaulted, so omission is not a change.
IMAGE_KEEP = (
    "osType",
    "osState",
    "hyperVGeneration",
    "architecture",
    "identifier",
    "eula",
    "privacyStatementUri",
    "purchasePlan",
    "features",
    "endOfLifeDate",
)


def image_patch(ctx: Ctx) -> Response:
    return image_put(ctx, patch=True)


def _check_unique_identifier(ctx: Ctx, gallery: Record, rid: str, name: str, ident: dict[str, str]) -> None:
    triple = tuple(ident.get(k, "").lower() for k in ("publisher", "offer", "sku"))
    for other in ctx.backend.store.children(gallery.id, "galleryImage"):
        if other.key == rid.lower():
            continue
        o = other.body["properties"]["identifier"]
        if tuple(o.get(k, "").lower() for k in ("publisher", "offer", "sku")) == triple:
            raise ArmError(
                409,
                "OperationNotAllowed",
                f"Gallery image: {name} identified by (publisher:{ident['publisher']}, offer:{ident['offer']}, "
                f"sku:{ident['sku']}) already exists. Choose a different publisher, offer, sku combination.",
            )


def image_delete(ctx: Ctx) -> Response:
    apiversions.check_gallery(ctx.req.api_version, "galleries/images")
    p = ctx.params
    b = ctx.backend
    with b.store.transaction():
        gallery = _parent_gallery(ctx)
        rid = f"{gallery.id}/images/{p['image']}"
        rec = b.store.get(rid)
        if rec is None:
            return Response(204)
        _check_empty(ctx, rid)
        held = softdelete.held(ctx, gallery, rec.name)
        softdelete.refuse_parent_delete(ctx, gallery, held, f"gallery image '{rec.name}'")
        b.store.delete(rid)
        b.note_child_deleted(gallery.id, rid)
        op = lro.start(ctx, rid, ctx.now)
    return Response(202, None, lro.headers(ctx, op, rec.body["location"], delete=True, in_progress=False))
