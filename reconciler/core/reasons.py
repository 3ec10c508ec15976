"""Why a plan does what it does, as data: enums of reasons, blockers and notes (wording lives in render).

Modelled on Terraform's `ActionReason`: the diff records *why* as a code plus the subjects it refers
to (addresses, regions, field paths); `reconciler.render.wording` turns them into sentences. Apply
never reads a reason: it acts on the action and on whether the change is blocked.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Generic, TypeVar


class Reason(str, enum.Enum):
    """Why a resource is created, updated, replaced or deleted."""

    NOT_IN_AZURE = "not-in-azure"
    CREATE_RESOURCE_GROUP = "create-resource-group"
    CANNOT_UPDATE = "cannot-update"
    """subjects: the field paths that cannot change in place."""
    PARENT_REPLACED = "parent-replaced"
    """subjects: the parent's address."""
    DRIFT = "drift"
    MANIFEST_CHANGED = "manifest-changed"
    NOT_APPLIED_BEFORE = "not-applied-before"
    REPLICATION_FAILED = "replication-failed"
    """subjects: the regions where replication failed."""
    LAST_OPERATION_FAILED = "last-operation-failed"
    NOT_IN_MANIFESTS = "not-in-manifests"
    RETENTION = "retention"
    """subjects: the `RetentionRule` code that selected it, then that rule's values (see RetentionRule)."""
    PROMOTE = "promote"
    """The promotion rule clears excludeFromLatest: the version replicated to every target region."""
    ADOPT = "adopt"
    """The resource exists without the ownership tag and the manifests adopt it (`settings.adopt`)."""
    UNOWNED = "unowned"
    """The resource exists without the ownership tag and the manifests do not adopt it (blocked)."""
    RESTORE_SOFT_DELETED = "restore-soft-deleted"
    """subjects: when it was soft-deleted, and when Azure deletes it for good (ISO 8601; either may be "")."""


class Blocker(str, enum.Enum):
    """Why a change is not carried out without an opt-in, or cannot be at all."""

    NEEDS_ALLOW_REPLACE = "needs-allow-replace"
    NEEDS_ALLOW_REPLACE_TO_DELETE = "needs-allow-replace-to-delete"
    NEEDS_PRUNE = "needs-prune"
    UNMANAGED_CHILDREN = "unmanaged-children"
    """subjects: addresses of the children not created by this tool."""
    GALLERY_NAME_TAKEN = "gallery-name-taken"
    """subjects: the resource id of the gallery that has the name."""
    IDENTIFIER_TAKEN = "identifier-taken"
    """subjects: the other definition's address, then publisher, offer and sku."""
    PARENT_REPLACE_BLOCKED = "parent-replace-blocked"
    """subjects: the parent's address."""
    PARENT_CREATE_BLOCKED = "parent-create-blocked"
    """subjects: the parent's address."""
    OWNED_BY_OTHER_ESTATE = "owned-by-other-estate"
    """subjects: the estate that owns the resource."""
    RETENTION_CAP = "retention-cap"
    """subjects: the number of retention deletions allowed per run, already reached by older versions."""
    PROTECTED = "protected"
    """subjects: the protection tag's name; the resource carries it, so no deletion the tool derives touches it."""
    NOT_ADOPTED = "not-adopted"
    """The resource exists without the ownership tag (made by hand or another tool) and the manifests do not
    adopt it (`settings.adopt`)."""
    SHARING_PERMISSIONS_FIXED = "sharing-permissions-fixed"
    """subjects: the gallery's sharing permissions in Azure, then in the manifests."""
    COMMUNITY_INFO_FIXED = "community-info-fixed"
    """subjects: the community gallery fields that differ."""
    NEEDS_ALLOW_COMMUNITY = "needs-allow-community"
    """subjects: the public name prefix."""
    DELETION_BLOCKED_UNTIL_END_OF_LIFE = "deletion-blocked-until-end-of-life"
    """subjects: the version's end-of-life date (ISO 8601), or none when it has no end-of-life date."""
    CHILD_DELETION_BLOCKED = "child-deletion-blocked"
    """subjects: addresses of the children whose deletion is blocked."""
    SOFT_DELETED_VERSIONS_INSIDE = "soft-deleted-versions-inside"
    """subjects: addresses of the versions that are (or this plan makes) soft-deleted inside it."""
    REPLACE_NEEDS_BYPASS_SOFT_DELETE = "replace-needs-bypass-soft-delete"


class Note(str, enum.Enum):
    """Facts a reviewer should see next to a change."""

    NOT_CREATED_BY_TOOL = "not-created-by-tool"
    OWNED_BY_OTHER_ESTATE = "owned-by-other-estate"
    """subjects: the estate that owns the resource."""
    LISTED_IN_PRUNE_UNMANAGED = "listed-in-prune-unmanaged"
    UNMANAGED_CHILDREN = "unmanaged-children"
    """subjects: addresses of the children not created by this tool."""
    SOFT_DELETE = "soft-delete"
    """subjects: until when it can be restored and used (ISO 8601), then when Azure deletes it for good."""
    PERMANENT_DELETE = "permanent-delete"
    """The gallery's soft delete is on, and the plan bypasses it (opt-in)."""
    RESTORE_THEN_UPDATE = "restore-then-update"
    """A restore brings the version back as it was deleted; what differs from the manifests is updated next."""
    COMMUNITY_RESET_FIRST = "community-reset-first"
    """A community gallery being deleted: apply resets its sharing first (Azure refuses the delete before)."""
    UNSHARE_COMMUNITY = "unshare-community"
    """A community gallery going private: its consumers' scale sets stop scaling out."""
    WAITS_FOR_SOURCE = "waits-for-source"
    """subjects: the id of a source version still replicating; apply waits for it before creating."""
    SOURCE_NOT_CHECKED = "source-not-checked"
    """subjects: what the source kind does not expose through ARM, so the plan could not check it."""
    PROMOTE_WHEN_REPLICATED = "promote-when-replicated"
    """Published excluded from latest by the promotion rule; apply clears the flag once it has replicated."""
    END_OF_LIFE_BY_RULE = "end-of-life-by-rule"
    """subjects: the rule's days, what they count from ("apply", or the published date in ISO 8601), the date."""
    END_OF_LIFE_BY_RULE_PASSED = "end-of-life-by-rule-passed"
    """subjects: the rule's days, the published date and the date it gives (ISO 8601), which has passed: not set
    (Azure refuses a past end-of-life date); the version is a retention candidate instead."""


class FieldReason(str, enum.Enum):
    """Why a field difference forces a replacement."""

    IMMUTABLE = "immutable"
    END_OF_LIFE_REMOVAL = "end-of-life-removal"
    REPLICATED_REGION_REMOVAL = "replicated-region-removal"


class RetentionRule(str, enum.Enum):
    """Which retention rule selects a version for deletion: the first subject of `Reason.RETENTION`.

    The values that follow it in the subjects: keep-newest: N, and the major version ("" when not per major);
    max-age: the days, the published date; end-of-life: the date; end-of-life-by-rule: the days, the date.
    """

    KEEP_NEWEST = "keep-newest"
    MAX_AGE = "max-age"
    END_OF_LIFE = "end-of-life"
    END_OF_LIFE_BY_RULE = "end-of-life-by-rule"


class Guard(str, enum.Enum):
    """Why retention keeps a version its rules select. None of these can be switched off."""

    LISTED = "listed-in-manifests"
    PROTECTION_TAG = "protection-tag"
    """subjects: the tag's name."""
    SAFETY_PROFILE = "safety-blocks-deletion"
    """subjects: the end-of-life date (ISO 8601), or none when the version has none."""
    LATEST = "latest"
    """subjects: the regions where `latest` resolves to it, now or once the plan is applied."""
    LAST_ELIGIBLE = "last-eligible"
    """The definition would be left without a version that is not excluded from latest."""
    LAST_VERSION = "last-version"
    """The definition would be left without any version."""


C = TypeVar("C", Reason, Blocker, Note, Guard)


@dataclass(frozen=True)
class Why(Generic[C]):
    """A reason code and the subjects it refers to (addresses, regions, paths), in display order."""

    code: C
    subjects: tuple[str, ...] = ()

    def to_json(self, message: str) -> dict[str, Any]:
        return {"code": self.code.value, "subjects": list(self.subjects), "message": message}

    @classmethod
    def from_json(cls, enum_type: type[C], data: dict[str, Any]) -> Why[C]:
        return cls(enum_type(data["code"]), tuple(data.get("subjects") or ()))
