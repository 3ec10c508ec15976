"""Small builders of model resources and live state for the diff and plan unit tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reconciler import kinds as k
from reconciler.core import arm_json as wire
from reconciler.core import model as m
from reconciler.core.digest import managed_digest
from reconciler.core.live_state import LiveResource, LiveState
from reconciler.kinds.image_definition import Identifier
from reconciler.kinds.image_version import TargetRegion

SUB = "11111111-1111-1111-1111-111111111111"
RG = "images-rg"
OWNED = (m.OWNERSHIP_TAG,)


def gallery(name: str = "gal", **kw: Any) -> k.Gallery:
    return k.Gallery(
        **{"subscription_id": SUB, "resource_group": RG, "name": name, "location": "westeurope", "tags": OWNED, **kw}
    )


def definition(name: str = "ubuntu", gallery_name: str = "gal", **kw: Any) -> k.ImageDefinition:
    base: dict[str, Any] = {
        "subscription_id": SUB,
        "resource_group": RG,
        "gallery": gallery_name,
        "name": name,
        "location": "westeurope",
        "identifier": Identifier("acme", "ubuntu", name),
        "os_type": "Linux",
        "os_state": "Generalized",
        "tags": OWNED,
    }
    return k.ImageDefinition(**{**base, **kw})


def region(name: str, replicas: int | None = None, storage: str | None = None) -> TargetRegion:
    return TargetRegion(name=name, replica_count=replicas, storage_account_type=storage)


def version(
    name: str = "1.0.0", definition_name: str = "ubuntu", gallery_name: str = "gal", **kw: Any
) -> k.ImageVersion:
    base: dict[str, Any] = {
        "subscription_id": SUB,
        "resource_group": RG,
        "gallery": gallery_name,
        "definition": definition_name,
        "name": name,
        "location": "westeurope",
        "source": m.Source(
            m.SourceKind.MANAGED_IMAGE,
            id=f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/images/base",
        ),
        "target_regions": (region("westeurope"),),
        "tags": OWNED,
    }
    return k.ImageVersion(**{**base, **kw})


_SELF = object()


def as_live(
    resource: Any,
    *,
    state: str = "Succeeded",
    replication: tuple[wire.RegionReplication, ...] = (),
    applied: Any = _SELF,
) -> LiveResource:
    """The resource as Azure would report it: through its ARM body and back, with server defaults filled in.

    `applied` is what the tool last applied (its digest tag): by default the resource itself when it carries
    the ownership tag; pass another resource to simulate a change made outside the tool, or None for none.
    """
    body = resource.kind.create_body(resource)
    body["name"] = resource.name
    if applied is _SELF:
        applied = resource if m.OWNERSHIP_TAG in resource.tags else None
    if applied is not None:
        body.setdefault("tags", {})[m.DIGEST_TAG] = managed_digest(applied)
    body.setdefault("properties", {})["provisioningState"] = state
    if resource.kind is k.IMAGE_VERSION:
        pub = body["properties"]["publishingProfile"]
        pub.setdefault("replicaCount", 1)
        pub.setdefault("storageAccountType", "Standard_LRS")
        pub.setdefault("excludeFromLatest", False)
        for r in pub["targetRegions"]:
            r.setdefault("regionalReplicaCount", pub["replicaCount"])
            r.setdefault("storageAccountType", pub["storageAccountType"])
        parsed, info = k.IMAGE_VERSION.from_arm(_parent(resource), body)
        info = replace(info, replication=replication)
    elif resource.kind is k.IMAGE_DEFINITION:
        body["properties"].setdefault("hyperVGeneration", "V1")
        body["properties"].setdefault("architecture", "x64")
        parsed, info = k.IMAGE_DEFINITION.from_arm(_parent(resource), body)
    else:
        parsed, info = k.GALLERY.from_arm((resource.subscription_id, resource.resource_group), body)
    return LiveResource(parsed, info)


def _parent(resource: Any) -> Any:
    """The parent model resource `from_arm` reads a child under."""
    if resource.kind is k.IMAGE_VERSION:
        return definition(resource.definition, resource.gallery)
    return gallery(resource.gallery)


def live_state(*items: LiveResource) -> LiveState:
    return LiveState(resources={m.resource_key(i.address): i for i in items}, resource_groups={(SUB, RG.lower()): True})


def desired_state(*resources: Any, policy: m.Policy | None = None) -> m.DesiredState:
    return m.desired_state(resources, (m.ResourceGroup(SUB, RG, "westeurope"),), policy)
