"""Read live state in bulk through azure-mgmt-compute: list, never GET one by one.

Requests grow with the resources that have children, not with the leaves: for each kind in
`reconciler.kinds` order, one list per parent (galleries per resource group, definitions per
gallery, versions per definition), concurrently. Only items a kind says are incomplete in a list
(versions not yet `Succeeded`, whose replication status only a GET returns) are read one by one.

Paging is azure-core's, watched: a `nextLink` seen twice in one list, or more than `MAX_PAGES` pages, is
a `PagingLoop` error (a self-referencing `nextLink` would otherwise be followed forever). Replication
details, which Azure words freely and may quote a source URI in, are redacted as they are read.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from reconciler.azure.errors import MalformedResponse, PagingLoop
from reconciler.azure.session import Clients
from reconciler.core import arm_json as aj
from reconciler.core import model as m
from reconciler.core.api import GALLERY_API_VERSION
from reconciler.core.live_state import LiveResource, LiveState
from reconciler.core.redact import redact_text
from reconciler.kinds import GALLERY, IMAGE_VERSION, ResourceKind

T = TypeVar("T")
READ_CONCURRENCY = 100
"""Lists in flight at once: a whole level of an estate of 100 definitions in one wave, within ARM's
burst of 250 reads per subscription (token bucket, API-FACTS §8); the session keeps as many connections."""
MAX_PAGES = 1000
"""Pages of one list beyond which it is an error. Far above any real list: Azure allows 100 galleries,
1,000 image definitions and 10,000 image versions per subscription and region (Azure Compute Gallery,
"Scaling"), and ARM's pages hold many items each."""


def as_json(obj: Any) -> aj.JSON:
    """An SDK model (or a mapping) as the ARM JSON body."""
    return obj.as_dict() if hasattr(obj, "as_dict") else dict(obj)


def _where(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


async def collect(pager: Any, what: str, max_pages: int | None = None) -> list[aj.JSON]:
    """Every item of an azure-core pager, as ARM JSON; `what` names the list in errors ("the gallery list of ...").

    Raises `PagingLoop` when a `nextLink` comes back a second time or the list runs past `max_pages`
    (default `MAX_PAGES`) pages.
    """
    limit = max_pages if max_pages is not None else MAX_PAGES
    pages = pager.by_page()
    seen: set[str] = set()
    items: list[aj.JSON] = []
    count = 0
    async for page in pages:
        count += 1
        items.extend([as_json(item) async for item in page])
        link = pages.continuation_token
        if not link:
            continue
        if link in seen:
            raise PagingLoop(
                f"{what}: Azure returned the same nextLink ({_where(link)}) twice, so its paging "
                f"loops; the read stopped after {count} pages"
            )
        if count >= limit:
            raise PagingLoop(
                f"{what} goes on past {limit} pages (next: {_where(link)}), more than any "
                "real list has; the read stopped"
            )
        seen.add(link)
    return items


async def list_json(client: Any, url: str, what: str, max_pages: int | None = None) -> list[aj.JSON]:
    """Every item of an ARM list, read as JSON through the client's own pipeline (`send_request`: its
    credential, retries, deadline and endpoint policies) without building SDK model objects, which cost
    50 times the JSON parse per version.

    Follows `nextLink` like azure-core's pager, with the same guards as `collect`: a link seen twice or more
    than `max_pages` pages is a `PagingLoop`. Raises azure-core's errors for a refused request (404 as
    ResourceNotFoundError, with ARM's error code), and `MalformedResponse` for a body that is not an ARM
    list (an HTML page, a list without `value`).
    """
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceNotFoundError,
        map_error,
    )
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat

    limit = max_pages if max_pages is not None else MAX_PAGES
    seen: set[str] = set()
    items: list[aj.JSON] = []
    count = 0
    link: str | None = url
    while link:
        response = await client.send_request(HttpRequest("GET", link))
        count += 1
        if response.status_code != 200:
            await response.read()
            errors = {401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError}
            map_error(response.status_code, response, errors)
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        page = parse_json_body(await response.read(), response.headers.get("content-type", ""), what)
        values = page.get("value") if isinstance(page, dict) else None
        if not isinstance(values, list):
            raise MalformedResponse(f"{what}: Azure's answer has no list of items ('value'), so nothing was read")
        items.extend(values)
        link = page.get("nextLink") or None
        if not link:
            break
        if link in seen:
            raise PagingLoop(
                f"{what}: Azure returned the same nextLink ({_where(link)}) twice, so its paging "
                f"loops; the read stopped after {count} pages"
            )
        if count >= limit:
            raise PagingLoop(
                f"{what} goes on past {limit} pages (next: {_where(link)}), more than any "
                "real list has; the read stopped"
            )
        seen.add(link)
    return items


async def get_json(client: Any, url: str, what: str) -> aj.JSON:
    """One ARM resource as JSON through the client's pipeline (errors as `list_json`)."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError, map_error
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat

    response = await client.send_request(HttpRequest("GET", url))
    raw = await response.read()
    if response.status_code != 200:
        map_error(response.status_code, response, {401: ClientAuthenticationError, 404: ResourceNotFoundError})
        raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    body = parse_json_body(raw, response.headers.get("content-type", ""), what)
    if not isinstance(body, dict):
        raise MalformedResponse(f"{what}: Azure's answer is not a resource, so nothing was read")
    return body


def parse_json_body(raw: bytes, content_type: str, what: str) -> Any:
    """A response body as JSON; a page that is not JSON (a captive portal's HTML) is a `MalformedResponse`."""
    import json

    try:
        return json.loads(raw)
    except ValueError as err:
        kind = "an HTML page" if "html" in content_type.lower() or raw.lstrip()[:1] == b"<" else "not JSON"
        raise MalformedResponse(
            f"{what}: the answer was {kind}, not Azure's JSON (a proxy or captive portal in the way?); "
            "nothing was read"
        ) from err


def _describe(kind: ResourceKind, parent: Any) -> str:
    if isinstance(parent, tuple):  # (subscription, resource group)
        return f"the {kind.name} list of resource group {parent[1]}"
    return f"the {kind.name} list of {parent.address}"


def _display_safe(info: aj.LiveInfo) -> aj.LiveInfo:
    """Replication details redacted (shown by plan, apply and status; never sent back to Azure)."""
    if not any(r.details for r in info.replication):
        return info
    regions = tuple(dataclasses.replace(r, details=redact_text(r.details)) for r in info.replication)
    return dataclasses.replace(info, replication=regions)


class _Reader:
    def __init__(self, clients: Clients, concurrency: int) -> None:
        self.arm = clients.arm
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
        bodies = await self.limited(lambda: list_json(self.arm, kind.list_url(parent), _describe(kind, parent)))
        await asyncio.gather(*(self.item(kind, parent, body) for body in bodies))

    async def item(self, kind: ResourceKind, parent: Any, body: aj.JSON) -> None:
        resource, info = kind.from_arm(parent, body)
        if kind.needs_full_read(body):
            expand = f"$expand={kind.full_read_expand}&" if kind.full_read_expand else ""
            url = f"{resource.id}?{expand}api-version={GALLERY_API_VERSION}"
            full = await self.limited(lambda: get_json(self.arm, url, f"{kind.name} {resource.address}"))
            resource, info = kind.from_arm(parent, full)
        self.found[m.resource_key(resource.address)] = LiveResource(resource, _display_safe(info))
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
        url = f"/subscriptions/{groups[0][1].subscription_id if groups else ''}/providers/Microsoft.Compute/galleries"
        url += f"?api-version={GALLERY_API_VERSION}"
        for body in await list_json(clients.arm, url, "the gallery list of the subscription"):
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

    from reconciler.kinds.gallery import gallery_id

    rid = gallery_id(version.subscription_id, version.resource_group, version.gallery, version.definition, version.name)
    url = f"{rid}?$expand=ReplicationStatus&api-version={GALLERY_API_VERSION}"
    try:
        body = await get_json(clients.arm, url, f"version {version.gallery}/{version.definition}/{version.name}")
    except ResourceNotFoundError:
        return None
    parent = SimpleNamespace(
        subscription_id=version.subscription_id,
        resource_group=version.resource_group,
        gallery=version.gallery,
        name=version.definition,
    )
    found, info = IMAGE_VERSION.from_arm(parent, body)
    return LiveResource(found, _display_safe(info))


async def read_group(
    clients: Clients, subscription: str, group: str, galleries: set[str] | None = None
) -> tuple[dict[str, LiveResource], list[str]] | None:
    """For `reconcile export` (no desired state): the galleries of one resource group named in `galleries`
    (lower-cased; None: all) and everything below them, with the bulk reads of `read_live`; also the names of
    every gallery in the group. None when the group does not exist."""
    from azure.core.exceptions import ResourceNotFoundError

    reader, parent = _Reader(clients, READ_CONCURRENCY), (subscription, group)
    try:
        bodies = await list_json(reader.arm, GALLERY.list_url(parent), _describe(GALLERY, parent))
    except ResourceNotFoundError as err:
        if getattr(getattr(err, "error", None), "code", "") == "ResourceGroupNotFound":
            return None
        raise
    chosen = [b for b in bodies if galleries is None or str(b.get("name", "")).lower() in galleries]
    await asyncio.gather(*(reader.item(GALLERY, parent, body) for body in chosen))
    return reader.found, sorted(str(b.get("name", "")) for b in bodies)
