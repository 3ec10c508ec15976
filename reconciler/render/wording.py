"""The sentences reviewers read for each reason, blocker and note code (display only; see core.reasons).

The module itself satisfies `reconciler.core.changes.Wording`: pass `wording` where JSON is written.
"""

from __future__ import annotations

from reconciler.core.reasons import Blocker, FieldReason, Note, Reason, Why

REPLACE_HINT = "pass --allow-replace (or set settings.allowReplace: true) to allow it"
PRUNE_HINT = "pass --prune (or set settings.prune: true) to allow it"


def _join(subjects: tuple[str, ...]) -> str:
    return ", ".join(subjects)


def reason_text(why: Why[Reason]) -> str:
    """The one-line reason shown after a change's address."""
    s = why.subjects
    match why.code:
        case Reason.NOT_IN_AZURE:
            return "not in Azure yet"
        case Reason.CREATE_RESOURCE_GROUP:
            return "the manifests ask for it (createResourceGroup)"
        case Reason.CANNOT_UPDATE:
            return f"must be replaced: {_join(s)} cannot change in place"
        case Reason.PARENT_REPLACED:
            return f"{_join(s)} is replaced, and its children must go first"
        case Reason.DRIFT:
            return "changed outside this tool (drift)"
        case Reason.MANIFEST_CHANGED:
            return "the manifests changed since the last apply"
        case Reason.NOT_APPLIED_BEFORE:
            return "differs from the manifests (not applied by this tool before)"
        case Reason.REPLICATION_FAILED:
            return f"replication failed in {_join(s)}; apply requests it again"
        case Reason.LAST_OPERATION_FAILED:
            return "the last operation on this version failed; apply requests it again"
        case Reason.NOT_IN_MANIFESTS:
            return "not in these manifests"
        case Reason.ADOPT:
            return "adopted: it exists without the gallery-reconciler tag, and settings.adopt takes it over"
        case Reason.UNOWNED:
            return "exists without the gallery-reconciler tag (made by hand or by another tool)"


def blocker_text(why: Why[Blocker]) -> str:
    """Why a change is blocked and how to allow it."""
    s = why.subjects
    match why.code:
        case Blocker.NEEDS_ALLOW_REPLACE:
            return f"replacing deletes and recreates it; {REPLACE_HINT}"
        case Blocker.NEEDS_ALLOW_REPLACE_TO_DELETE:
            return f"deleting it is part of a replacement; {REPLACE_HINT}"
        case Blocker.NEEDS_PRUNE:
            return f"it is not in these manifests; {PRUNE_HINT}"
        case Blocker.UNMANAGED_CHILDREN:
            return (
                f"resources not created by this tool are inside it ({_join(s)}); delete them first, list them in "
                "settings.pruneUnmanaged, or add them to the manifests"
            )
        case Blocker.GALLERY_NAME_TAKEN:
            return (
                f"the gallery name is already used in this subscription ({_join(s)}); gallery names are "
                "unique per subscription, so choose another name or manage that gallery's resource group"
            )
        case Blocker.IDENTIFIER_TAKEN:
            other, *ident = s
            return (
                f"definition {other} already has publisher/offer/sku {'/'.join(ident)}, which must be unique in a "
                "gallery; choose another identifier"
            )
        case Blocker.PARENT_REPLACE_BLOCKED:
            return f"it belongs in {_join(s)}, whose replacement is blocked; {REPLACE_HINT}"
        case Blocker.PARENT_CREATE_BLOCKED:
            return f"it belongs in {_join(s)}, whose creation is blocked"
        case Blocker.OWNED_BY_OTHER_ESTATE:
            return (
                f"estate '{_join(s)}' manages it (tag gallery-reconciler); remove it from that estate's manifests "
                "and set the tag to this estate's id, or manage it there"
            )
        case Blocker.NOT_ADOPTED:
            return (
                "reconcile did not create it; set settings.adopt: true in the manifests to adopt it (apply then "
                "adds the tag), or leave it out of the manifests"
            )


def note_text(why: Why[Note]) -> str:
    """A note shown under a change."""
    match why.code:
        case Note.NOT_CREATED_BY_TOOL:
            return "not created by this tool"
        case Note.OWNED_BY_OTHER_ESTATE:
            return f"managed by estate '{_join(why.subjects)}'"
        case Note.LISTED_IN_PRUNE_UNMANAGED:
            return "not created by this tool; listed in settings.pruneUnmanaged"
        case Note.UNMANAGED_CHILDREN:
            return "unmanaged children block the deletion: " + _join(why.subjects)
        case Note.SAFETY_BLOCKS_DELETION:
            return "its safety profile blocks deletion before its end-of-life date"
        case Note.WAITS_FOR_SOURCE:
            return f"waits for its source {_join(why.subjects)} to finish replicating before it is created"
        case Note.SOURCE_NOT_CHECKED:
            return (
                f"not checked before apply: the source's {_join(why.subjects)} "
                "(a VHD's contents are not visible through ARM)"
            )


def field_reason_text(reason: FieldReason) -> str:
    """Why a field difference forces a replacement."""
    match reason:
        case FieldReason.IMMUTABLE:
            return "Azure does not allow changing it after creation"
        case FieldReason.END_OF_LIFE_REMOVAL:
            return "Azure cannot remove an end-of-life date in place"
        case FieldReason.REPLICATED_REGION_REMOVAL:
            return (
                "the version's safety profile forbids removing replicated regions "
                "(safetyProfile.allowDeletionOfReplicatedLocations is false); set "
                "safety: {allowDeletionOfReplicatedLocations: true} to remove it in place instead"
            )
