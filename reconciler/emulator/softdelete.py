"""Soft delete: the gallery's policy, the recycle bin of deleted image versions, its listing, restore and purge.

As recorded (recordings/azure-cli/test_gallery_soft_delete.yaml at 2021-10-01/2022-03-03 and
test_gallery_soft_delete_policy_and_recycle_bin.yaml at 2026-03-03, API-FACTS §12):
- with `softDeletePolicy.isSoftDeleteEnabled`, deleting a version (202, both LRO headers) puts it in the recycle
  bin, whatever the api-version of the delete; `?bypassSoftDelete=true` (2026-03-03) deletes it for good;
- `GET …/galleries/{g}/softdeletedartifacttypes/Images/artifacts/{image}/versions` lists the bin: type
  `Microsoft.Compute/galleries/softDeletedArtifactTypes/artifacts/versions`, `resourceArmId`, `softDeletedTime`
  (when the delete started), `softDeletedArtifactType: Images`, `consumptionEndTime` (+ retention period) and
  `hardDeletionTargetTime` (+ grace period);
- a PUT of the deleted version's name with only `location` and `tags` restores it as it was (same publishedDate,
  source and profiles): 200 Updating, an LRO; the 2025-03-03 and 2026-03-03 specs document a PATCH with
  `properties.restore: true` for the same.
- deleting an image definition whose versions sit in the bin succeeded once the gallery's soft delete was off.

Decided without a recording (docs/emulator.md lists them): a policy without periods keeps versions 7 days (the
docs' default) with no grace period; a version past its hard-deletion time is gone; while soft delete is on, a
definition or gallery that holds soft-deleted versions is not deleted (409 `OperationNotAllowed`; the soft-delete
docs: "Deleting a gallery or image definition with Soft Deleted resources isn't supported"), and once it is off
they go with it; a PUT with properties on a soft-deleted name is refused (409 `OperationNotAllowed`) rather than
guessed; `DELETE ?bypassSoftDelete=true` of a name in the bin purges it.
"""

from __future__ import annotations

from . import apiversions
from .common import Ctx, Response, iso, page
from .errors import ArmError, invalid_parameter, parent_not_found
from .store import Record

KIND = "softDeletedVersion"
TYPE = "Microsoft.Compute/galleries/softDeletedArtifactTypes/artifacts/versions"
DAY = 86400.0
DEFAULT_RETENTION_DAYS = 7  # the soft-delete docs: "recover accidentally deleted resources within a 7 day retention"
BYPASS_FROM = "2026-03-03"  # the spec adds ?bypassSoftDelete in 2026-03-03


def policy(gallery: Record) -> tuple[bool, int, int]:
    """(enabled, retention days, grace days) of a gallery's soft-delete policy."""
    soft = gallery.body.get("properties", {}).get("softDeletePolicy") or {}
    retention = soft.get("retentionPeriodInDays")
    grace = soft.get("gracePeriodInDays")
    return (
        bool(soft.get("isSoftDeleteEnabled")),
        int(retention) if retention is not None else DEFAULT_RETENTION_DAYS,
        int(grace) if grace is not None else 0,
    )


def _artifacts(gallery_id: str, image: str) -> str:
    return f"{gallery_id}/softDeletedArtifactTypes/Images/artifacts/{image}"


def recycle(ctx: Ctx, gallery: Record, image: Record, version: Record) -> None:
    """Put a deleted version in the bin (inside the delete's transaction)."""
    _, retention, grace = policy(gallery)
    now = ctx.now
    parent = _artifacts(gallery.id, image.name)
    rid = f"{parent}/versions/{version.name}"
    body = {
        "name": version.name,
        "id": rid,
        "type": TYPE,
        "location": version.body["location"],
        "properties": {
            "resourceArmId": version.id,
            "softDeletedTime": iso(now),
            "softDeletedArtifactType": "Images",
            "consumptionEndTime": iso(now + retention * DAY),
            "hardDeletionTargetTime": iso(now + (retention + grace) * DAY),
        },
    }
    saved = {"id": version.id, "kind": version.kind, "parent": version.parent, "body": version.body}
    meta = {"version": saved, "versionMeta": version.meta, "hard": now + (retention + grace) * DAY}
    ctx.backend.store.put(Record(rid, KIND, parent, version.sub, version.name, body, meta))


def _live(rec: Record | None, now: float) -> Record | None:
    return rec if rec is not None and rec.meta.get("hard", 0) > now else None


def find(ctx: Ctx, gallery: Record, image: str, version: str) -> Record | None:
    """The version's entry in the bin, unless its hard-deletion time has passed."""
    return _live(ctx.backend.store.get(f"{_artifacts(gallery.id, image)}/versions/{version}"), ctx.now)


def held(ctx: Ctx, gallery: Record, image: str | None = None) -> list[Record]:
    """Soft-deleted versions still in the bin: of one image, or of the whole gallery."""
    prefix = _artifacts(gallery.id, image) if image else f"{gallery.id}/softDeletedArtifactTypes"
    return [r for r in ctx.backend.store.under(prefix, KIND) if _live(r, ctx.now)]


def restored(entry: Record) -> Record:
    """The version as it was deleted, from its bin entry."""
    saved = entry.meta["version"]
    meta = entry.meta["versionMeta"]
    return Record(saved["id"], saved["kind"], saved["parent"], entry.sub, entry.name, saved["body"], meta)


def purge(ctx: Ctx, entries: list[Record]) -> None:
    for entry in entries:
        ctx.backend.store.delete(entry.id)


def bypassing(ctx: Ctx, api: str) -> bool:
    """`?bypassSoftDelete=true`, which api-versions before 2026-03-03 do not know (and ignore)."""
    return apiversions.at_least(api, BYPASS_FROM) and (ctx.req.query.get("bypasssoftdelete") or "").lower() == "true"


def refuse_parent_delete(ctx: Ctx, gallery: Record, entries: list[Record], what: str) -> None:
    """A definition or gallery with versions in the bin: refused while soft delete is on, else they go with it."""
    if not entries:
        return
    if policy(gallery)[0]:
        names = ", ".join(sorted(e.meta["version"]["id"].rsplit("/images/", 1)[-1] for e in entries)[:5])
        raise ArmError(
            409,
            "OperationNotAllowed",
            f"Deleting {what} is not supported while it holds soft-deleted gallery image versions ({names}). "
            "Restore them or wait until they are permanently deleted, or turn off the gallery's soft delete.",
        )
    purge(ctx, entries)


def list_versions(ctx: Ctx) -> Response:
    """GET …/galleries/{g}/softdeletedartifacttypes/{type}/artifacts/{artifact}/versions (2026-03-03)."""
    apiversions.check_gallery(ctx.req.api_version, "galleries/softDeletedArtifactTypes/artifacts/versions")
    p = ctx.params
    if p["atype"].lower() != "images":
        raise invalid_parameter(
            f"The value '{p['atype']}' of parameter 'artifactType' is not valid. Allowed values: Images.",
            "artifactType",
        )
    rg = ctx.backend.resource_group(p["sub"], p["rg"])
    gallery = ctx.backend.store.get(f"{rg.id}/providers/Microsoft.Compute/galleries/{p['gallery']}")
    if gallery is None:
        raise parent_not_found(p["gallery"])
    rows = sorted(held(ctx, gallery, p["artifact"]), key=lambda r: r.key)
    return page(ctx, [r.body for r in rows], False, "")
