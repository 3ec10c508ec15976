"""The desired-state model's shared vocabulary: value types every resource kind uses, and the desired state.

Both sides of a plan are expressed in these types: the manifests build the desired state and live
Azure resources are read into the same shapes, so the diff compares like with like. The resource
types themselves (Gallery, ImageDefinition, ImageVersion) live with their kind in `reconciler.kinds`.
Values are normalised on the way in: regions folded to ARM's programmatic names, enums in Azure's
canonical case, dates as aware UTC datetimes, collections sorted by their natural key. `None` means
"the manifest does not say"; how that compares to what Azure fills in is the kind's field table's
business, not the model's.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from reconciler.kinds.base import ResourceKind

Tags = tuple[tuple[str, str], ...]
"""Tags as sorted (name, value) pairs, so the model stays hashable and order-free."""

OWNERSHIP_TAG_NAME = "gallery-reconciler"
"""The tag that marks resources this tool created or adopted; its value names the estate that owns them."""

DEFAULT_ESTATE = "managed"
"""The estate of manifests that name none (`settings.estate`); also what every version before estates wrote."""

OWNERSHIP_TAG = (OWNERSHIP_TAG_NAME, DEFAULT_ESTATE)
"""The ownership tag of the default estate. Only resources owned by the planning estate are ever pruned."""


def ownership_tag(estate: str) -> tuple[str, str]:
    """The (name, value) ownership tag of an estate."""
    return (OWNERSHIP_TAG_NAME, estate)


PROTECTION_TAG_NAME = "gallery-reconciler-protected"
"""A version carrying this tag (any value, even "false": only removing the tag lifts it) is never deleted by a
retention rule (`core.retention`). Set it in the portal, with `az tag`, or in the manifests before unlisting."""

DEFAULT_MAX_RETENTION_DELETIONS = 10
"""Retention deletions per run when `settings.maxRetentionDeletions` does not say (a guard against a rule that
would delete a whole gallery's history in one go)."""

DIGEST_TAG = "gallery-reconciler-digest"
"""Digest of the managed fields as last applied: lets a plan tell drift (Azure changed) from a manifest edit.

Written by apply, read by the diff, and kept out of the model's tags (it is bookkeeping, not desired state).
"""

DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
"""The embedded emulator's subscription, used when nothing names an Azure subscription."""


def freeze_tags(tags: Mapping[str, str] | None) -> Tags:
    """Tags as the model keeps them: sorted (name, value) pairs."""
    return tuple(sorted((tags or {}).items()))


class SourceKind(str, enum.Enum):
    """Where an image version's OS (or a data disk) comes from. Values are the manifest's keys.

    `arm_type` is the ARM resource type an id of this kind has (None for a VHD, which is a blob URI).
    """

    VIRTUAL_MACHINE = "virtualMachine"
    MANAGED_IMAGE = "managedImage"
    GALLERY_IMAGE_VERSION = "galleryImageVersion"
    SNAPSHOT = "snapshot"
    DISK = "disk"
    VHD = "vhd"

    @property
    def arm_type(self) -> str | None:
        return ARM_TYPES.get(self.value)


ARM_TYPES: dict[str, str] = {
    "virtualMachine": "Microsoft.Compute/virtualMachines",
    "managedImage": "Microsoft.Compute/images",
    "galleryImageVersion": "Microsoft.Compute/galleries/images/versions",
    "snapshot": "Microsoft.Compute/snapshots",
    "disk": "Microsoft.Compute/disks",
    "storageAccount": "Microsoft.Storage/storageAccounts",
    "diskEncryptionSet": "Microsoft.Compute/diskEncryptionSets",
}
"""The one table of ARM resource types the manifests reference, by the manifest's key (ARM's spelling)."""

SOURCE_KIND_BY_ARM_TYPE: dict[str, SourceKind] = {
    ARM_TYPES[k.value].lower(): k for k in SourceKind if k.value in ARM_TYPES
}
"""Lower-cased ARM type -> source kind, for reading a version's source id back."""


@dataclass(frozen=True)
class Origin:
    """Where a resource or value was written, for diagnostics. Never compared."""

    file: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Source:
    """An image source: an ARM resource id, a VHD (uri + storage account), or a version in these manifests.

    `address` is set when the manifest names another version of these manifests
    ("gallery/definition/version"); the builder also resolves it to `id`, and apply uses the
    address to wait for that version before creating this one.
    """

    kind: SourceKind
    id: str | None = None
    uri: str | None = None
    storage_account_id: str | None = None
    address: str | None = None


class Resource(Protocol):
    """What every resource of the model offers, whatever its kind (see `reconciler.kinds`)."""

    subscription_id: str
    resource_group: str
    name: str
    location: str
    tags: Tags
    origin: Origin | None

    @property
    def kind(self) -> ResourceKind: ...
    @property
    def address(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def parent_address(self) -> str | None: ...


def ancestors(address: str) -> list[str]:
    """Addresses above `address`, outermost first: g/d/v -> [g, g/d]."""
    parts = address.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def resource_key(address: str) -> str:
    """ARM names are case-insensitive: resources match by their lower-cased address."""
    return address.lower()


def version_key(name: str) -> tuple[int, ...]:
    """Numeric ordering of version names: 1.0.10 sorts after 1.0.9, 10.0.0 after 9.0.0.

    Names that are not three integers (never valid in Azure) sort first rather than raise.
    """
    try:
        return tuple(int(p) for p in name.split("."))
    except ValueError:
        return (-1,)


@dataclass(frozen=True)
class ResourceGroup:
    """A resource group the manifests' scopes name; created only when a scope says createResourceGroup."""

    subscription_id: str
    name: str
    location: str | None = None
    create: bool = False
    """Create the group if missing; otherwise a missing group is an error."""


@dataclass(frozen=True)
class Policy:
    """What the manifests allow apply to do beyond create and update (flags can only widen it)."""

    allow_replace: bool = False
    prune: bool = False
    allow_community: bool = False
    """Enabling community sharing (`/share` EnableCommunity) is allowed (`settings.allowCommunity`)."""
    bypass_soft_delete: bool = False
    """Versions are deleted for good even where the gallery's soft delete keeps them (`settings.bypassSoftDelete`)."""
    prune_unmanaged: tuple[str, ...] = ()
    """Addresses of resources without the ownership tag that pruning may still delete (explicit opt-in)."""
    estate: str = DEFAULT_ESTATE
    """The estate these manifests are (`settings.estate`): only its resources are pruned, like kubectl's applyset.
    Two manifest trees sharing a resource group with different estates never prune each other."""
    max_retention_deletions: int = DEFAULT_MAX_RETENTION_DELETIONS
    """At most this many versions are deleted by retention rules in one run (`settings.maxRetentionDeletions`)."""
    adopt: bool = False
    """`settings.adopt`: resources the manifests name that exist without an ownership tag (made by hand or another
    tool) are adopted: apply adds the tag. Without it their changes are blocked and the plan says why."""


@dataclass(frozen=True)
class DesiredState:
    """Everything the manifests declare: resources in hierarchy order, each level sorted by address.

    `resources` holds every gallery, definition and version (any kind of `reconciler.kinds`); the
    per-kind views (`of`, and the shorthands `galleries`, `definitions`, `versions`) filter it.
    """

    resource_groups: tuple[ResourceGroup, ...] = ()
    resources: tuple[Any, ...] = ()
    policy: Policy = field(default_factory=Policy)

    def of(self, kind: ResourceKind) -> tuple[Any, ...]:
        """The resources of one kind, in order."""
        return tuple(r for r in self.resources if r.kind is kind)

    @property
    def galleries(self) -> tuple[Any, ...]:
        from reconciler.kinds import GALLERY

        return self.of(GALLERY)

    @property
    def definitions(self) -> tuple[Any, ...]:
        from reconciler.kinds import IMAGE_DEFINITION

        return self.of(IMAGE_DEFINITION)

    @property
    def versions(self) -> tuple[Any, ...]:
        from reconciler.kinds import IMAGE_VERSION

        return self.of(IMAGE_VERSION)

    def by_key(self) -> dict[str, Any]:
        """Every resource by `resource_key(address)`."""
        return {resource_key(r.address): r for r in self.resources}


def desired_state(
    resources: Iterable[Any], resource_groups: Iterable[ResourceGroup] = (), policy: Policy | None = None
) -> DesiredState:
    """A DesiredState with resources sorted into hierarchy order (each kind's `sort_key` within a level)."""
    ordered = sorted(resources, key=lambda r: (r.kind.depth, r.kind.sort_key(r)))
    groups = sorted(resource_groups, key=lambda g: g.name.lower())
    return DesiredState(tuple(groups), tuple(ordered), policy or Policy())
