"""Read live state in bulk through azure-mgmt-compute: list, never GET one by one.

Requests grow with the resources that have children, not with the leaves: for each kind in
`reconciler.kinds` order, one list per parent (galleries per resource group, definitions per
gallery, versions per definition), concurrently. Only items a kind says are incomplete in a list
(versions not yet `Succeeded`, whose replication status only a GET returns) are read one by one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from reconciler.azure.session import Clients
from reconciler.core import arm_json as aj
from reconciler.core import model as m
from reconciler.core.live_state import LiveResource, LiveState
from reconciler.kinds import GALLERY, IMAGE_VERSION, ResourceKind

T = TypeVar("T")
READ_CONCURRENCY = 16


def as_json(obj: Any) -> aj.JSON:
    """An SDK model (or a mapping) as the ARM JSON body."""
    return obj.as_dict() if hasattr(obj, "as_dict") else dict(obj)


async def _collect(pager: Any) -> list[aj.JSON]:
    return [as_json(item) async for item in pager]


class _Reader:
    def __init__(self, clients: Clients, concurrency: int) -> None:
        self.compute = clients.compute
        self.sem = asyncio.Semaphore(concurrency)
        self.found: dict[str, LiveResource] = {}

    async def limited(self, call: Callable[[], Awaitable[T]]) -> T:
        async with self.sem:
            return await call()

    async def group(self, subscription: str, group: str) -> bool:
        """Read one resource group's galleries and all below; False when the group does not exist."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            await self.level(GALLERY, (subscription, group))
        except ResourceNotFoundError as err:
            if getattr(getattr(err, "error", None), "code", "") == "ResourceGroupNotFound":
                return False
            raise
        return True

    async def level(self, kind: ResourceKind, parent: Any) -> None:
        """List `kind` under `parent`, keep each item, and descend to the next kind."""
        bodies = await self.limited(lambda: _collect(kind.list_children(self.compute, parent)))
        await asyncio.gather(*(self.item(kind, parent, body) for body in bodies))

    async def item(self, kind: ResourceKind, parent: Any, body: aj.JSON) -> None:
        resource, info = kind.from_arm(parent, body)
        if kind.needs_full_read(body):
            full = await self.limited(lambda: kind.get_full(self.compute, resource))
            resource, info = kind.from_arm(parent, as_json(full))
        self.found[m.resource_key(resource.address)] = LiveResource(resource, info)
        if kind.child is not None:
            await self.level(kind.child, resource)


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
        async for item in clients.compute.galleries.list(**GALLERY.sdk_options):
            body = as_json(item)
            sub, group = aj.id_parts(body.get("id", ""))
            if (sub, group.lower()) not in ours:
                elsewhere[body["name"].lower()] = body["id"]
    return LiveState(
        resources=reader.found,
        resource_groups={key: ok for (key, _), ok in zip(groups, exists, strict=True)},
        gallery_names_elsewhere=elsewhere,
    )


async def read_version(clients: Clients, version: Any) -> LiveResource | None:
    """One image version with its replication status, as Azure has it now; None when it does not exist."""
    from types import SimpleNamespace

    from azure.core.exceptions import ResourceNotFoundError

    try:
        body = await IMAGE_VERSION.get_full(clients.compute, version)
    except ResourceNotFoundError:
        return None
    parent = SimpleNamespace(
        subscription_id=version.subscription_id,
        resource_group=version.resource_group,
        gallery=version.gallery,
        name=version.definition,
    )
    found, info = IMAGE_VERSION.from_arm(parent, as_json(body))
    return LiveResource(found, info)


async def read_group(
    clients: Clients, subscription: str, group: str, galleries: set[str] | None = None
) -> tuple[dict[str, LiveResource], list[str]] | None:
    """For `reconcile export` (no desired state): the galleries of one resource group named in `galleries`
    (lower-cased; None: all) and everything below them, with the bulk reads of `read_live`; also the names of
    every gallery in the group. None when the group does not exist."""
    from azure.core.exceptions import ResourceNotFoundError

    reader, parent = _Reader(clients, READ_CONCURRENCY), (subscription, group)
    try:
        bodies = await reader.limited(lambda: _collect(GALLERY.list_children(reader.compute, parent)))
    except ResourceNotFoundError as err:
        if getattr(getattr(err, "error", None), "code", "") == "ResourceGroupNotFound":
            return None
        raise
    chosen = [b for b in bodies if galleries is None or str(b.get("name", "")).lower() in galleries]
    await asyncio.gather(*(reader.item(GALLERY, parent, body) for body in chosen))
    return reader.found, sorted(str(b.get("name", "")) for b in bodies)
