"""The sentences reviewers read for each reason, blocker and note code (display only; see core.reasons).

The module itself satisfies `reconciler.core.changes.Wording`: pass `wording` where JSON is written.
"""

from __future__ import annotations

from reconciler.core.reasons import Blocker, FieldReason, Guard, Note, Reason, RetentionRule, Why

REPLACE_HINT = "pass --allow-replace (or set settings.allowReplace: true) to allow it"
PRUNE_HINT = "pass --prune (or set settings.prune: true) to allow it"
COMMUNITY_HINT = "pass --allow-community (or set settings.allowCommunity: true) to allow it"
BYPASS_HINT = "pass --bypass-soft-delete (or set settings.bypassSoftDelete: true)"


def _join(subjects: tuple[str, ...]) -> str:
    return ", ".join(subjects)


def day(text: str) -> str:
    """An ISO 8601 time as people read it: the date alone at midnight UTC, else date, time and UTC."""
    from reconciler.core.arm_json import parse_datetime

    try:
        when = parse_datetime(text) if text else None
    except ValueError:
        return text
    if when is None:
        return "an unknown date"
    if (when.hour, when.minute, when.second) == (0, 0, 0):
        return when.strftime("%Y-%m-%d")
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _days(count: str) -> str:
    return "1 day" if count == "1" else f"{count} days"


def retention_rule_text(subjects: tuple[str, ...]) -> str:
    """What a retention rule found (the subjects of `Reason.RETENTION`: the rule's code, then its values)."""
    code, *values = (*subjects, "", "", "")[:4]
    match code:
        case RetentionRule.KEEP_NEWEST.value:
            of = f" of major version {values[1]}" if values[1] else ""
            return f"not among the newest {values[0]} versions{of}"
        case RetentionRule.MAX_AGE.value:
            return f"published {day(values[1])}, more than {_days(values[0])} ago"
        case RetentionRule.END_OF_LIFE.value:
            return f"its end of life ({day(values[0])}) has passed"
        case RetentionRule.END_OF_LIFE_BY_RULE.value:
            return f"its end of life by rule ({_days(values[0])} after publishing) passed on {day(values[1])}"
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
        case Reason.RETENTION:
            return f"retention: {retention_rule_text(s)}"
        case Reason.PROMOTE:
            return "promotion rule: replicated to every target region, so it is promoted (excludeFromLatest cleared)"
        case Reason.ADOPT:
            return "adopted: it exists without the gallery-reconciler tag, and settings.adopt takes it over"
        case Reason.UNOWNED:
            return "exists without the gallery-reconciler tag (made by hand or by another tool)"
        case Reason.RESTORE_SOFT_DELETED:
            deleted, purged = (*s, "", "")[:2]
            when = f" on {day(deleted)}" if deleted else ""
            until = f" (restorable until {day(purged)})" if purged else ""
            return f"soft-deleted{when}{until}: restored from the gallery's recycle bin, not created from its source"


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
                f"resources this tool will not delete are inside it ({_join(s)}: not created by it, or protected); "
                "delete them first, list unowned ones in settings.pruneUnmanaged, or add them to the manifests"
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
        case Blocker.RETENTION_CAP:
            return (
                f"retention deletes at most {_join(s)} versions per run, older ones first; a later run deletes it "
                "(settings.maxRetentionDeletions raises the limit)"
            )
        case Blocker.PROTECTED:
            return (
                f"it carries the tag {_join(s)}, which keeps it from pruning and retention; remove the tag to allow it"
            )
        case Blocker.NOT_ADOPTED:
            return (
                "reconcile did not create it; set settings.adopt: true in the manifests to adopt it (apply then "
                "adds the tag), or leave it out of the manifests"
            )
        case Blocker.SHARING_PERMISSIONS_FIXED:
            before, after = (*s, "", "")[:2]
            return (
                f"Azure cannot change a gallery's sharing permissions from {before} to {after}: they are set when "
                "the gallery is created (a direct-shared gallery's permissions \"can't currently be updated\", and "
                "a private gallery cannot become a community gallery); only a reset to Private happens in place. "
                "Replacing the gallery would delete every image in it, so this tool never does: create a new "
                "gallery with this sharing and move the definitions there, or set permissions back"
            )
        case Blocker.COMMUNITY_INFO_FIXED:
            return (
                f"Azure does not change a community gallery's published information ({_join(s)}) in place (its "
                "public name is already taken from the prefix); replacing the gallery would delete every image in "
                "it, so this tool never does: set the values Azure has, or publish from a new gallery"
            )
        case Blocker.NEEDS_ALLOW_COMMUNITY:
            prefix = f" under the public name prefix '{_join(s)}'" if _join(s) else ""
            return (
                f"enabling community sharing publishes the gallery and its images to every Azure user{prefix}, and "
                f"the public name cannot be taken back; {COMMUNITY_HINT}"
            )
        case Blocker.DELETION_BLOCKED_UNTIL_END_OF_LIFE:
            until = f"until its end-of-life date {day(s[0])}" if s and s[0] else "as it has no end-of-life date"
            return (
                "its safety profile (blockDeletionBeforeEndOfLife) forbids deleting it before its end of life, and "
                f"Azure refuses {until}; it is not attempted (to delete it sooner, switch its "
                "blockDeletionBeforeEndOfLife off first)"
            )
        case Blocker.CHILD_DELETION_BLOCKED:
            return f"it cannot be deleted while {_join(s)} cannot (see there)"
        case Blocker.SOFT_DELETED_VERSIONS_INSIDE:
            return (
                f"soft-deleted versions would remain inside it ({_join(s)}), and Azure does not delete a definition "
                "or gallery holding soft-deleted versions while the gallery's soft delete is on (documented as "
                f"not supported); {BYPASS_HINT} to delete its versions permanently, or turn the gallery's "
                "softDelete off first (versions already in the recycle bin then go with it)"
            )
        case Blocker.REPLACE_NEEDS_BYPASS_SOFT_DELETE:
            return (
                "replacing it deletes it first, and with the gallery's soft delete on it would wait in the recycle "
                "bin under the same name, where a PUT of that name restores it instead of creating the new one; "
                f"{BYPASS_HINT} to delete the old one permanently"
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
        case Note.SOFT_DELETE:
            usable, purged = (*why.subjects, "", "")[:2]
            after = f", then recoverable until {day(purged)}" if purged and purged != usable else ""
            return (
                f"soft delete: it goes to the gallery's recycle bin, restorable until {day(usable)}{after}; "
                "listing it in the manifests again restores it"
            )
        case Note.PERMANENT_DELETE:
            return "permanent delete: the gallery's soft delete is bypassed (bypassSoftDelete); it cannot be restored"
        case Note.RESTORE_THEN_UPDATE:
            return "it comes back as it was deleted; fields that differ from the manifests are then updated in place"
        case Note.COMMUNITY_RESET_FIRST:
            return "shared with the community: apply resets its sharing first, as Azure requires before a delete"
        case Note.UNSHARE_COMMUNITY:
            return (
                "going private ends community sharing: scale sets that other users made from its images can no "
                "longer scale out"
            )
        case Note.WAITS_FOR_SOURCE:
            return f"waits for its source {_join(why.subjects)} to finish replicating before it is created"
        case Note.SOURCE_NOT_CHECKED:
            return (
                f"not checked before apply: the source's {_join(why.subjects)} "
                "(a VHD's contents are not visible through ARM)"
            )
        case Note.PROMOTE_WHEN_REPLICATED:
            return (
                "promote when replicated: published excluded from latest; apply clears excludeFromLatest once "
                "every target region has replicated (after --no-wait, the next apply does)"
            )
        case Note.END_OF_LIFE_BY_RULE:
            days, basis, date = (*why.subjects, "", "", "")[:3]
            since = f"after it was published ({day(basis)})"
            if basis == "apply":
                since = "from this apply (when Azure publishes it)"
            return f"end of life by rule: {day(date)}, {_days(days)} {since}"
        case Note.END_OF_LIFE_BY_RULE_PASSED:
            days, published, date = (*why.subjects, "", "", "")[:3]
            return (
                f"end of life by rule ({_days(days)} after it was published, {day(published)}) passed on {day(date)}: "
                "not set, as Azure refuses a past end-of-life date; a retention candidate instead"
            )


def guard_text(why: Why[Guard]) -> str:
    """Why retention keeps a version its rule selects."""
    match why.code:
        case Guard.LISTED:
            return "listed in the manifests"
        case Guard.PROTECTION_TAG:
            return f"it carries the protection tag {_join(why.subjects)}"
        case Guard.SAFETY_PROFILE:
            until = f"its end-of-life date {day(why.subjects[0])}" if why.subjects else "an end-of-life date"
            return f"its safety profile blocks deletion before {until} (blockDeletionBeforeEndOfLife)"
        case Guard.LATEST:
            return f"'latest' resolves to it in {_join(why.subjects)}"
        case Guard.LAST_ELIGIBLE:
            return "the definition would be left without a version that is not excluded from latest"
        case Guard.LAST_VERSION:
            return "the definition would be left without any version"


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
