"""The desired-state model: immutable galleries, image definitions and image versions with normalised values.

Both sides of a plan are expressed in these types: the manifests build the desired state
(`reconciler.build`) and live Azure resources are read into the same shapes (`reconciler.live`),
so the diff compares like with like. Values are normalised on the way in: regions folded to ARM's
programmatic names, enums in Azure's canonical case, dates as aware UTC datetimes, collections
sorted by their natural key. `None` means "the manifest does not say"; how that compares to what
Azure fills in is the diff's business, not the model's.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

Tags = tuple[tuple[str, str], ...]
"""Tags as sorted (name, value) pairs, so the model stays hashable and order-free."""

OWNERSHIP_TAG = ("gallery-reconciler", "managed")
"""Marks resources this tool created or adopted; only these are ever pruned."""

DIGEST_TAG = "gallery-reconciler-digest"
"""Digest of the managed fields as last applied: lets a plan tell drift (Azure changed) from a manifest edit.

Written by apply, read by the diff, and kept out of the model's tags (it is bookkeeping, not desired state).
"""

DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
"""The embedded emulator's subscription, used when nothing names an Azure subscription."""


def freeze_tags(tags: Mapping[str, str] | None) -> Tags:
    return tuple(sorted((tags or {}).items()))


class Kind(str, enum.Enum):
    GALLERY = "gallery"
    DEFINITION = "definition"
    VERSION = "version"


class SourceKind(str, enum.Enum):
    """Where an image version's OS (or a data disk) comes from. Values are the manifest's keys."""

    VIRTUAL_MACHINE = "virtualMachine"
    MANAGED_IMAGE = "managedImage"
    GALLERY_IMAGE_VERSION = "galleryImageVersion"
    SNAPSHOT = "snapshot"
    DISK = "disk"
    VHD = "vhd"


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


@dataclass(frozen=True)
class DataDisk:
    lun: int
    source: Source
    host_caching: str | None = None


@dataclass(frozen=True)
class RegionEncryption:
    """Disk encryption set ids for one target region."""

    os_disk_encryption_set_id: str | None = None
    data_disk_encryption_set_ids: tuple[tuple[int, str], ...] = ()
    """(lun, disk encryption set id) pairs, sorted by lun."""


@dataclass(frozen=True)
class TargetRegion:
    name: str
    """Folded programmatic name ("eastus2"), whatever spelling the user or ARM wrote."""
    replica_count: int | None = None
    storage_account_type: str | None = None
    exclude_from_latest: bool | None = None
    encryption: RegionEncryption | None = None


@dataclass(frozen=True)
class Identifier:
    publisher: str
    offer: str
    sku: str


@dataclass(frozen=True)
class PurchasePlan:
    name: str
    product: str
    publisher: str


@dataclass(frozen=True)
class Range:
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class Feature:
    """An image definition feature as ARM stores it (`SecurityType`, `IsAcceleratedNetworkSupported`, ...).

    Values are normalised so that spellings ARM treats as equal compare equal: booleans as
    "True"/"False", DiskControllerTypes as a sorted comma list.
    """

    name: str
    value: str


_FEATURE_NAMES = {
    n.lower(): n
    for n in ("SecurityType", "IsAcceleratedNetworkSupported", "IsHibernateSupported", "DiskControllerTypes")
}
_SECURITY_TYPES = {
    v.lower(): v
    for v in (
        "Standard",
        "TrustedLaunch",
        "TrustedLaunchSupported",
        "ConfidentialVM",
        "ConfidentialVmSupported",
        "TrustedLaunchAndConfidentialVmSupported",
    )
}
_DISK_CONTROLLERS = {"scsi": "SCSI", "nvme": "NVMe"}


def normalise_feature(name: str, value: str) -> Feature:
    """One canonical spelling per feature, so a manifest and ARM's echo of it compare equal.

    ARM echoes feature values in varying case ("true", "True"); controller lists in any order.
    Canonical forms: booleans "True"/"False", security types in ARM's documented case,
    DiskControllerTypes as "SCSI, NVMe" order (SCSI first, as ARM documents it).
    Unknown names and values pass through unchanged.
    """
    canonical = _FEATURE_NAMES.get(name.lower(), name)
    text = str(value).strip()
    if canonical in ("IsAcceleratedNetworkSupported", "IsHibernateSupported"):
        if text.lower() in ("true", "false"):
            text = text.capitalize()
    elif canonical == "SecurityType":
        text = _SECURITY_TYPES.get(text.lower(), text)
    elif canonical == "DiskControllerTypes":
        parts = [p.strip() for p in text.split(",") if p.strip()]
        known = [_DISK_CONTROLLERS.get(p.lower(), p) for p in parts]
        order = {"SCSI": 0, "NVMe": 1}
        text = ", ".join(sorted(dict.fromkeys(known), key=lambda p: (order.get(p, 2), p)))
    return Feature(canonical, text)


def arm_id(subscription_id: str, resource_group: str, *segments: str) -> str:
    """The ARM id of a gallery resource, from its gallery / image / version names."""
    kinds = ("galleries", "images", "versions")
    path = "/".join(f"{k}/{n}" for k, n in zip(kinds, segments, strict=False))
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Compute/{path}"


@dataclass(frozen=True)
class Gallery:
    subscription_id: str
    resource_group: str
    name: str
    location: str
    description: str | None = None
    tags: Tags = ()
    soft_delete: bool | None = None
    """Room for the gallery soft-delete policy; None = not managed."""
    origin: Origin | None = field(default=None, compare=False, hash=False, repr=False)

    kind = Kind.GALLERY

    @property
    def address(self) -> str:
        return self.name

    @property
    def id(self) -> str:
        return arm_id(self.subscription_id, self.resource_group, self.name)

    @property
    def parent_address(self) -> str | None:
        return None


@dataclass(frozen=True)
class ImageDefinition:
    subscription_id: str
    resource_group: str
    gallery: str
    name: str
    location: str
    identifier: Identifier
    os_type: str
    """"Linux" or "Windows"."""
    os_state: str
    """"Generalized" or "Specialized"."""
    hyper_v_generation: str | None = None
    architecture: str | None = None
    features: tuple[Feature, ...] = ()
    """Sorted by name; derived from the manifest's `features` block (security type and the rest)."""
    purchase_plan: PurchasePlan | None = None
    description: str | None = None
    eula: str | None = None
    privacy_statement_uri: str | None = None
    release_note_uri: str | None = None
    end_of_life_date: datetime | None = None
    no_end_of_life_date: bool = False
    """The manifest says `endOfLifeDate: null`: there must be none (unlike unset, which leaves Azure's)."""
    recommended_vcpus: Range | None = None
    recommended_memory: Range | None = None
    disallowed_disk_types: tuple[str, ...] | None = None
    tags: Tags = ()
    origin: Origin | None = field(default=None, compare=False, hash=False, repr=False)

    kind = Kind.DEFINITION

    @property
    def address(self) -> str:
        return f"{self.gallery}/{self.name}"

    @property
    def id(self) -> str:
        return arm_id(self.subscription_id, self.resource_group, self.gallery, self.name)

    @property
    def parent_address(self) -> str | None:
        return self.gallery


@dataclass(frozen=True)
class ImageVersion:
    subscription_id: str
    resource_group: str
    gallery: str
    definition: str
    name: str
    location: str
    source: Source | None = None
    """The OS source; None only for a version read from Azure whose source is not visible."""
    os_disk_host_caching: str | None = None
    data_disks: tuple[DataDisk, ...] = ()
    target_regions: tuple[TargetRegion, ...] = ()
    """Sorted by folded region name: target regions are a set."""
    replica_count: int | None = None
    storage_account_type: str | None = None
    exclude_from_latest: bool | None = None
    end_of_life_date: datetime | None = None
    no_end_of_life_date: bool = False
    """The manifest says `endOfLifeDate: null`: there must be none (unlike unset, which leaves Azure's)."""
    replication_mode: str | None = None
    allow_deletion_of_replicated_locations: bool | None = None
    block_deletion_before_end_of_life: bool | None = None
    tags: Tags = ()
    origin: Origin | None = field(default=None, compare=False, hash=False, repr=False)

    kind = Kind.VERSION

    @property
    def address(self) -> str:
        return f"{self.gallery}/{self.definition}/{self.name}"

    @property
    def id(self) -> str:
        return arm_id(self.subscription_id, self.resource_group, self.gallery, self.definition, self.name)

    @property
    def parent_address(self) -> str | None:
        return f"{self.gallery}/{self.definition}"

    @property
    def version_key(self) -> tuple[int, int, int]:
        return version_key(self.name)


def version_key(name: str) -> tuple[int, int, int]:
    """Numeric ordering of version names: 1.0.10 sorts after 1.0.9."""
    major, minor, patch = (int(p) for p in name.split("."))
    return major, minor, patch


Resource = Gallery | ImageDefinition | ImageVersion


def ancestors(address: str) -> list[str]:
    """Addresses above `address`, outermost first: g/d/v -> [g, g/d]."""
    parts = address.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def resource_key(address: str) -> str:
    """ARM names are case-insensitive: resources match by their lower-cased address."""
    return address.lower()


@dataclass(frozen=True)
class ResourceGroup:
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
    prune_unmanaged: tuple[str, ...] = ()
    """Addresses of resources without the ownership tag that pruning may still delete (explicit opt-in)."""


@dataclass(frozen=True)
class DesiredState:
    """Everything the manifests declare, flattened and sorted by address."""

    resource_groups: tuple[ResourceGroup, ...] = ()
    galleries: tuple[Gallery, ...] = ()
    definitions: tuple[ImageDefinition, ...] = ()
    versions: tuple[ImageVersion, ...] = ()
    policy: Policy = field(default_factory=Policy)

    def resources(self) -> Iterable[Resource]:
        yield from self.galleries
        yield from self.definitions
        yield from self.versions

    def by_key(self) -> dict[str, Resource]:
        return {resource_key(r.address): r for r in self.resources()}
