"""Small builders of model resources and live state for the diff and plan unit tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reconciler import bodies, wire
from reconciler import model as m
from reconciler.fields import managed_digest
from reconciler.live_state import LiveResource, LiveState

SUB = "11111111-1111-1111-1111-111111111111"
RG = "images-rg"
OWNED = (m.OWNERSHIP_TAG,)


def gallery(name: str = "gal", **kw: Any) -> m.Gallery:
    return m.Gallery(
        **{"subscription_id": SUB, "resource_group": RG, "name": name, "location": "westeurope", "tags": OWNED, **kw}
    )


def definition(name: str = "ubuntu", gallery_name: str = "gal", **kw: Any) -> m.ImageDefinition:
    base: dict[str, Any] = {
        "subscription_id": SUB,
        "resource_group": RG,
        "gallery": gallery_name,
        "name": name,
        "location": "westeurope",
        "identifier": m.Identifier("acme", "ubuntu", name),
        "os_type": "Linux",
        "os_state": "Generalized",
        "tags": OWNED,
    }
    return m.ImageDefinition(**{**base, **kw})


def region(name: str, replicas: int | None = None, storage: str | None = None) -> m.TargetRegion:
    return m.TargetRegion(name=name, replica_count=replicas, storage_account_type=storage)


def version(
    name: str = "1.0.0", definition_name: str = "ubuntu", gallery_name: str = "gal", **kw: Any
) -> m.ImageVersion:
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
    return m.ImageVersion(**{**base, **kw})


_SELF = object()


def as_live(
    resource: m.Resource,
    *,
    state: str = "Succeeded",
    replication: tuple[wire.RegionReplication, ...] = (),
    applied: Any = _SELF,
) -> LiveResource:
    """The resource as Azure would report it: through its ARM body and back, with server defaults filled in.

    `applied` is what the tool last applied (its digest tag): by default the resource itself when it carries
    the ownership tag; pass another resource to simulate a change made outside the tool, or None for none.
    """
    body = bodies.body_for(resource)
    body["name"] = resource.name
    if applied is _SELF:
        applied = resource if m.OWNERSHIP_TAG in resource.tags else None
    if applied is not None:
        body.setdefault("tags", {})[m.DIGEST_TAG] = managed_digest(applied)
    body.setdefault("properties", {})["provisioningState"] = state
    if isinstance(resource, m.ImageVersion):
        pub = body["properties"]["publishingProfile"]
        pub.setdefault("replicaCount", 1)
        pub.setdefault("storageAccountType", "Standard_LRS")
        pub.setdefault("excludeFromLatest", False)
        for r in pub["targetRegions"]:
            r.setdefault("regionalReplicaCount", pub["replicaCount"])
            r.setdefault("storageAccountType", pub["storageAccountType"])
        parsed, info = wire.version_from_wire(
            resource.subscription_id, resource.resource_group, resource.gallery, resource.definition, body
        )
        info = replace(info, replication=replication)
    elif isinstance(resource, m.ImageDefinition):
        body["properties"].setdefault("hyperVGeneration", "V1")
        body["properties"].setdefault("architecture", "x64")
        parsed, info = wire.definition_from_wire(
            resource.subscription_id, resource.resource_group, resource.gallery, body
        )
    else:
        parsed, info = wire.gallery_from_wire(resource.subscription_id, resource.resource_group, body)
    return LiveResource(parsed, info)


def live_state(*items: LiveResource) -> LiveState:
    return LiveState(resources={m.resource_key(i.address): i for i in items}, resource_groups={(SUB, RG.lower()): True})


def desired_state(*resources: m.Resource, policy: m.Policy | None = None) -> m.DesiredState:
    return m.DesiredState(
        resource_groups=(m.ResourceGroup(SUB, RG, "westeurope"),),
        galleries=tuple(r for r in resources if isinstance(r, m.Gallery)),
        definitions=tuple(r for r in resources if isinstance(r, m.ImageDefinition)),
        versions=tuple(r for r in resources if isinstance(r, m.ImageVersion)),
        policy=policy or m.Policy(),
    )
