"""Read the recycle bins a plan needs: soft-deleted versions of definitions in galleries with soft delete on.

`GET …/galleries/{g}/softdeletedartifacttypes/Images/artifacts/{definition}/versions` (api-version 2026-03-03,
SoftDeletedResource_ListByArtifactName; recorded in test_gallery_soft_delete_policy_and_recycle_bin.yaml) lists
them with `softDeletedTime`, `consumptionEndTime` and `hardDeletionTargetTime`. One list per definition, made only
where the answer can change the plan: a definition of a gallery whose soft delete is on, and either the manifests
want a version of it that Azure does not have (it may be restored rather than created), or the plan may delete
the definition or its gallery (Azure does not delete one that holds soft-deleted versions). A plan without such
definitions reads nothing more.
"""

from __future__ import annotations

import asyncio
from typing import Any

from reconciler.azure.reads import READ_CONCURRENCY, list_json
from reconciler.azure.session import Clients
from reconciler.core import arm_json as aj
from reconciler.core import model as m
from reconciler.core.api import GALLERY_API_VERSION
from reconciler.core.live_state import LiveState, SoftDeletedVersion
from reconciler.kinds import IMAGE_DEFINITION
from reconciler.kinds.gallery import gallery_id


def definitions_to_read(desired: m.DesiredState, live: LiveState) -> list[Any]:
    """The live definitions whose recycle bin can change the plan (see the module's docstring)."""
    wanted = desired.by_key()
    missing = {
        m.resource_key(v.parent_address or "")
        for v in desired.versions
        if m.resource_key(v.address) not in live.resources
    }
    out = []
    for key, item in sorted(live.resources.items()):
        definition = item.resource
        if definition.kind is not IMAGE_DEFINITION:
            continue
        gallery = live.resources.get(m.resource_key(definition.gallery))
        if gallery is None or not gallery.resource.soft_delete:
            continue
        dropped = key not in wanted or m.resource_key(definition.gallery) not in wanted
        if key in missing or dropped:
            out.append(definition)
    return out


def _entry(definition: Any, body: aj.JSON) -> SoftDeletedVersion:
    props = body.get("properties") or {}
    return SoftDeletedVersion(
        address=f"{definition.gallery}/{definition.name}/{body['name']}",
        id=props.get("resourceArmId") or body.get("id", ""),
        soft_deleted_time=aj.parse_datetime(props.get("softDeletedTime")),
        consumption_end_time=aj.parse_datetime(props.get("consumptionEndTime")),
        hard_deletion_time=aj.parse_datetime(props.get("hardDeletionTargetTime")),
    )


async def read_recycle_bin(
    clients: Clients, desired: m.DesiredState, live: LiveState, *, concurrency: int = READ_CONCURRENCY
) -> dict[str, SoftDeletedVersion]:
    """Soft-deleted versions by `model.resource_key(address)`, for `definitions_to_read`.

    A 400 for one definition (the spec's pattern for artifact names has no '-' or '.', which definition names may
    have; not recorded) leaves that bin unread rather than failing the plan; other errors propagate.
    """
    from azure.core.exceptions import HttpResponseError

    sem = asyncio.Semaphore(concurrency)

    async def one(definition: Any) -> list[SoftDeletedVersion]:
        # SoftDeletedResource_ListByArtifactName, read as JSON through the session's pipeline like every list
        gallery = gallery_id(definition.subscription_id, definition.resource_group, definition.gallery)
        url = (
            f"{gallery}/softdeletedartifacttypes/Images/artifacts/{definition.name}/versions"
            f"?api-version={GALLERY_API_VERSION}"
        )
        async with sem:
            try:
                items = await list_json(clients.arm, url, f"the recycle bin of {definition.address}")
            except HttpResponseError as err:
                if err.status_code == 400:
                    return []
                raise
        return [_entry(definition, item) for item in items]

    found = await asyncio.gather(*(one(d) for d in definitions_to_read(desired, live)))
    return {m.resource_key(v.address): v for entries in found for v in entries}
