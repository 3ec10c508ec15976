"""ARM REST JSON to the model: what Azure returns becomes model resources plus live-only facts (pure).

ARM bodies (as the SDK returns them, via `as_dict()`) become model resources and `LiveInfo`; the
opposite direction is `reconciler.bodies`. No I/O here: `reconciler.live` makes the calls.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from reconciler import model as m
from reconciler.regions import fold_region

JSON = dict[str, Any]

# ARM resource types, lower-cased, that a version's storageProfile.source.id may name.
_SOURCE_KIND_BY_TYPE = {
    "microsoft.compute/virtualmachines": m.SourceKind.VIRTUAL_MACHINE,
    "microsoft.compute/images": m.SourceKind.MANAGED_IMAGE,
    "microsoft.compute/galleries/images/versions": m.SourceKind.GALLERY_IMAGE_VERSION,
    "microsoft.compute/snapshots": m.SourceKind.SNAPSHOT,
    "microsoft.compute/disks": m.SourceKind.DISK,
}


@dataclass(frozen=True)
class RegionReplication:
    region: str
    """Folded region name."""
    state: str
    """Unknown, Replicating, Completed or Failed."""
    progress: int = 0
    details: str = ""


@dataclass(frozen=True)
class LiveInfo:
    """What Azure reports beyond the desired-state fields: never compared as desired state."""

    provisioning_state: str | None = None
    replication_state: str | None = None
    """Aggregated replication state, when it was read (only for versions not yet Succeeded)."""
    replication: tuple[RegionReplication, ...] = ()
    fingerprint: str = ""
    """Digest of the resource's ARM body without volatile fields; a saved plan compares it."""
    body: JSON = field(default_factory=dict, compare=False, hash=False, repr=False)
    """The ARM body as read, for building minimal PATCH bodies."""

    @property
    def applied_digest(self) -> str | None:
        """The digest apply stamped on the resource the last time it wrote it (None: never, or not by us)."""
        return (self.body.get("tags") or {}).get(m.DIGEST_TAG)

    @property
    def owned(self) -> bool:
        tags = self.body.get("tags") or {}
        return tags.get(m.OWNERSHIP_TAG[0]) == m.OWNERSHIP_TAG[1]


# ---------------------------------------------------------------- parsing helpers


def parse_datetime(value: Any) -> datetime | None:
    """ARM dates to aware UTC datetimes; ARM sends 7 fractional digits, which Python rejects."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    text = str(value).strip().replace("Z", "+00:00")
    if "." in text:
        head, _, rest = text.partition(".")
        digits = "".join(ch for ch in rest if ch.isdigit())
        tz = rest[len(digits) :]
        text = f"{head}.{digits[:6].ljust(6, '0')}{tz}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def format_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def fingerprint(body: Mapping[str, Any]) -> str:
    """A digest of what matters in a live body: volatile, server-computed parts are left out."""
    stable = json.loads(json.dumps(body, default=str))
    props = stable.get("properties", {})
    for volatile in ("provisioningState", "replicationStatus"):
        props.pop(volatile, None)
    stable.pop("systemData", None)
    text = json.dumps(stable, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def parse_resource_id(resource_id: str) -> tuple[str, str, list[tuple[str, str]]]:
    """(subscription, resource group, [(type segment, name), ...]) of an ARM id; names as written."""
    parts = [p for p in resource_id.strip("/").split("/") if p]
    low = [p.lower() for p in parts]
    sub = parts[low.index("subscriptions") + 1] if "subscriptions" in low else ""
    rg = parts[low.index("resourcegroups") + 1] if "resourcegroups" in low else ""
    pairs: list[tuple[str, str]] = []
    if "providers" in low:
        rest = parts[low.index("providers") + 1 :]
        namespace, rest = rest[0], rest[1:]
        for i in range(0, len(rest) - 1, 2):
            pairs.append((f"{namespace}/{rest[i]}" if i == 0 else rest[i], rest[i + 1]))
    return sub, rg, pairs


def resource_type(resource_id: str) -> str:
    """ARM type of an id, lower-cased: `microsoft.compute/galleries/images` for an image definition id."""
    _, _, pairs = parse_resource_id(resource_id)
    return "/".join(t for t, _ in pairs).lower()


def _tags(body: Mapping[str, Any]) -> m.Tags:
    return m.freeze_tags({k: v for k, v in (body.get("tags") or {}).items() if k != m.DIGEST_TAG})


def _bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _live_info(body: JSON) -> LiveInfo:
    props = body.get("properties") or {}
    status = props.get("replicationStatus") or {}
    regions = tuple(
        sorted(
            (
                RegionReplication(
                    region=fold_region(s.get("region", "")),
                    state=s.get("state") or "Unknown",
                    progress=int(s.get("progress") or 0),
                    details=s.get("details") or "",
                )
                for s in status.get("summary") or []
            ),
            key=lambda r: r.region,
        )
    )
    return LiveInfo(
        provisioning_state=props.get("provisioningState"),
        replication_state=status.get("aggregatedState"),
        replication=regions,
        fingerprint=fingerprint(body),
        body=body,
    )


# ---------------------------------------------------------------- ARM body -> model


def gallery_from_wire(subscription_id: str, resource_group: str, body: JSON) -> tuple[m.Gallery, LiveInfo]:
    props = body.get("properties") or {}
    soft = (props.get("softDeletePolicy") or {}).get("isSoftDeleteEnabled")
    gallery = m.Gallery(
        subscription_id=subscription_id,
        resource_group=resource_group,
        name=body["name"],
        location=fold_region(body.get("location", "")),
        description=props.get("description"),
        tags=_tags(body),
        soft_delete=_bool(soft),
    )
    return gallery, _live_info(body)


def _range(value: Mapping[str, Any] | None) -> m.Range | None:
    if not value:
        return None
    return m.Range(min=value.get("min"), max=value.get("max"))


def definition_from_wire(
    subscription_id: str, resource_group: str, gallery: str, body: JSON
) -> tuple[m.ImageDefinition, LiveInfo]:
    props = body.get("properties") or {}
    ident = props.get("identifier") or {}
    plan = props.get("purchasePlan")
    recommended = props.get("recommended") or {}
    disallowed = (props.get("disallowed") or {}).get("diskTypes")
    features = tuple(
        sorted(
            (m.normalise_feature(f["name"], f.get("value", "")) for f in props.get("features") or []),
            key=lambda f: f.name,
        )
    )
    definition = m.ImageDefinition(
        subscription_id=subscription_id,
        resource_group=resource_group,
        gallery=gallery,
        name=body["name"],
        location=fold_region(body.get("location", "")),
        identifier=m.Identifier(ident.get("publisher", ""), ident.get("offer", ""), ident.get("sku", "")),
        os_type=props.get("osType", ""),
        os_state=props.get("osState", ""),
        hyper_v_generation=props.get("hyperVGeneration"),
        architecture=props.get("architecture"),
        features=features,
        purchase_plan=m.PurchasePlan(plan.get("name", ""), plan.get("product", ""), plan.get("publisher", ""))
        if plan
        else None,
        description=props.get("description"),
        eula=props.get("eula"),
        privacy_statement_uri=props.get("privacyStatementUri"),
        release_note_uri=props.get("releaseNoteUri"),
        end_of_life_date=parse_datetime(props.get("endOfLifeDate")),
        recommended_vcpus=_range(recommended.get("vCPUs")),
        recommended_memory=_range(recommended.get("memory")),
        disallowed_disk_types=tuple(sorted(disallowed)) if disallowed is not None else None,
        tags=_tags(body),
    )
    return definition, _live_info(body)


def _disk_source(source: Mapping[str, Any] | None) -> m.Source | None:
    if not source:
        return None
    if source.get("uri"):
        return m.Source(m.SourceKind.VHD, uri=source["uri"], storage_account_id=source.get("storageAccountId"))
    if source.get("id"):
        kind = _SOURCE_KIND_BY_TYPE.get(resource_type(source["id"]), m.SourceKind.SNAPSHOT)
        return m.Source(kind, id=source["id"])
    return None


def _encryption(value: Mapping[str, Any] | None) -> m.RegionEncryption | None:
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
    return m.RegionEncryption(os_disk_encryption_set_id=os_des, data_disk_encryption_set_ids=data)


def version_from_wire(
    subscription_id: str, resource_group: str, gallery: str, definition: str, body: JSON
) -> tuple[m.ImageVersion, LiveInfo]:
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
        kind = _SOURCE_KIND_BY_TYPE.get(resource_type(top["id"]), m.SourceKind.MANAGED_IMAGE)
        source = m.Source(kind, id=top["id"])
    else:
        source = _disk_source(os_disk.get("source"))
    data_disks = tuple(
        sorted(
            (
                m.DataDisk(
                    lun=int(d["lun"]),
                    source=_disk_source(d.get("source")) or m.Source(m.SourceKind.SNAPSHOT),
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
                m.TargetRegion(
                    name=fold_region(r["name"]),
                    replica_count=r.get("regionalReplicaCount"),
                    storage_account_type=r.get("storageAccountType"),
                    exclude_from_latest=_bool(r.get("excludeFromLatest")),
                    encryption=_encryption(r.get("encryption")),
                )
                for r in pub.get("targetRegions") or []
            ),
            key=lambda r: r.name,
        )
    )
    version = m.ImageVersion(
        subscription_id=subscription_id,
        resource_group=resource_group,
        gallery=gallery,
        definition=definition,
        name=body["name"],
        location=fold_region(body.get("location", "")),
        source=source,
        os_disk_host_caching=os_disk.get("hostCaching"),
        data_disks=data_disks,
        target_regions=regions,
        replica_count=pub.get("replicaCount"),
        storage_account_type=pub.get("storageAccountType"),
        exclude_from_latest=_bool(pub.get("excludeFromLatest")),
        end_of_life_date=parse_datetime(pub.get("endOfLifeDate")),
        replication_mode=pub.get("replicationMode"),
        allow_deletion_of_replicated_locations=_bool(safety.get("allowDeletionOfReplicatedLocations")),
        block_deletion_before_end_of_life=_bool(safety.get("blockDeletionBeforeEndOfLife")),
        tags=_tags(body),
    )
    return version, _live_info(body)
