"""Which fields of each resource kind are compared, which are immutable, and what an unset value means.

Each kind projects a model resource to `{path: Field}`. The same projection is applied to the
desired and the live resource, so the diff compares normalised values path by path.

Rules for a value the manifest leaves unset (`None`):
- a field with a known Azure default (replica counts, exclude-from-latest, safety flags) compares
  as that default, so "unset" equals what Azure fills in and drift away from it is seen;
- every other field is not managed when unset: whatever Azure has is accepted. That keeps
  server-side defaults that vary by api-version (storage type, Hyper-V generation, architecture)
  from showing as phantom replacements.
Tags are always managed in full: absent tags equal no tags.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconciler import model as m
from reconciler.wire import format_datetime


@dataclass(frozen=True)
class Field:
    value: Any
    """JSON-able, normalised value; None = unset."""
    mutable: bool = True
    default: Any = None
    """What Azure uses when nothing is set; None = no default, so unset means unmanaged."""
    case_insensitive: bool = False
    """ARM ids and enum values compare without case."""


IMMUTABLE_REASON = "Azure does not allow changing it after creation"


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    return value


def _source(s: m.Source | None) -> dict[str, Any] | None:
    if s is None:
        return None
    out: dict[str, Any] = {"kind": s.kind.value}
    if s.id:
        out["id"] = s.id
    if s.uri:
        out["uri"] = s.uri
    if s.storage_account_id:
        out["storageAccountId"] = s.storage_account_id
    return out


def _range(r: m.Range | None) -> dict[str, Any] | None:
    return None if r is None else {"min": r.min, "max": r.max}


def gallery_fields(g: m.Gallery) -> dict[str, Field]:
    return {
        "location": Field(g.location, mutable=False),
        "description": Field(g.description),
        "softDeletePolicy.isSoftDeleteEnabled": Field(g.soft_delete),
    }


def definition_fields(d: m.ImageDefinition) -> dict[str, Field]:
    plan = d.purchase_plan
    fields = {
        "location": Field(d.location, mutable=False),
        "identifier.publisher": Field(d.identifier.publisher, mutable=False, case_insensitive=True),
        "identifier.offer": Field(d.identifier.offer, mutable=False, case_insensitive=True),
        "identifier.sku": Field(d.identifier.sku, mutable=False, case_insensitive=True),
        "osType": Field(d.os_type, mutable=False, case_insensitive=True),
        "osState": Field(d.os_state, mutable=False, case_insensitive=True),
        "hyperVGeneration": Field(d.hyper_v_generation, mutable=False, case_insensitive=True),
        "architecture": Field(d.architecture, mutable=False, case_insensitive=True),
        "eula": Field(d.eula, mutable=False),
        "privacyStatementUri": Field(d.privacy_statement_uri, mutable=False),
        "purchasePlan": Field(
            {"name": plan.name, "product": plan.product, "publisher": plan.publisher} if plan else None,
            mutable=False,
        ),
        "description": Field(d.description),
        "releaseNoteUri": Field(d.release_note_uri),
        "endOfLifeDate": Field(_json(d.end_of_life_date)),
        "recommended.vCPUs": Field(_range(d.recommended_vcpus)),
        "recommended.memory": Field(_range(d.recommended_memory)),
        "disallowed.diskTypes": Field(list(d.disallowed_disk_types) if d.disallowed_disk_types is not None else None),
    }
    # Features are keyed by name: a feature the manifest does not mention is not managed (ARM adds
    # SecurityType=TrustedLaunchSupported by itself from api-version 2025-03-03). Since 2024-03-03 they
    # can be updated in place with allowUpdateImage.
    for feature in d.features:
        fields[f"features[{feature.name}]"] = Field(feature.value, case_insensitive=True)
    return fields


def version_fields(v: m.ImageVersion) -> dict[str, Field]:
    default_count = v.replica_count if v.replica_count is not None else 1
    fields: dict[str, Field] = {
        "location": Field(v.location, mutable=False),
        # ARM ids are case-insensitive; a VHD URI is compared the same way (hosts and Azure blob paths are).
        "storageProfile.source": Field(_source(v.source), mutable=False, case_insensitive=True),
        "storageProfile.osDiskImage.hostCaching": Field(v.os_disk_host_caching, mutable=False),
        "publishingProfile.replicaCount": Field(v.replica_count, default=1),
        "publishingProfile.storageAccountType": Field(v.storage_account_type, mutable=False, case_insensitive=True),
        "publishingProfile.excludeFromLatest": Field(v.exclude_from_latest, default=False),
        "publishingProfile.endOfLifeDate": Field(_json(v.end_of_life_date)),
        "publishingProfile.replicationMode": Field(v.replication_mode, mutable=False, case_insensitive=True),
        "safetyProfile.allowDeletionOfReplicatedLocations": Field(
            v.allow_deletion_of_replicated_locations, mutable=False
        ),
        "safetyProfile.blockDeletionBeforeEndOfLife": Field(v.block_deletion_before_end_of_life, default=False),
    }
    for disk in v.data_disks:
        fields[f"storageProfile.dataDiskImages[{disk.lun}]"] = Field(
            {"source": _source(disk.source), "hostCaching": disk.host_caching}, mutable=False, case_insensitive=True
        )
    for region in v.target_regions:
        base = f"publishingProfile.targetRegions[{region.name}]"
        # A region's replica count falls back to the version's default, then to Azure's (1).
        fields[f"{base}.regionalReplicaCount"] = Field(region.replica_count, default=default_count)
        fields[f"{base}.storageAccountType"] = Field(
            region.storage_account_type or v.storage_account_type, mutable=False, case_insensitive=True
        )
        fields[f"{base}.excludeFromLatest"] = Field(region.exclude_from_latest, default=False)
        enc = region.encryption
        fields[f"{base}.encryption"] = Field(
            None
            if enc is None
            else {
                "osDiskImage": enc.os_disk_encryption_set_id,
                "dataDiskImages": {str(lun): des for lun, des in enc.data_disk_encryption_set_ids},
            },
            mutable=False,
            case_insensitive=True,
        )
    return fields


def fields_of(resource: m.Resource) -> dict[str, Field]:
    if isinstance(resource, m.Gallery):
        return gallery_fields(resource)
    if isinstance(resource, m.ImageDefinition):
        return definition_fields(resource)
    return version_fields(resource)


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


def managed_digest(resource: m.Resource) -> str:
    """A short digest of everything the manifests manage on a resource (fields and tags)."""
    managed = {path: f.value for path, f in sorted(fields_of(resource).items())}
    managed["tags"] = dict(resource.tags)
    text = json.dumps(managed, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
