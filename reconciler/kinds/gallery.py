"""Galleries (`Microsoft.Compute/galleries`): the model, its fields, its bodies and its reads.

Sources: REST spec GalleryRP 2025-03-03 / 2026-03-03 (`Gallery`, `GalleryUpdate`), API-FACTS §1 and §3.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler.core import arm_json as aj
from reconciler.core import model as m
from reconciler.core.regions import fold_region
from reconciler.kinds.base import ExportContext, Field, ResourceKind, manifest_tags

if TYPE_CHECKING:
    from reconciler.manifest.build import Builder
    from reconciler.manifest.bundle import Declared


@functools.lru_cache(maxsize=65536)
def gallery_id(subscription_id: str, resource_group: str, *names: str) -> str:
    """The ARM id of a gallery or of a resource below it, from its gallery / image / version names.

    Cached: a plan asks for each resource's id several times (diff, steps, rendering).
    """
    from azure.mgmt.core.tools import resource_id

    children = {}
    for level, (child_type, name) in enumerate(zip(("images", "versions"), names[1:], strict=False), start=1):
        children[f"child_type_{level}"] = child_type
        children[f"child_name_{level}"] = name
    return resource_id(
        subscription=subscription_id,
        resource_group=resource_group,
        namespace="Microsoft.Compute",
        type="galleries",
        name=names[0],
        **children,
    )


@dataclass(frozen=True)
class Gallery:
    """A gallery as the manifests want it or as Azure has it."""

    subscription_id: str
    resource_group: str
    name: str
    location: str
    description: str | None = None
    tags: m.Tags = ()
    soft_delete: bool | None = None
    """The soft-delete policy's isSoftDeleteEnabled; None = not managed."""
    cleared: frozenset[str] = frozenset()
    """Manifest keys written as null: there must be none (only `description` can be)."""
    origin: m.Origin | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def kind(self) -> GalleryKind:
        return GALLERY

    @property
    def address(self) -> str:
        return self.name

    @property
    def id(self) -> str:
        return gallery_id(self.subscription_id, self.resource_group, self.name)

    @property
    def parent_address(self) -> str | None:
        return None


class GalleryKind(ResourceKind):
    name = "gallery"
    depth = 0
    arm_type = "Microsoft.Compute/galleries"
    manifest_key = "galleries"
    list_segment = "providers/Microsoft.Compute/galleries"
    sdk_group = "galleries"
    model = Gallery

    def from_manifest(self, builder: Builder, node: Declared) -> Gallery:
        from reconciler.manifest.bundle import gallery_location

        return Gallery(
            subscription_id=builder.subscription,
            resource_group=builder.group(node),
            name=node.name,
            location=fold_region(gallery_location(node) or ""),
            description=node.props.get("description"),
            tags=builder.tags(node),
            soft_delete=node.props.get("softDelete"),
            cleared=builder.cleared(node),
            origin=builder.origin(node),
        )

    def fields(self, g: Gallery) -> dict[str, Field]:
        return {
            "location": Field(g.location, mutable=False),
            "description": Field(g.description, clear="description" in g.cleared),
            "softDeletePolicy.isSoftDeleteEnabled": Field(g.soft_delete),
        }

    def create_body(self, g: Gallery) -> aj.JSON:
        soft = {"isSoftDeleteEnabled": g.soft_delete} if g.soft_delete is not None else None
        return aj.drop_none(
            {
                "location": g.location,
                "tags": dict(g.tags),
                "properties": {"description": g.description, "softDeletePolicy": soft},
            }
        )

    def patch_body(self, desired: Gallery, live_body: aj.JSON) -> aj.JSON:
        props: aj.JSON = {}
        if desired.description is not None:
            props["description"] = desired.description
        if desired.soft_delete is not None:
            props["softDeletePolicy"] = {"isSoftDeleteEnabled": desired.soft_delete}
        return {"tags": dict(desired.tags), "properties": props}

    def put_update_body(self, desired: Gallery, live_body: aj.JSON) -> aj.JSON:
        """The whole gallery as desired; what the manifests leave unset (sharing, soft delete) kept as Azure has it."""
        body = self.create_body(desired)
        live_props = live_body.get("properties") or {}
        props = body.setdefault("properties", {})
        for key in ("softDeletePolicy", "sharingProfile"):
            if key not in props and key in live_props:
                props[key] = live_props[key]
        return body

    def to_manifest(self, g: Gallery, context: ExportContext) -> dict[str, Any]:
        """location (when not the scope's), description, softDelete (when on; Azure's default is off), tags."""
        out: dict[str, Any] = {}
        if g.location != context.inherited_location(g):
            out["location"] = g.location
        if g.description:
            out["description"] = g.description
        if g.soft_delete:
            out["softDelete"] = True
        if tags := manifest_tags(g.tags):
            out["tags"] = tags
        return out

    def from_arm(self, parent: tuple[str, str], body: aj.JSON) -> tuple[Gallery, aj.LiveInfo]:
        subscription_id, resource_group = parent
        props = body.get("properties") or {}
        soft = (props.get("softDeletePolicy") or {}).get("isSoftDeleteEnabled")
        gallery = Gallery(
            subscription_id=subscription_id,
            resource_group=resource_group,
            name=body["name"],
            location=fold_region(body.get("location", "")),
            description=props.get("description"),
            tags=aj.tags_of(body),
            soft_delete=aj.as_bool(soft),
        )
        return gallery, aj.live_info(body)

    def list_children(self, compute: Any, parent: tuple[str, str]) -> Any:
        return compute.galleries.list_by_resource_group(parent[1], **self.sdk_options)


GALLERY = GalleryKind()
