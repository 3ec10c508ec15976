"""Read live state in bulk through azure-mgmt-compute: list, never GET one by one.

Requests grow with galleries and definitions, not versions: one list of galleries per resource
group, one list of definitions per gallery, one list of versions per definition, concurrently.
Only versions that are not `Succeeded` get a GET with `$expand=ReplicationStatus`, since ARM's
list does not carry replication status and a converged version has nothing to report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from reconciler import model as m
from reconciler import wire
from reconciler.arm import Clients
from reconciler.live_state import LiveResource, LiveState

T = TypeVar("T")
READ_CONCURRENCY = 16


def _body(obj: Any) -> wire.JSON:
    return obj.as_dict() if hasattr(obj, "as_dict") else dict(obj)


async def _collect(pager: Any) -> list[wire.JSON]:
    return [_body(item) async for item in pager]


class _Reader:
    def __init__(self, clients: Clients, concurrency: int) -> None:
        self.compute = clients.compute
        self.sem = asyncio.Semaphore(concurrency)
        self.found: dict[str, LiveResource] = {}

    async def limited(self, call: Callable[[], Awaitable[T]]) -> T:
        async with self.sem:
            return await call()

    def keep(self, resource: m.Resource, info: wire.LiveInfo) -> None:
        self.found[m.resource_key(resource.address)] = LiveResource(resource, info)

    async def group(self, subscription: str, group: str) -> bool:
        """Read one resource group's galleries and all below; False when the group does not exist."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            galleries = await self.limited(lambda: _collect(self.compute.galleries.list_by_resource_group(group)))
        except ResourceNotFoundError as err:
            if getattr(getattr(err, "error", None), "code", "") == "ResourceGroupNotFound":
                return False
            raise
        await asyncio.gather(*(self.gallery(subscription, group, body) for body in galleries))
        return True

    async def gallery(self, subscription: str, group: str, body: wire.JSON) -> None:
        gallery, info = wire.gallery_from_wire(subscription, group, body)
        self.keep(gallery, info)
        definitions = await self.limited(
            lambda: _collect(self.compute.gallery_images.list_by_gallery(group, gallery.name))
        )
        await asyncio.gather(*(self.definition(subscription, group, gallery.name, d) for d in definitions))

    async def definition(self, subscription: str, group: str, gallery: str, body: wire.JSON) -> None:
        definition, info = wire.definition_from_wire(subscription, group, gallery, body)
        self.keep(definition, info)
        versions = await self.limited(
            lambda: _collect(self.compute.gallery_image_versions.list_by_gallery_image(group, gallery, definition.name))
        )
        await asyncio.gather(*(self.version(subscription, group, gallery, definition.name, v) for v in versions))

    async def version(self, subscription: str, group: str, gallery: str, definition: str, body: wire.JSON) -> None:
        state = ((body.get("properties") or {}).get("provisioningState") or "").lower()
        if state != "succeeded":
            name = body["name"]
            full = await self.limited(
                lambda: self.compute.gallery_image_versions.get(
                    group, gallery, definition, name, expand="ReplicationStatus"
                )
            )
            body = _body(full)
        version, info = wire.version_from_wire(subscription, group, gallery, definition, body)
        self.keep(version, info)


async def read_live(clients: Clients, desired: m.DesiredState, *, concurrency: int = READ_CONCURRENCY) -> LiveState:
    """Everything in the resource groups the manifests cover, including what they do not mention."""
    reader = _Reader(clients, concurrency)
    groups = sorted({(g.subscription_id, g.name.lower()): g for g in desired.resource_groups}.items())
    exists = await asyncio.gather(*(reader.group(g.subscription_id, g.name) for _, g in groups))
    elsewhere: dict[str, str] = {}
    if any(m.resource_key(g.address) not in reader.found for g in desired.galleries):
        # A gallery about to be created: its name must be free in the whole subscription. One list,
        # made only then, so a no-change plan stays at one request per group, gallery and definition.
        ours = {key for key, _ in groups}
        async for item in clients.compute.galleries.list():
            body = _body(item)
            sub, group, _ = wire.parse_resource_id(body.get("id", ""))
            if (sub, group.lower()) not in ours:
                elsewhere[body["name"].lower()] = body["id"]
    return LiveState(
        resources=reader.found,
        resource_groups={key: ok for (key, _), ok in zip(groups, exists, strict=True)},
        gallery_names_elsewhere=elsewhere,
    )


async def read_version_status(clients: Clients, version: m.ImageVersion) -> LiveResource | None:
    """One version with its replication status; None when it does not exist."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        body = await clients.compute.gallery_image_versions.get(
            version.resource_group, version.gallery, version.definition, version.name, expand="ReplicationStatus"
        )
    except ResourceNotFoundError:
        return None
    resource, info = wire.version_from_wire(
        version.subscription_id, version.resource_group, version.gallery, version.definition, _body(body)
    )
    return LiveResource(resource, info)
