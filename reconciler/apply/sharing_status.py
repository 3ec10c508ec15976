"""Consumer-side sharing check for `reconcile status`: is each shared gallery visible where it should be?

Where a gallery should be visible: its own region and every target region of its versions in the manifests
(consumers create VMs from a replica in their region). How it is checked, per region:
- community galleries: `GET …/locations/{region}/communityGalleries/{publicName}` (CommunityGalleries_Get), which
  any subscription may read, so the owner's credentials do (recorded: test_community_gallery_operations.yaml);
- direct shares (permissions Groups): `GET …/locations/{region}/sharedGalleries` (SharedGalleries_List, and with
  `sharedTo=tenant` for tenant shares) lists what is shared *with the subscription in the path*, so it needs a
  consumer subscription (`--consumer-subscription`) and credentials that can read it; without one the check is
  skipped and says so (recorded: test_shared_gallery.yaml, where the owner shared with its own subscription).
Private galleries and galleries whose sharing the manifests do not manage are not checked.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from reconciler.core import model as m
from reconciler.kinds import GALLERY
from reconciler.kinds.gallery import COMMUNITY, GROUPS

NOT_CHECKED = "not checked: a direct share is seen from a consumer; pass --consumer-subscription ID"


def _regions(desired: m.DesiredState, gallery: Any) -> list[str]:
    found = {gallery.location}
    prefix = m.resource_key(gallery.address) + "/"
    for version in desired.versions:
        if m.resource_key(version.address).startswith(prefix):
            found.update(r.name for r in version.target_regions)
    return sorted(r for r in found if r)


def _row(gallery: Any, region: str | None, consumer: str, visible: bool | None, detail: str = "") -> dict[str, Any]:
    return {
        "gallery": gallery.address,
        "permissions": gallery.sharing.permissions,
        "region": region,
        "consumer": consumer,
        "visible": visible,
        "detail": detail,
    }


async def _community(clients: Any, desired: m.DesiredState, gallery: Any) -> list[dict[str, Any]]:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        live = await clients.compute.galleries.get(gallery.resource_group, gallery.name, **GALLERY.sdk_options)
    except ResourceNotFoundError:
        return [_row(gallery, None, "community", False, "the gallery does not exist")]
    info = live.sharing_profile.community_gallery_info if live.sharing_profile else None
    names = list(info.public_names or []) if info else []
    if not info or not info.community_gallery_enabled or not names:
        return [_row(gallery, None, "community", False, "community sharing is not enabled")]

    async def one(region: str) -> dict[str, Any]:
        try:
            await clients.compute.community_galleries.get(region, names[0], **GALLERY.sdk_options)
        except ResourceNotFoundError:
            return _row(gallery, region, "community", False, f"{names[0]} is not visible here")
        return _row(gallery, region, "community", True, names[0])

    return list(await asyncio.gather(*(one(r) for r in _regions(desired, gallery))))


async def _unique_name(clients: Any, gallery: Any) -> str | None:
    """The name a consumer sees (`identifier.uniqueName`, "{subscription}-{GALLERYNAME}"), as Azure reports it."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        live = await clients.compute.galleries.get(gallery.resource_group, gallery.name, **GALLERY.sdk_options)
    except ResourceNotFoundError:
        return None
    return live.identifier.unique_name if live.identifier else None


async def _direct(
    consumer: Any, subscription: str, desired: m.DesiredState, gallery: Any, unique: str | None
) -> list[dict[str, Any]]:
    if unique is None:
        return [_row(gallery, None, subscription, False, "the gallery does not exist")]

    async def names(region: str, shared_to: str | None) -> set[str]:
        extra = {"shared_to": shared_to} if shared_to else {}
        pager = consumer.compute.shared_galleries.list(region, **extra, **GALLERY.sdk_options)
        return {item.name.lower() async for item in pager}

    async def one(region: str) -> dict[str, Any]:
        seen = (await names(region, None)) | (await names(region, "tenant"))
        return _row(gallery, region, subscription, unique.lower() in seen, unique)

    return list(await asyncio.gather(*(one(r) for r in _regions(desired, gallery))))


async def collect_sharing(desired: m.DesiredState, target: Any, consumer_subscription: str | None) -> list[dict]:
    """One row per shared gallery and region: {gallery, permissions, region, consumer, visible, detail}.

    `visible` is None where nothing was checked (a direct share without a consumer subscription).
    """
    from reconciler.azure.session import ArmSession

    shared = [g for g in desired.galleries if g.sharing is not None and g.sharing.permissions in (GROUPS, COMMUNITY)]
    if not shared:
        return []
    rows: list[dict[str, Any]] = []
    unique: dict[str, str | None] = {}
    async with ArmSession(target) as clients:
        for gallery in shared:
            if gallery.sharing.permissions == COMMUNITY:
                rows += await _community(clients, desired, gallery)
            elif consumer_subscription is None:
                rows.append(_row(gallery, None, "", None, NOT_CHECKED))
            else:
                unique[gallery.address] = await _unique_name(clients, gallery)
    if unique and consumer_subscription:
        async with ArmSession(dataclasses.replace(target, subscription_id=consumer_subscription)) as consumer:
            for gallery in shared:
                if gallery.address in unique:
                    rows += await _direct(consumer, consumer_subscription, desired, gallery, unique[gallery.address])
    return rows
