"""What a resource kind must say about itself, and the field table every kind's diff is built from.

A kind (`reconciler.kinds.gallery`, `.image_definition`, `.image_version`) owns everything about its
resources: the model dataclass, building it from a manifest node, its field table (how each field
compares, whether Azure lets it change in place, what Azure fills in when unset), its PUT and PATCH
bodies, reading its ARM JSON, and its SDK operation group. The diff, the live reads, the steps and the
executor are generic over `ResourceKind`; adding a kind is one new module registered in
`reconciler.kinds`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from reconciler.core.api import GALLERY_API_VERSION
from reconciler.core.model import OWNERSHIP_TAG_NAME, Tags
from reconciler.core.reasons import Blocker, FieldReason

if TYPE_CHECKING:
    from reconciler.core.arm_json import JSON, LiveInfo
    from reconciler.core.changes import FieldChange
    from reconciler.core.live_state import LiveResource
    from reconciler.manifest.build import Builder
    from reconciler.manifest.bundle import Declared


@dataclass(frozen=True)
class Field:
    """One managed field of a resource, as projected for comparison.

    `value` is JSON-able and normalised (None = unset); `default` is what Azure uses when nothing is
    set (None = no known default, so an unset field is not managed and whatever Azure has is
    accepted). `mutable=False` means Azure refuses to change it in place, so a difference plans a
    replacement with `reason`. `case_insensitive` folds ids and enum values the way ARM does.
    """

    value: Any
    mutable: bool = True
    default: Any = None
    case_insensitive: bool = False
    reason: FieldReason = FieldReason.IMMUTABLE
    """Why a difference forces a replacement (only read when `mutable` is False)."""
    clear: bool = False
    """The manifest says `null`: there must be none (unlike unset, which leaves Azure's value alone)."""
    empty: Any = None
    """What Azure's absence of the field equals (e.g. [] for a list Azure does not echo when empty)."""

    @property
    def effective(self) -> Any:
        """The value as Azure would have it: the default when unset."""
        return self.default if self.value is None else self.value

    @property
    def managed(self) -> bool:
        """False when unset without an Azure default and not cleared: the manifests leave it to Azure."""
        return self.clear or not (self.value is None and self.default is None)

    def folded(self, value: Any) -> Any:
        """A value as compared: absence as `empty`, case folded where ARM ignores case."""
        return comparable(self.empty if value is None else value, self.case_insensitive)


def comparable(value: Any, case_insensitive: bool) -> Any:
    """Fold a value for comparison; ids and enums ignore case where ARM does."""
    if not case_insensitive:
        return value
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, dict):
        return {k: comparable(v, True) for k, v in value.items()}
    if isinstance(value, list):
        return [comparable(v, True) for v in value]
    return value


class NotExportable(Exception):
    """A live resource `to_manifest` cannot write as a manifest (e.g. a source the manifests have no form for).

    The message says why, as a sentence about the resource; the exporter leaves the resource out and says so.
    """


class ExportContext(Protocol):
    """What a kind's `to_manifest` asks the exporter (`reconciler.manifest.export`): references and defaults."""

    now: datetime
    """Dates before this are left out (validate refuses past end-of-life dates)."""

    def reference(self, kind: str, resource_id: str) -> Any:
        """A resource of manifest kind `kind` ("managedImage", "storageAccount", ...) as a person writes it:
        `{resourceGroup?, name}` in the target subscription (resource group left out when it is the gallery's),
        the ARM id otherwise. Raises NotExportable when the id is not of that kind."""
        ...

    def version_source(self, resource_id: str) -> Any:
        """A source gallery image version: `{address: g/d/v}` when it is exported too, its ARM id otherwise."""
        ...

    def inherited_location(self, resource: Any) -> str | None:
        """The location the resource gets when its manifest names none (the scope's, or the gallery's)."""
        ...

    def note(self, resource: Any, text: str) -> None:
        """A remark written as a comment above the resource (a value left out, and why)."""
        ...


def manifest_tags(tags: Tags) -> dict[str, str]:
    """A resource's tags as a manifest writes them: without the ownership tag, which reconcile sets itself."""
    return {key: value for key, value in tags if key != OWNERSHIP_TAG_NAME}


def manifest_date(value: datetime) -> str:
    """A date as the manifests write it: `2030-12-31` at midnight UTC, else `2030-12-31T12:00:00Z`."""
    utc = value.astimezone(timezone.utc).replace(microsecond=0)
    if utc.time() == time(0, 0):
        return utc.strftime("%Y-%m-%d")
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def future_date(context: ExportContext, resource: Any, key: str, value: datetime | None) -> str | None:
    """`value` as a manifest date when it is still ahead; a past one is left out with a note (validate refuses it,
    and a manifest that leaves the date out leaves Azure's alone)."""
    if value is None:
        return None
    if value > context.now:
        return manifest_date(value)
    context.note(
        resource, f"{key} {manifest_date(value)} has passed: left out (Azure keeps it; validate refuses past dates)"
    )
    return None


class ResourceKind:
    """The contract a resource kind fulfils (one instance per kind, registered in `reconciler.kinds`).

    Class attributes: `name` is the plan's kind ("gallery"), `depth` the level in the hierarchy
    (0 = gallery), `parent` the kind one level up, `arm_type` ARM's resource type, `manifest_key`
    the key under the parent in a manifest ("definitions"), `sdk_group` the attribute of
    azure-mgmt-compute's ComputeManagementClient that serves it.
    """

    name: ClassVar[str]
    depth: ClassVar[int]
    arm_type: ClassVar[str]
    manifest_key: ClassVar[str]
    sdk_group: ClassVar[str]
    model: ClassVar[type]

    def __repr__(self) -> str:
        return f"<kind {self.name}>"

    @property
    def parent(self) -> ResourceKind | None:
        from reconciler.kinds import KINDS

        return KINDS[self.depth - 1] if self.depth > 0 else None

    @property
    def child(self) -> ResourceKind | None:
        from reconciler.kinds import KINDS

        return KINDS[self.depth + 1] if self.depth + 1 < len(KINDS) else None

    # ------------------------------------------------------------------ identity

    def sort_key(self, resource: Any) -> Any:
        """Order within a level (plans list resources in this order)."""
        return resource.address.lower()

    def sdk_names(self, resource: Any) -> tuple[str, ...]:
        """Positional names the SDK's operations take: (resource group, gallery, ...)."""
        return (resource.resource_group, *resource.address.split("/"))

    def operations(self, compute: Any) -> Any:
        """The SDK operation group (`compute.galleries`, ...)."""
        return getattr(compute, self.sdk_group)

    @property
    def sdk_options(self) -> dict[str, Any]:
        """Keyword arguments every SDK call of this kind takes: the pinned api-version (`core.api`)."""
        return {"api_version": GALLERY_API_VERSION}

    # ------------------------------------------------------------------ manifests -> model

    def from_manifest(self, builder: Builder, node: Declared) -> Any:
        """The model resource a merged manifest node declares."""
        raise NotImplementedError

    # ------------------------------------------------------------------ comparison

    def fields(self, resource: Any) -> dict[str, Field]:
        """{path: Field} for every field the kind manages; the same projection for desired and live."""
        raise NotImplementedError

    def extra_changes(self, desired: Any, live: LiveResource) -> list[FieldChange]:
        """Changes the field table cannot express (set membership, removals Azure cannot do in place)."""
        return []

    def extra_creation_changes(self, desired: Any) -> list[FieldChange]:
        """Creation lines beyond the field table (e.g. a version's target regions)."""
        return []

    def skip_field(self, path: str, desired: Any, live: LiveResource) -> bool:
        """True for a field reported by `extra_changes` instead (e.g. one of a region being added)."""
        return self.reported_elsewhere(path)

    def reported_elsewhere(self, path: str) -> bool:
        """True for a field in the table (for the applied digest) that `extra_changes` and
        `extra_creation_changes` report line by line instead (a gallery's sharing groups)."""
        return False

    def update_blocker(
        self, desired: Any, live: LiveResource | None, options: Any
    ) -> tuple[Blocker, tuple[str, ...]] | None:
        """(blocker, subjects) when a create or update cannot go ahead: Azure cannot make it in place (and a
        replacement is not the answer), or it needs an opt-in of its own. `options` is the plan's `DiffOptions`."""
        return None

    def health(self, live: LiveResource) -> tuple[Any, tuple[str, ...]] | None:
        """(reason, subjects) when the live resource needs repair although its fields match."""
        return None

    def needs_put(self, desired: Any, live: Any) -> bool:
        """True when an update must clear a field, which a PATCH cannot do (it leaves omitted fields alone).

        A PUT with the whole desired body clears what it omits, as Terraform's acceptance tests clear
        disallowed disk types and recommended ranges in place ([TF-IMG] in API-FACTS).
        """
        want, have = self.fields(desired), self.fields(live)
        for path, spec in want.items():
            if not spec.mutable:
                continue
            clearing = spec.clear or (spec.value is not None and spec.value == spec.empty)
            held = have.get(path)
            if clearing and held is not None and held.value not in (None, spec.empty):
                return True
        return False

    def put_update_body(self, desired: Any, live_body: JSON) -> JSON:
        """The PUT body for an update that clears fields (see `needs_put`)."""
        raise NotImplementedError

    def preparatory_update(self, desired: Any, live: Any) -> Any | None:
        """A resource to update to first, when Azure accepts this update only in two steps; None: one step."""
        return None

    def depends_on(self, resource: Any) -> tuple[str, ...]:
        """Addresses this resource needs first, besides its parent (e.g. a version's source version)."""
        return ()

    def deletion_notes(self, live: LiveResource) -> Iterable[tuple[Any, tuple[str, ...]]]:
        """Notes a deletion of this live resource carries (e.g. a community gallery's sharing reset first)."""
        return ()

    def change_notes(self, desired: Any, live: LiveResource) -> Iterable[tuple[Any, tuple[str, ...]]]:
        """Notes an update of this resource carries (e.g. what ending community sharing does to its consumers)."""
        return ()

    # ------------------------------------------------------------------ model -> manifest

    def to_manifest(self, resource: Any, context: ExportContext) -> dict[str, Any]:
        """The resource's own manifest properties (children excluded), as a person writes them.

        Keys in the order docs/manifests.md lists them; values Azure fills in by default (the field table's
        `default`, and the api-version's defaults) and read-only facts left out; the ownership tag left out.
        Planning the result against the resource it came from shows no change. Raises NotExportable.
        """
        raise NotImplementedError

    # ------------------------------------------------------------------ model -> ARM

    def create_body(self, resource: Any) -> JSON:
        """The PUT body that creates the resource."""
        raise NotImplementedError

    def patch_body(self, desired: Any, live_body: JSON) -> JSON:
        """The minimal PATCH body for an in-place update, given the live ARM body."""
        raise NotImplementedError

    # ------------------------------------------------------------------ ARM -> model

    def from_arm(self, parent: Any, body: JSON) -> tuple[Any, LiveInfo]:
        """A live ARM body read into the model, with live-only facts.

        `parent` is the parent's model resource, or for a top-level kind a (subscription, resource group)
        pair.
        """
        raise NotImplementedError

    def list_children(self, compute: Any, parent: Any) -> Any:
        """The SDK pager listing this kind's resources under `parent` (as for `from_arm`)."""
        raise NotImplementedError

    def list_url(self, parent: Any) -> str:
        """The ARM list URL (relative, with the pinned api-version) of this kind's resources under `parent`."""
        from urllib.parse import quote

        if isinstance(parent, tuple):
            subscription, group = parent
            base = f"/subscriptions/{subscription}/resourceGroups/{quote(group)}"
        else:
            base = parent.id
        return f"{base}/{self.list_segment}?api-version={GALLERY_API_VERSION}"

    list_segment: ClassVar[str] = ""
    """The path under the parent that lists this kind (`providers/Microsoft.Compute/galleries`, `images`)."""

    def needs_full_read(self, body: JSON) -> bool:
        """True when a listed item lacks facts a GET provides (a version still replicating)."""
        return False

    full_read_expand: ClassVar[str] = ""
    """The `$expand` of the GET that completes a listed item (`ReplicationStatus`, `SharingProfile/Groups`)."""

    async def get_full(self, compute: Any, resource: Any) -> Any:
        """The GET that completes a listed item (see `needs_full_read`)."""
        raise NotImplementedError
