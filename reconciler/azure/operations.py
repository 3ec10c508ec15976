"""The SDK calls that carry out one step of a plan: create, update or delete one resource (any kind).

Bodies come from the resource's kind (pure); this module only sends them and returns azure-core's
pollers. Updates send the minimal change: PATCH with the mutable fields and, where the service
requires them in a PATCH, the immutable ones exactly as Azure already has them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.azure.session import Clients
from reconciler.core import arm_json as aj
from reconciler.core import model as m
from reconciler.core.digest import managed_digest
from reconciler.core.live_state import LiveResource
from reconciler.kinds import resource_group as rg


@dataclass
class CallRecord:
    """Request ids of the calls one step made, for the audit journal."""

    request_ids: list[str] = field(default_factory=list)
    retry_after: float | None = None
    """Seconds the service asked the client to wait before polling (`Retry-After` of the last answer)."""

    def hook(self, response: Any) -> None:
        http = getattr(response, "http_response", None)
        headers = getattr(http, "headers", {}) or {}
        rid = headers.get("x-ms-request-id") or headers.get("x-ms-correlation-request-id")
        if rid and rid not in self.request_ids:
            self.request_ids.append(rid)
        with contextlib.suppress(ValueError):  # an HTTP date or garbage: keep the interval we had
            self.retry_after = float(headers.get("Retry-After") or "") or self.retry_after


def _stamped(body: aj.JSON, resource: Any) -> aj.JSON:
    """The body with the digest of what is being applied, so later plans can tell drift from manifest edits."""
    body.setdefault("tags", {})[m.DIGEST_TAG] = managed_digest(resource)
    return body


async def create(clients: Clients, resource: Any, record: CallRecord) -> Any:
    """PUT the resource; returns the poller (not yet waited on)."""
    kind = resource.kind
    return await kind.operations(clients.compute).begin_create_or_update(
        *kind.sdk_names(resource),
        _stamped(kind.create_body(resource), resource),
        raw_response_hook=record.hook,
        **kind.sdk_options,
    )


async def update(clients: Clients, desired: Any, live: LiveResource, record: CallRecord) -> Any:
    """PATCH the resource with its kind's minimal body, or PUT it whole when a field must be cleared; the poller."""
    kind = desired.kind
    group = kind.operations(clients.compute)
    if kind.needs_put(desired, live.resource):
        body = kind.put_update_body(desired, live.info.body)
        return await group.begin_create_or_update(
            *kind.sdk_names(desired), _stamped(body, desired), raw_response_hook=record.hook, **kind.sdk_options
        )
    body = kind.patch_body(desired, live.info.body)
    return await group.begin_update(
        *kind.sdk_names(desired), _stamped(body, desired), raw_response_hook=record.hook, **kind.sdk_options
    )


async def delete(clients: Clients, resource: Any, record: CallRecord, *, bypass_soft_delete: bool = False) -> Any:
    """DELETE the resource; returns the poller. `bypass_soft_delete` (versions only, api-version 2026-03-03):
    deleted for good even where the gallery's soft delete would keep it in the recycle bin."""
    kind = resource.kind
    extra = {"bypass_soft_delete": True} if bypass_soft_delete else {}
    return await kind.operations(clients.compute).begin_delete(
        *kind.sdk_names(resource), raw_response_hook=record.hook, **extra, **kind.sdk_options
    )


async def share(clients: Clients, gallery: Any, operation: Any, record: CallRecord) -> Any:
    """POST the gallery's `/share` action (`kinds.gallery.ShareOperation`: Add, Remove, Reset, EnableCommunity).

    GallerySharingProfile_Update: a long-running operation (202, recorded); returns the poller.
    """
    kind = gallery.kind
    return await clients.compute.gallery_sharing_profile.begin_update(
        gallery.resource_group, gallery.name, operation.body(), raw_response_hook=record.hook, **kind.sdk_options
    )


async def restore(clients: Clients, version: Any, record: CallRecord) -> Any:
    """Restore a soft-deleted version: the PATCH with `properties.restore: true` that the pinned api-version
    documents (GalleryImageVersion_Update_RestoreSoftDeleted; `storageProfile` is required in a version PATCH).
    Azure brings the version back as it was deleted; returns the poller."""
    kind = version.kind
    body = {"properties": {"restore": True, "storageProfile": {}}}
    return await kind.operations(clients.compute).begin_update(
        *kind.sdk_names(version), body, raw_response_hook=record.hook, **kind.sdk_options
    )


async def create_resource_group(clients: Clients, group: m.ResourceGroup, record: CallRecord) -> None:
    """PUT a resource group the manifests ask for."""
    await rg.create(clients.resources, group, record.hook)


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
