"""The SDK calls that carry out one step of a plan: create, update or delete one resource.

Bodies come from `reconciler.wire` (pure); this module only sends them and waits as azure-core's
pollers say. Updates send the minimal change: PATCH with the mutable fields and, where the
service requires them in a PATCH, the immutable ones exactly as Azure already has them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler import bodies, wire
from reconciler import model as m
from reconciler.arm import Clients
from reconciler.fields import managed_digest
from reconciler.live_state import LiveResource


@dataclass
class CallRecord:
    """Request ids of the calls one step made, for the audit journal."""

    request_ids: list[str] = field(default_factory=list)

    def hook(self, response: Any) -> None:
        http = getattr(response, "http_response", None)
        headers = getattr(http, "headers", {}) or {}
        rid = headers.get("x-ms-request-id") or headers.get("x-ms-correlation-request-id")
        if rid and rid not in self.request_ids:
            self.request_ids.append(rid)


def _names(resource: m.Resource) -> tuple[str, ...]:
    if isinstance(resource, m.Gallery):
        return (resource.resource_group, resource.name)
    if isinstance(resource, m.ImageDefinition):
        return (resource.resource_group, resource.gallery, resource.name)
    return (resource.resource_group, resource.gallery, resource.definition, resource.name)


def _group(clients: Clients, resource: m.Resource) -> Any:
    if isinstance(resource, m.Gallery):
        return clients.compute.galleries
    if isinstance(resource, m.ImageDefinition):
        return clients.compute.gallery_images
    return clients.compute.gallery_image_versions


def _stamped(body: wire.JSON, resource: m.Resource) -> wire.JSON:
    """The body with the digest of what is being applied, so later plans can tell drift from manifest edits."""
    body.setdefault("tags", {})[m.DIGEST_TAG] = managed_digest(resource)
    return body


async def create(clients: Clients, resource: m.Resource, record: CallRecord) -> Any:
    """PUT the resource; returns the poller (not yet waited on)."""
    return await _group(clients, resource).begin_create_or_update(
        *_names(resource), _stamped(bodies.body_for(resource), resource), raw_response_hook=record.hook
    )


async def update(clients: Clients, desired: m.Resource, live: LiveResource, record: CallRecord) -> Any:
    if isinstance(desired, m.Gallery):
        body = bodies.gallery_patch_body(desired)
    elif isinstance(desired, m.ImageDefinition):
        body = bodies.definition_patch_body(desired, live.info.body)
    else:
        body = bodies.version_patch_body(desired, live.info.body)
    return await _group(clients, desired).begin_update(
        *_names(desired), _stamped(body, desired), raw_response_hook=record.hook
    )


async def delete(clients: Clients, resource: m.Resource, record: CallRecord) -> Any:
    return await _group(clients, resource).begin_delete(*_names(resource), raw_response_hook=record.hook)


async def create_resource_group(clients: Clients, name: str, location: str, record: CallRecord) -> None:
    await clients.resources.resource_groups.create_or_update(
        name, {"location": location}, raw_response_hook=record.hook
    )


async def retry_conflicts(
    call: Callable[[], Awaitable[Any]], *, deadline_s: float = 180.0, on_wait: Callable[[str], None] | None = None
) -> Any:
    """Retry a parent delete refused with 409 CannotDeleteResource right after its children went.

    ARM lags 10-20 s behind a child's deletion (API-FACTS §5.3); azure-core does not retry a 409
    without Retry-After, so this is the one retry the tool does itself.
    """
    from azure.core.exceptions import HttpResponseError

    start, delay = time.monotonic(), 1.0
    while True:
        try:
            return await call()
        except HttpResponseError as err:
            code = getattr(getattr(err, "error", None), "code", "")
            if err.status_code != 409 or code != "CannotDeleteResource" or time.monotonic() - start > deadline_s:
                raise
            if on_wait:
                on_wait("Azure still sees nested resources (it lags behind deletions); retrying")
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 10.0)
