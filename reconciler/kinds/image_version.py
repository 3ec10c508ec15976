"""Image versions (`Microsoft.Compute/galleries/images/versions`): the model, fields, bodies and reads.

Sources: REST spec GalleryRP 2025-03-03 (`GalleryImageVersion`, `GalleryImageVersionUpdate`,
`TargetRegion`, `AdditionalReplicaSet` from api-version 2024-03-03), API-FACTS §3 (updatable
properties), §4.1 (replication), §5.3 (errors). Target regions are a set keyed by folded name.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from reconciler.core import arm_json as aj
from reconciler.core import model as m
from reconciler.core.changes import FieldChange
from reconciler.core.keyed import Keyed
from reconciler.core.reasons import FieldReason, Reason
from reconciler.core.redact import without_query
from reconciler.core.regions import display_name, fold_region, supports_zrs
from reconciler.kinds.base import (
    ExportContext,
    Field,
    NotExportable,
    ResourceKind,
    future_date,
    manifest_tags,
)
from reconciler.kinds.gallery import gallery_id
from reconciler.kinds.image_definition import end_of_life_removal

if TYPE_CHECKING:
    from reconciler.core.live_state import LiveResource
    from reconciler.kinds.image_definition import ImageDefinition
    from reconciler.manifest.build import Builder
    from reconciler.manifest.bundle import Declared

REGIONS = "publishingProfile.targetRegions"
DATA_DISKS = "storageProfile.dataDiskImages"


@dataclass(frozen=True)
class DataDisk:
    """A data disk image: its LUN, its source, and host caching.

    `source` is None for a disk Azure derives from a VM or managed-image source (returned with a LUN and a
    size but no source of its own, as the recordings show): a read-only fact of the version, never diffed.
    """

    lun: int
    source: m.Source | None
    host_caching: str | None = None


@dataclass(frozen=True)
class RegionEncryption:
    """Disk encryption set ids for one target region."""

    os_disk_encryption_set_id: str | None = None
    data_disk_encryption_set_ids: tuple[tuple[int, str], ...] = ()
    """(lun, disk encryption set id) pairs, sorted by lun."""


@dataclass(frozen=True)
class AdditionalReplicaSet:
    """Extra replicas of one storage type in a target region (direct-drive replicas, api-version 2024-03-03+)."""

    storage_account_type: str
    regional_replica_count: int | None = None


@dataclass(frozen=True)
class TargetRegion:
    name: str
    """Folded programmatic name ("eastus2"), whatever spelling the user or ARM wrote."""
    replica_count: int | None = None
    storage_account_type: str | None = None
    exclude_from_latest: bool | None = None
    encryption: RegionEncryption | None = None
    additional_replica_sets: tuple[AdditionalReplicaSet, ...] | None = None
    """Sorted by storage type; None = not managed (the manifest does not mention them)."""


@dataclass(frozen=True)
class ImageVersion:
    """An image version as the manifests want it or as Azure has it."""

    subscription_id: str
    resource_group: str
    gallery: str
    definition: str
    name: str
    location: str
    source: m.Source | None = None
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
    tags: m.Tags = ()
    published_date: datetime | None = field(default=None, compare=False, hash=False, repr=False)
    """When Azure published it (`publishingProfile.publishedDate`, read-only): live only, never compared."""
    promote_when_replicated: bool = field(default=False, compare=False, hash=False, repr=False)
    """Set by the promotion rule (`core.lifecycle`) on a version published excluded from latest: once apply has
    seen it replicate to every target region, it clears `excludeFromLatest`. Not an Azure property."""
    origin: m.Origin | None = field(default=None, compare=False, hash=False, repr=False)
    property_origins: tuple[tuple[str, m.Origin], ...] = field(default=(), compare=False, hash=False, repr=False)
    """Where `source`, `dataDisks` and `targetRegions` are written, for plan-time checks of the source."""

    def origin_of(self, prop: str) -> m.Origin | None:
        """Where a property is written, else where the version is."""
        return dict(self.property_origins).get(prop, self.origin)

    @property
    def kind(self) -> ImageVersionKind:
        return IMAGE_VERSION

    @property
    def address(self) -> str:
        return f"{self.gallery}/{self.definition}/{self.name}"

    @property
    def id(self) -> str:
        return gallery_id(self.subscription_id, self.resource_group, self.gallery, self.definition, self.name)

    @property
    def parent_address(self) -> str | None:
        return f"{self.gallery}/{self.definition}"

    @property
    def version_key(self) -> tuple[int, ...]:
        return m.version_key(self.name)


# ---------------------------------------------------------------- projections shared by fields and bodies


def _source_json(s: m.Source | None) -> dict[str, Any] | None:
    if s is None:
        return None
    out: dict[str, Any] = {"kind": s.kind.value}
    if s.id:
        out["id"] = s.id
    if s.uri:
        # A VHD URI's query is its SAS: a credential that rotates, not the blob's identity. Compared and shown
        # without it (a rotated SAS is no change); the create body still sends the full URI (`_disk_source_body`).
        out["uri"] = without_query(s.uri)
    if s.storage_account_id:
        out["storageAccountId"] = s.storage_account_id
    return out


def _encryption_json(enc: RegionEncryption | None) -> dict[str, Any] | None:
    if enc is None:
        return None
    return {
        "osDiskImage": enc.os_disk_encryption_set_id,
        "dataDiskImages": Keyed({f"lun={lun}": des for lun, des in enc.data_disk_encryption_set_ids}),
    }


def _replica_sets_json(sets: tuple[AdditionalReplicaSet, ...] | None) -> Keyed | None:
    if sets is None:
        return None
    return Keyed({s.storage_account_type: {"regionalReplicaCount": s.regional_replica_count or 1} for s in sets})


def _region_summary(r: TargetRegion, version: ImageVersion) -> dict[str, Any]:
    count = r.replica_count if r.replica_count is not None else (version.replica_count or 1)
    out: dict[str, Any] = {"regionalReplicaCount": count}
    if r.storage_account_type or version.storage_account_type:
        out["storageAccountType"] = r.storage_account_type or version.storage_account_type
    if r.additional_replica_sets:
        out["additionalReplicaSets"] = _replica_sets_json(r.additional_replica_sets)
    return out


def _region_of(path: str) -> str | None:
    if path.startswith(REGIONS + "["):
        return path[len(REGIONS) + 1 : path.index("]")]
    return None


def _encryption_body(e: RegionEncryption | None) -> aj.JSON | None:
    if e is None:
        return None
    return {
        "osDiskImage": {"diskEncryptionSetId": e.os_disk_encryption_set_id} if e.os_disk_encryption_set_id else None,
        "dataDiskImages": [{"lun": lun, "diskEncryptionSetId": des} for lun, des in e.data_disk_encryption_set_ids]
        or None,
    }


def target_region_body(r: TargetRegion) -> aj.JSON:
    """One `targetRegions` entry as ARM takes it (display name, as the az CLI sends it)."""
    sets = r.additional_replica_sets
    return aj.drop_none(
        {
            "name": display_name(r.name),
            "regionalReplicaCount": r.replica_count,
            "storageAccountType": r.storage_account_type,
            "excludeFromLatest": r.exclude_from_latest,
            "encryption": _encryption_body(r.encryption),
            "additionalReplicaSets": [
                {"storageAccountType": s.storage_account_type, "regionalReplicaCount": s.regional_replica_count}
                for s in sets
            ]
            if sets is not None
            else None,
        }
    )


def _disk_source_body(s: m.Source) -> aj.JSON:
    if s.kind is m.SourceKind.VHD:
        return {"uri": s.uri, "storageAccountId": s.storage_account_id}
    return {"id": s.id}


def storage_profile_body(v: ImageVersion) -> aj.JSON:
    """`storageProfile` for a create: the OS source where ARM expects each kind, then the data disks."""
    storage: aj.JSON = {}
    os_disk: aj.JSON = {}
    src = v.source
    if src is not None:
        if src.kind is m.SourceKind.VIRTUAL_MACHINE:
            storage["source"] = {"virtualMachineId": src.id}
        elif src.kind in (m.SourceKind.MANAGED_IMAGE, m.SourceKind.GALLERY_IMAGE_VERSION):
            storage["source"] = {"id": src.id}
        else:
            os_disk["source"] = _disk_source_body(src)
    if v.os_disk_host_caching:
        os_disk["hostCaching"] = v.os_disk_host_caching
    if os_disk:
        storage["osDiskImage"] = os_disk
    if v.data_disks:
        storage["dataDiskImages"] = [
            aj.drop_none(
                {
                    "lun": d.lun,
                    "hostCaching": d.host_caching,
                    "source": _disk_source_body(d.source) if d.source else None,
                }
            )
            for d in v.data_disks
        ]
    return storage


def _strip_read_only_storage(storage: aj.JSON) -> aj.JSON:
    """The live storage profile minus read-only sizes: resent unchanged so PATCH changes no immutable field."""
    clean = json.loads(json.dumps(storage))
    for disk in [clean.get("osDiskImage") or {}, *(clean.get("dataDiskImages") or [])]:
        disk.pop("sizeInGB", None)
    return clean


def _disk_source(source: Any) -> m.Source | None:
    if not source:
        return None
    if source.get("uri"):
        return m.Source(m.SourceKind.VHD, uri=source["uri"], storage_account_id=source.get("storageAccountId"))
    if source.get("id"):
        return aj.source_from_id(source["id"], m.SourceKind.SNAPSHOT)
    return None


def _encryption(value: Any) -> RegionEncryption | None:
    if not value:
        return None
    os_des = (value.get("osDiskImage") or {}).get("diskEncryptionSetId")
    data = tuple(
        sorted(
            (int(d["lun"]), d["diskEncryptionSetId"])
            for d in value.get("dataDiskImages") or []
            if d.get("diskEncryptionSetId")
        )
    )
    if not os_des and not data:
        return None
    return RegionEncryption(os_disk_encryption_set_id=os_des, data_disk_encryption_set_ids=data)


def _published(value: Any) -> datetime | None:
    """`publishedDate` as an aware datetime; None when absent or not a date (a read-only fact: never fatal)."""
    try:
        return aj.parse_datetime(value)
    except (TypeError, ValueError):
        return None


def _replica_sets(value: Any) -> tuple[AdditionalReplicaSet, ...] | None:
    if value is None:
        return None
    return tuple(
        sorted(
            (AdditionalReplicaSet(s["storageAccountType"], s.get("regionalReplicaCount")) for s in value),
            key=lambda s: s.storage_account_type.lower(),
        )
    )


# ---------------------------------------------------------------- model -> manifest

OS_DISK_HOST_CACHING = "ReadWrite"
DATA_DISK_HOST_CACHING = "ReadOnly"
"""What Azure gives an OS disk and a data disk given without host caching (recordings/azure-cli
test_image_version_create_for_diff_source.yaml, test_gallery_image_version_vhd.yaml)."""

_DISK_KINDS = (m.SourceKind.SNAPSHOT, m.SourceKind.DISK, m.SourceKind.VHD)


def default_storage_type(region: str) -> str:
    """The storage type a region of a version created without one gets at GALLERY_API_VERSION.

    From api-version 2025-03-03 the default is the `PreferStandard_ZRS` strategy (spec 2025-03-03
    `StorageAccountStrategy`, API-FACTS §3): Standard_ZRS where the region has zone-redundant storage,
    Standard_LRS elsewhere.
    """
    return "Standard_ZRS" if supports_zrs(region) else "Standard_LRS"


def _source_manifest(source: m.Source, context: ExportContext) -> dict[str, Any]:
    kind = source.kind
    if kind is m.SourceKind.VHD:
        if not source.uri or not source.storage_account_id:
            raise NotExportable("its VHD source has no storage account in Azure's answer")
        account = context.reference("storageAccount", source.storage_account_id)
        # The blob's identity: a SAS query is access to it, never written (the plan compares without it too).
        return {"vhd": {"uri": without_query(source.uri), "storageAccount": account}}
    if not source.id:
        raise NotExportable(f"its {kind.value} source has no id in Azure's answer")
    if kind is m.SourceKind.GALLERY_IMAGE_VERSION:
        return {kind.value: context.version_source(source.id)}
    return {kind.value: context.reference(kind.value, source.id)}


def _region_manifest(r: TargetRegion, v: ImageVersion, context: ExportContext) -> str | dict[str, Any]:
    """One target region: the az CLI shorthand when it says everything, the structured form otherwise."""
    from reconciler.manifest.regions_syntax import RegionSpec, canonical_storage_type, format_target_region

    default_count = v.replica_count or 1
    replicas = r.replica_count if r.replica_count not in (None, default_count) else None
    storage = canonical_storage_type(r.storage_account_type or "") or r.storage_account_type
    default_storage = canonical_storage_type(v.storage_account_type or "") or default_storage_type(r.name)
    if storage == default_storage:
        storage = None
    out: dict[str, Any] = {"name": r.name}
    if replicas is not None:
        out["replicas"] = replicas
    if storage is not None:
        out["storageAccountType"] = storage
    if r.exclude_from_latest:
        out["excludeFromLatest"] = True
    if r.encryption is not None:
        enc = r.encryption
        encryption: dict[str, Any] = {}
        if enc.os_disk_encryption_set_id:
            encryption["osDiskEncryptionSet"] = context.reference("diskEncryptionSet", enc.os_disk_encryption_set_id)
        if enc.data_disk_encryption_set_ids:
            encryption["dataDiskEncryptionSets"] = {
                lun: context.reference("diskEncryptionSet", des) for lun, des in enc.data_disk_encryption_set_ids
            }
        out["encryption"] = encryption
    if r.additional_replica_sets:
        out["additionalReplicaSets"] = [
            {"storageAccountType": s.storage_account_type}
            | ({"replicas": s.regional_replica_count} if (s.regional_replica_count or 1) != 1 else {})
            for s in r.additional_replica_sets
        ]
    if set(out) <= {"name", "replicas", "storageAccountType"}:
        # Exact: the shorthand's replica count is the region's own, which equals the default when left out.
        count = (r.replica_count or default_count) if storage is not None else replicas
        return format_target_region(RegionSpec(r.name, count, storage))
    return out


class ImageVersionKind(ResourceKind):
    name = "version"
    depth = 2
    arm_type = "Microsoft.Compute/galleries/images/versions"
    manifest_key = "versions"
    list_segment = "versions"
    sdk_group = "gallery_image_versions"
    model = ImageVersion

    def sort_key(self, resource: ImageVersion) -> Any:
        return (m.resource_key(resource.parent_address or ""), resource.version_key)

    # ------------------------------------------------------------------ manifests -> model

    def _target_region(self, builder: Builder, item: str | dict[str, Any], group: str) -> TargetRegion:
        from reconciler.manifest.normalise import region_entry
        from reconciler.manifest.regions_syntax import canonical_storage_type

        entry = region_entry(item)
        encryption = None
        if entry.encryption:
            data_sets = entry.encryption.get("dataDiskEncryptionSets") or {}
            os_set = entry.encryption.get("osDiskEncryptionSet")
            encryption = RegionEncryption(
                os_disk_encryption_set_id=builder.reference("diskEncryptionSet", os_set, group) if os_set else None,
                data_disk_encryption_set_ids=tuple(
                    sorted(
                        (int(lun), builder.reference("diskEncryptionSet", des, group)) for lun, des in data_sets.items()
                    )
                ),
            )
        raw_sets = item.get("additionalReplicaSets") if isinstance(item, dict) else None
        sets = (
            tuple(
                sorted(
                    (
                        AdditionalReplicaSet(canonical_storage_type(s["storageAccountType"]), s.get("replicas"))
                        for s in raw_sets
                    ),
                    key=lambda s: s.storage_account_type.lower(),
                )
            )
            if raw_sets is not None
            else None
        )
        return TargetRegion(
            name=fold_region(entry.name),
            replica_count=entry.replicas,
            storage_account_type=entry.storage_account_type,
            exclude_from_latest=entry.exclude_from_latest,
            encryption=encryption,
            additional_replica_sets=sets,
        )

    def from_manifest(self, builder: Builder, node: Declared) -> ImageVersion:
        from reconciler.manifest.bundle import definition_location

        props = node.props
        definition = builder.parent_of(node)
        gallery = builder.parent_of(definition)
        group = builder.group(node)
        safety = props.get("safety") or {}
        eol = props.get("endOfLifeDate")
        disks = [
            DataDisk(d["lun"], builder.source(d["source"], group), d.get("hostCaching"))
            for d in props.get("dataDisks") or []
        ]
        return ImageVersion(
            subscription_id=builder.subscription,
            resource_group=group,
            gallery=gallery.name,
            definition=definition.name,
            name=node.name,
            location=fold_region(definition_location(definition) or ""),
            source=builder.source(props["source"], group),
            os_disk_host_caching=props.get("osDiskHostCaching"),
            data_disks=tuple(sorted(disks, key=lambda d: d.lun)),
            target_regions=tuple(
                sorted((self._target_region(builder, t, group) for t in props["targetRegions"]), key=lambda t: t.name)
            ),
            replica_count=props.get("replicaCount"),
            storage_account_type=props.get("storageAccountType"),
            exclude_from_latest=props.get("excludeFromLatest"),
            end_of_life_date=builder.date(eol),
            no_end_of_life_date="endOfLifeDate" in props and eol is None,
            replication_mode=props.get("replicationMode"),
            allow_deletion_of_replicated_locations=safety.get("allowDeletionOfReplicatedLocations"),
            block_deletion_before_end_of_life=safety.get("blockDeletionBeforeEndOfLife"),
            tags=builder.tags(node),
            origin=builder.origin(node),
            property_origins=builder.property_origins(node, "source", "dataDisks", "targetRegions"),
        )

    # ------------------------------------------------------------------ comparison

    def fields(self, v: ImageVersion) -> dict[str, Field]:
        default_count = v.replica_count if v.replica_count is not None else 1
        fields: dict[str, Field] = {
            "location": Field(v.location, mutable=False),
            # ARM ids are case-insensitive; a VHD URI is compared the same way (hosts and Azure blob paths are).
            "storageProfile.source": Field(_source_json(v.source), mutable=False, case_insensitive=True),
            "storageProfile.osDiskImage.hostCaching": Field(v.os_disk_host_caching, mutable=False),
            "publishingProfile.replicaCount": Field(v.replica_count, default=1),
            "publishingProfile.storageAccountType": Field(v.storage_account_type, mutable=False, case_insensitive=True),
            "publishingProfile.excludeFromLatest": Field(v.exclude_from_latest, default=False),
            "publishingProfile.endOfLifeDate": Field(aj.format_datetime(v.end_of_life_date)),
            "publishingProfile.replicationMode": Field(v.replication_mode, mutable=False, case_insensitive=True),
            # Updatable: the az CLI recordings show Azure switching it from false to true in place (200).
            "safetyProfile.allowDeletionOfReplicatedLocations": Field(v.allow_deletion_of_replicated_locations),
            "safetyProfile.blockDeletionBeforeEndOfLife": Field(v.block_deletion_before_end_of_life, default=False),
        }
        # Declared data disks are managed and immutable (adding, removing or re-sourcing one replaces the
        # version); derived ones (no source of their own) are facts of the source, not desired state.
        for disk in v.data_disks:
            if disk.source is None:
                continue
            base = f"{DATA_DISKS}[lun={disk.lun}]"
            fields[f"{base}.source"] = Field(_source_json(disk.source), mutable=False, case_insensitive=True)
            fields[f"{base}.hostCaching"] = Field(disk.host_caching, mutable=False, case_insensitive=True)
        for region in v.target_regions:
            base = f"{REGIONS}[{region.name}]"
            # A region's replica count falls back to the version's default, then to Azure's (1).
            fields[f"{base}.regionalReplicaCount"] = Field(region.replica_count, default=default_count)
            fields[f"{base}.storageAccountType"] = Field(
                region.storage_account_type or v.storage_account_type, mutable=False, case_insensitive=True
            )
            fields[f"{base}.excludeFromLatest"] = Field(region.exclude_from_latest, default=False)
            fields[f"{base}.encryption"] = Field(
                _encryption_json(region.encryption), mutable=False, case_insensitive=True
            )
            # Updatable in place ("This Property is updatable", spec 2025-03-03 AdditionalReplicaSet).
            fields[f"{base}.additionalReplicaSets"] = Field(
                _replica_sets_json(region.additional_replica_sets), case_insensitive=True
            )
        return fields

    def skip_field(self, path: str, desired: ImageVersion, live: LiveResource) -> bool:
        region = _region_of(path)
        # A new region is reported once by `extra_changes`, not field by field.
        return region is not None and region not in {r.name for r in live.resource.target_regions}

    def extra_changes(self, desired: ImageVersion, live: LiveResource) -> list[FieldChange]:
        live_version: ImageVersion = live.resource
        want = {r.name: r for r in desired.target_regions}
        have = {r.name: r for r in live_version.target_regions}
        out = [
            FieldChange(f"{REGIONS}[{name}]", None, _region_summary(want[name], desired))
            for name in sorted(set(want) - set(have))
        ]
        # The flag as it will be when the regions go: apply switches it first when the manifests allow it.
        allowed = (
            live_version.allow_deletion_of_replicated_locations is True
            or desired.allow_deletion_of_replicated_locations is True
        )
        # The safety profile protects replicated regions only: one that failed or is still replicating can go.
        unreplicated = {r.region for r in live.info.replication if r.state.lower() in ("failed", "replicating")}
        for name in sorted(set(have) - set(want)):
            removable = allowed or name in unreplicated
            out.append(
                FieldChange(
                    f"{REGIONS}[{name}]",
                    _region_summary(have[name], live_version),
                    None,
                    forces_replace=not removable,
                    reason=None if removable else FieldReason.REPLICATED_REGION_REMOVAL,
                )
            )
        declared = {d.lun for d in desired.data_disks if d.source is not None}
        for disk in live_version.data_disks:
            if disk.source is not None and disk.lun not in declared:
                out.append(
                    FieldChange(
                        f"{DATA_DISKS}[lun={disk.lun}]",
                        {"source": _source_json(disk.source), "hostCaching": disk.host_caching},
                        None,
                        forces_replace=True,
                        reason=FieldReason.IMMUTABLE,
                    )
                )
        return out + end_of_life_removal("publishingProfile.endOfLifeDate", desired, live_version)

    def extra_creation_changes(self, desired: ImageVersion) -> list[FieldChange]:
        return []

    def preparatory_update(self, desired: ImageVersion, live: ImageVersion) -> ImageVersion | None:
        """The update to send first when this one removes replicated regions and only the manifests allow it.

        Azure checks `allowDeletionOfReplicatedLocations` as the version has it, so the flag goes in
        first (with the live regions), and the regions go in the second update.
        """
        removing = {r.name for r in live.target_regions} - {r.name for r in desired.target_regions}
        if not removing or live.allow_deletion_of_replicated_locations is True:
            return None
        if desired.allow_deletion_of_replicated_locations is not True:
            return None
        return dataclasses.replace(desired, target_regions=live.target_regions)

    def health(self, live: LiveResource) -> tuple[Reason, tuple[str, ...]] | None:
        failed = tuple(r.region for r in live.info.replication if r.state.lower() == "failed")
        if failed:
            return Reason.REPLICATION_FAILED, failed
        if (live.info.provisioning_state or "").lower() == "failed":
            return Reason.LAST_OPERATION_FAILED, ()
        return None

    def depends_on(self, resource: ImageVersion) -> tuple[str, ...]:
        if resource.source is not None and resource.source.address:
            return (resource.source.address,)
        return ()

    # ------------------------------------------------------------------ model -> manifest

    def to_manifest(self, v: ImageVersion, context: ExportContext) -> dict[str, Any]:
        """Source, disks, regions, and what differs from Azure's defaults.

        Left out: data disks Azure derives from a VM, image or version source (not settable) and the host
        caching of such sources; host caching equal to Azure's default; replica counts equal to the default
        (1, or the version's for a region); a region's storage type equal to the version's, or when the
        version has none to what Azure gives the region today (`default_storage_type`); false flags; Full
        replication; past end-of-life dates. The target regions start with the version's own.
        """
        from reconciler.manifest.regions_syntax import canonical_storage_type

        if v.source is None:
            raise NotExportable("its source is not visible in Azure's answer")
        out: dict[str, Any] = {"source": _source_manifest(v.source, context)}
        from_disks = v.source.kind in _DISK_KINDS
        if from_disks and v.os_disk_host_caching not in (None, OS_DISK_HOST_CACHING):
            out["osDiskHostCaching"] = v.os_disk_host_caching
        disks = []
        for disk in v.data_disks:
            if disk.source is None:
                continue
            entry: dict[str, Any] = {"lun": disk.lun}
            if disk.host_caching not in (None, DATA_DISK_HOST_CACHING):
                entry["hostCaching"] = disk.host_caching
            source = _source_manifest(disk.source, context)
            (kind,) = source
            if kind not in ("snapshot", "disk", "vhd"):
                raise NotExportable(f"its data disk at LUN {disk.lun} has a {kind} source")
            entry["source"] = source
            disks.append(entry)
        if disks:
            out["dataDisks"] = disks
        regions = sorted(v.target_regions, key=lambda r: (r.name != v.location, r.name))
        out["targetRegions"] = [_region_manifest(r, v, context) for r in regions]
        if v.replica_count not in (None, 1):
            out["replicaCount"] = v.replica_count
        if v.storage_account_type:
            out["storageAccountType"] = canonical_storage_type(v.storage_account_type) or v.storage_account_type
        if v.exclude_from_latest:
            out["excludeFromLatest"] = True
        if eol := future_date(context, v, "endOfLifeDate", v.end_of_life_date):
            out["endOfLifeDate"] = eol
        if v.replication_mode and v.replication_mode.lower() != "full":
            out["replicationMode"] = "Shallow" if v.replication_mode.lower() == "shallow" else v.replication_mode
        safety = {
            key: True
            for key, value in (
                ("allowDeletionOfReplicatedLocations", v.allow_deletion_of_replicated_locations),
                ("blockDeletionBeforeEndOfLife", v.block_deletion_before_end_of_life),
            )
            if value
        }
        if safety:
            out["safety"] = safety
        if tags := manifest_tags(v.tags):
            out["tags"] = tags
        return out

    # ------------------------------------------------------------------ model -> ARM

    def create_body(self, v: ImageVersion) -> aj.JSON:
        safety = {
            "allowDeletionOfReplicatedLocations": v.allow_deletion_of_replicated_locations,
            "blockDeletionBeforeEndOfLife": v.block_deletion_before_end_of_life,
        }
        return aj.drop_none(
            {
                "location": v.location,
                "tags": dict(v.tags),
                "properties": {
                    "publishingProfile": {
                        "targetRegions": [target_region_body(r) for r in v.target_regions],
                        "replicaCount": v.replica_count,
                        "storageAccountType": v.storage_account_type,
                        "excludeFromLatest": v.exclude_from_latest,
                        "endOfLifeDate": aj.format_datetime(v.end_of_life_date),
                        "replicationMode": v.replication_mode,
                    },
                    "storageProfile": storage_profile_body(v),
                    "safetyProfile": safety,
                },
            }
        )

    def patch_body(self, desired: ImageVersion, live_body: aj.JSON) -> aj.JSON:
        """The minimal PATCH for a version: mutable fields from the manifest, immutable ones as Azure has them.

        Each region that exists keeps the storage account type Azure reports for it: resending a
        different one (or the global default in its place) is refused by the service. A region whose
        additional replica sets the manifest leaves unmanaged keeps Azure's.
        """
        live_props = live_body.get("properties") or {}
        live_pub = live_props.get("publishingProfile") or {}
        live_regions = {fold_region(r["name"]): r for r in live_pub.get("targetRegions") or []}
        regions = []
        for region in desired.target_regions:
            body = target_region_body(region)
            existing = live_regions.get(region.name)
            if existing is not None:
                if existing.get("storageAccountType"):
                    body["storageAccountType"] = existing["storageAccountType"]
                if existing.get("encryption") and "encryption" not in body:
                    body["encryption"] = existing["encryption"]
                if region.additional_replica_sets is None and existing.get("additionalReplicaSets"):
                    body["additionalReplicaSets"] = existing["additionalReplicaSets"]
            regions.append(body)
        publishing: aj.JSON = {"targetRegions": regions}
        publishing["replicaCount"] = desired.replica_count if desired.replica_count is not None else 1
        publishing["excludeFromLatest"] = bool(desired.exclude_from_latest)
        if desired.end_of_life_date is not None:
            publishing["endOfLifeDate"] = aj.format_datetime(desired.end_of_life_date)
        properties: aj.JSON = {
            "publishingProfile": publishing,
            "storageProfile": _strip_read_only_storage(live_props.get("storageProfile") or {}),
        }
        safety = {
            "allowDeletionOfReplicatedLocations": desired.allow_deletion_of_replicated_locations,
            "blockDeletionBeforeEndOfLife": desired.block_deletion_before_end_of_life,
        }
        if any(value is not None for value in safety.values()):
            properties["safetyProfile"] = {k: v for k, v in safety.items() if v is not None}
        return {"tags": dict(desired.tags), "properties": properties}

    # ------------------------------------------------------------------ ARM -> model

    def from_arm(self, parent: ImageDefinition, body: aj.JSON) -> tuple[ImageVersion, aj.LiveInfo]:
        props = body.get("properties") or {}
        pub = props.get("publishingProfile") or {}
        storage = props.get("storageProfile") or {}
        safety = props.get("safetyProfile") or {}
        os_disk = storage.get("osDiskImage") or {}
        top = storage.get("source") or {}
        source: m.Source | None
        if top.get("virtualMachineId"):
            source = m.Source(m.SourceKind.VIRTUAL_MACHINE, id=top["virtualMachineId"])
        elif top.get("id"):
            source = aj.source_from_id(top["id"], m.SourceKind.MANAGED_IMAGE)
        else:
            source = _disk_source(os_disk.get("source"))
        data_disks = tuple(
            sorted(
                (
                    DataDisk(
                        lun=int(d["lun"]),
                        source=_disk_source(d.get("source")),
                        host_caching=d.get("hostCaching"),
                    )
                    for d in storage.get("dataDiskImages") or []
                ),
                key=lambda d: d.lun,
            )
        )
        regions = tuple(
            sorted(
                (
                    TargetRegion(
                        name=fold_region(r["name"]),
                        replica_count=r.get("regionalReplicaCount"),
                        storage_account_type=r.get("storageAccountType"),
                        exclude_from_latest=aj.as_bool(r.get("excludeFromLatest")),
                        encryption=_encryption(r.get("encryption")),
                        additional_replica_sets=_replica_sets(r.get("additionalReplicaSets")),
                    )
                    for r in pub.get("targetRegions") or []
                ),
                key=lambda r: r.name,
            )
        )
        version = ImageVersion(
            subscription_id=parent.subscription_id,
            resource_group=parent.resource_group,
            gallery=parent.gallery,
            definition=parent.name,
            name=body["name"],
            location=fold_region(body.get("location", "")),
            source=source,
            os_disk_host_caching=os_disk.get("hostCaching"),
            data_disks=data_disks,
            target_regions=regions,
            replica_count=pub.get("replicaCount"),
            storage_account_type=pub.get("storageAccountType"),
            exclude_from_latest=aj.as_bool(pub.get("excludeFromLatest")),
            end_of_life_date=aj.parse_datetime(pub.get("endOfLifeDate")),
            replication_mode=pub.get("replicationMode"),
            allow_deletion_of_replicated_locations=aj.as_bool(safety.get("allowDeletionOfReplicatedLocations")),
            block_deletion_before_end_of_life=aj.as_bool(safety.get("blockDeletionBeforeEndOfLife")),
            tags=aj.tags_of(body),
            published_date=_published(pub.get("publishedDate")),
        )
        return version, aj.live_info(body)

    def list_children(self, compute: Any, parent: ImageDefinition) -> Any:
        return compute.gallery_image_versions.list_by_gallery_image(
            parent.resource_group, parent.gallery, parent.name, **self.sdk_options
        )

    full_read_expand = "ReplicationStatus"

    def needs_full_read(self, body: aj.JSON) -> bool:
        # ARM's list does not carry replication status, and a converged version has nothing to report.
        state = ((body.get("properties") or {}).get("provisioningState") or "").lower()
        return state != "succeeded"

    async def get_full(self, compute: Any, resource: ImageVersion) -> Any:
        return await compute.gallery_image_versions.get(
            resource.resource_group,
            resource.gallery,
            resource.definition,
            resource.name,
            expand="ReplicationStatus",
            **self.sdk_options,
        )


IMAGE_VERSION = ImageVersionKind()
