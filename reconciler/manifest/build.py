"""Build the immutable desired-state model from a merged manifest bundle."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from reconciler.diagnostics import Diagnostics
from reconciler.manifest.bundle import (
    Declared,
    ManifestBundle,
    definition_location,
    gallery_location,
    gallery_resource_group,
)
from reconciler.manifest.normalise import parse_date, region_entry
from reconciler.model import (
    DEFAULT_SUBSCRIPTION,
    OWNERSHIP_TAG,
    DataDisk,
    DesiredState,
    Gallery,
    Identifier,
    ImageDefinition,
    ImageVersion,
    Origin,
    Policy,
    PurchasePlan,
    Range,
    RegionEncryption,
    ResourceGroup,
    Source,
    SourceKind,
    Tags,
    TargetRegion,
    arm_id,
    freeze_tags,
    normalise_feature,
    resource_key,
)
from reconciler.regions import fold_region

PROVIDER_TYPES = {
    "virtualMachine": "Microsoft.Compute/virtualMachines",
    "managedImage": "Microsoft.Compute/images",
    "snapshot": "Microsoft.Compute/snapshots",
    "disk": "Microsoft.Compute/disks",
    "storageAccount": "Microsoft.Storage/storageAccounts",
    "diskEncryptionSet": "Microsoft.Compute/diskEncryptionSets",
}


def resolve_subscription(bundle: ManifestBundle, flag: str | None, env: Mapping[str, str] | None = None) -> str | None:
    """--subscription flag > scope.subscription > AZURE_SUBSCRIPTION_ID > None (None: target the emulator)."""
    env = os.environ if env is None else env
    return flag or bundle.subscription or env.get("AZURE_SUBSCRIPTION_ID") or None


class _Builder:
    def __init__(self, bundle: ManifestBundle, subscription: str) -> None:
        self.bundle, self.subscription = bundle, subscription

    def origin(self, node: Declared) -> Origin:
        doc, path = node.home
        line, column = doc.key_pos(path)
        return Origin(doc.file, line, column)

    def tags(self, node: Declared) -> Tags:
        merged = {**node.default_tags(), **(node.props.get("tags") or {})}
        merged[OWNERSHIP_TAG[0]] = OWNERSHIP_TAG[1]
        return freeze_tags(merged)

    def group(self, node: Declared) -> str:
        while node.parent is not None:
            node = node.parent
        found = gallery_resource_group(node)
        assert found is not None, "rules reject galleries without a resource group"
        return found[0]

    def reference(self, kind: str, value: Any, default_group: str) -> str:
        if isinstance(value, str):
            return value
        subscription = value.get("subscription") or self.subscription
        group = value.get("resourceGroup") or default_group
        return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{PROVIDER_TYPES[kind]}/{value['name']}"

    def source(self, source: dict[str, Any], group: str) -> Source:
        ((kind, value),) = source.items()
        if kind == "vhd":
            account = self.reference("storageAccount", value["storageAccount"], group)
            return Source(SourceKind.VHD, uri=value["uri"], storage_account_id=account)
        if kind == "galleryImageVersion" and isinstance(value, dict):
            target = self.bundle.find(value["address"])
            assert target is not None and target.parent is not None and target.parent.parent is not None
            definition, gallery = target.parent, target.parent.parent
            resource_id = arm_id(self.subscription, self.group(target), gallery.name, definition.name, target.name)
            address = f"{gallery.name}/{definition.name}/{target.name}"
            return Source(SourceKind.GALLERY_IMAGE_VERSION, id=resource_id, address=address)
        return Source(SourceKind(kind), id=self.reference(kind, value, group))

    def gallery(self, node: Declared) -> Gallery:
        return Gallery(
            subscription_id=self.subscription,
            resource_group=self.group(node),
            name=node.name,
            location=fold_region(gallery_location(node) or ""),
            description=node.props.get("description"),
            tags=self.tags(node),
            soft_delete=node.props.get("softDelete"),
            origin=self.origin(node),
        )

    def definition(self, node: Declared) -> ImageDefinition:
        props = node.props
        assert node.parent is not None
        features = props.get("features") or {}
        raw_features = {
            "SecurityType": features.get("securityType"),
            "IsAcceleratedNetworkSupported": features.get("acceleratedNetworking"),
            "IsHibernateSupported": features.get("hibernation"),
            "DiskControllerTypes": ", ".join(features["diskControllerTypes"])
            if features.get("diskControllerTypes")
            else None,
        }
        plan = props.get("purchasePlan")
        recommended = props.get("recommended") or {}
        eol = props.get("endOfLifeDate")
        disallowed = props.get("disallowedDiskTypes")
        return ImageDefinition(
            subscription_id=self.subscription,
            resource_group=self.group(node),
            gallery=node.parent.name,
            name=node.name,
            location=fold_region(definition_location(node) or ""),
            identifier=Identifier(**props["identifier"]),
            os_type=props["osType"],
            os_state=props["osState"],
            hyper_v_generation=props.get("hyperVGeneration"),
            architecture=props.get("architecture"),
            features=tuple(
                sorted(
                    (normalise_feature(name, str(value)) for name, value in raw_features.items() if value is not None),
                    key=lambda f: f.name,
                )
            ),
            purchase_plan=PurchasePlan(**plan) if plan else None,
            description=props.get("description"),
            eula=props.get("eula"),
            privacy_statement_uri=props.get("privacyStatementUri"),
            release_note_uri=props.get("releaseNoteUri"),
            end_of_life_date=parse_date(eol) if eol else None,
            no_end_of_life_date="endOfLifeDate" in props and eol is None,
            recommended_vcpus=Range(**recommended["vCPUs"]) if "vCPUs" in recommended else None,
            recommended_memory=Range(**recommended["memory"]) if "memory" in recommended else None,
            disallowed_disk_types=tuple(sorted(disallowed)) if disallowed is not None else None,
            tags=self.tags(node),
            origin=self.origin(node),
        )

    def target_region(self, item: str | dict[str, Any], group: str) -> TargetRegion:
        entry = region_entry(item)
        encryption = None
        if entry.encryption:
            data_sets = entry.encryption.get("dataDiskEncryptionSets") or {}
            os_set = entry.encryption.get("osDiskEncryptionSet")
            encryption = RegionEncryption(
                os_disk_encryption_set_id=self.reference("diskEncryptionSet", os_set, group) if os_set else None,
                data_disk_encryption_set_ids=tuple(
                    sorted(
                        (int(lun), self.reference("diskEncryptionSet", des, group)) for lun, des in data_sets.items()
                    )
                ),
            )
        return TargetRegion(
            name=fold_region(entry.name),
            replica_count=entry.replicas,
            storage_account_type=entry.storage_account_type,
            exclude_from_latest=entry.exclude_from_latest,
            encryption=encryption,
        )

    def version(self, node: Declared) -> ImageVersion:
        props = node.props
        definition = node.parent
        assert definition is not None and definition.parent is not None
        group = self.group(node)
        safety = props.get("safety") or {}
        eol = props.get("endOfLifeDate")
        disks = [
            DataDisk(d["lun"], self.source(d["source"], group), d.get("hostCaching"))
            for d in props.get("dataDisks") or []
        ]
        return ImageVersion(
            subscription_id=self.subscription,
            resource_group=group,
            gallery=definition.parent.name,
            definition=definition.name,
            name=node.name,
            location=fold_region(definition_location(definition) or ""),
            source=self.source(props["source"], group),
            os_disk_host_caching=props.get("osDiskHostCaching"),
            data_disks=tuple(sorted(disks, key=lambda d: d.lun)),
            target_regions=tuple(
                sorted((self.target_region(t, group) for t in props["targetRegions"]), key=lambda t: t.name)
            ),
            replica_count=props.get("replicaCount"),
            storage_account_type=props.get("storageAccountType"),
            exclude_from_latest=props.get("excludeFromLatest"),
            end_of_life_date=parse_date(eol) if eol else None,
            no_end_of_life_date="endOfLifeDate" in props and eol is None,
            replication_mode=props.get("replicationMode"),
            allow_deletion_of_replicated_locations=safety.get("allowDeletionOfReplicatedLocations"),
            block_deletion_before_end_of_life=safety.get("blockDeletionBeforeEndOfLife"),
            tags=self.tags(node),
            origin=self.origin(node),
        )

    def resource_groups(self) -> tuple[ResourceGroup, ...]:
        """Every scope's resource group; created when any scope asks, in the region that scope names."""
        seen: dict[str, dict[str, Any]] = {}
        for doc in self.bundle.documents:
            scope = doc.data.get("scope") or {}
            if not scope.get("resourceGroup"):
                continue
            entry = seen.setdefault(
                scope["resourceGroup"].lower(), {"name": scope["resourceGroup"], "create": False, "locations": []}
            )
            location = scope.get("location")
            if scope.get("createResourceGroup"):
                entry["create"] = True
                entry["locations"].insert(0, location)  # the creating scope's region wins
            elif location:
                entry["locations"].append(location)
        groups = [
            ResourceGroup(
                self.subscription,
                e["name"],
                fold_region(e["locations"][0]) if e["locations"] and e["locations"][0] else None,
                e["create"],
            )
            for e in seen.values()
        ]
        return tuple(sorted(groups, key=lambda g: g.name.lower()))


def build_desired_state(bundle: ManifestBundle, subscription_id: str | None = None) -> tuple[DesiredState, Diagnostics]:
    """The desired state of a bundle that loaded without errors.

    :param subscription_id: the target subscription (see `resolve_subscription`); None falls back to
        scope.subscription, then to `model.DEFAULT_SUBSCRIPTION` (the embedded emulator).
    """
    diags = Diagnostics()
    if bundle.has_errors:
        diags.error("the manifests have errors (reported when loading); nothing was built")
        return DesiredState(), diags
    builder = _Builder(bundle, subscription_id or bundle.subscription or DEFAULT_SUBSCRIPTION)
    try:
        galleries = [builder.gallery(g) for g in bundle.galleries.values()]
        definitions = [builder.definition(d) for d in bundle.definitions()]
        versions = [builder.version(v) for v in bundle.versions()]
        state = DesiredState(
            resource_groups=builder.resource_groups(),
            galleries=tuple(sorted(galleries, key=lambda r: resource_key(r.address))),
            definitions=tuple(sorted(definitions, key=lambda r: resource_key(r.address))),
            versions=tuple(sorted(versions, key=lambda r: (resource_key(r.parent_address or ""), r.version_key))),
            policy=Policy(
                allow_replace=bool(bundle.settings.get("allowReplace")),
                prune=bool(bundle.settings.get("prune")),
                prune_unmanaged=tuple(bundle.settings.get("pruneUnmanaged") or ()),
            ),
        )
    except Exception as exc:  # the rules should make this unreachable; never show a traceback
        diags.error(f"internal error while building the desired state: {exc!r}; this is a bug, please report it")
        return DesiredState(), diags
    return state, diags
