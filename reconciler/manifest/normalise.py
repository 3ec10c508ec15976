"""Value normalisation shared by the rules and the builder: dates, target regions, ARM id types."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconciler.core import model
from reconciler.core.arm_json import parse_datetime
from reconciler.manifest.regions_syntax import RegionSpec, canonical_storage_type, parse_target_region

INT32_MAX = 2_147_483_647

ARM_TYPES = {key: arm_type.lower() for key, arm_type in model.ARM_TYPES.items()}
"""Source kind -> the (lower-cased) ARM resource type its id must have."""

KIND_NAMES = {
    "virtualMachine": "virtual machine",
    "managedImage": "managed image",
    "snapshot": "snapshot",
    "disk": "managed disk",
    "galleryImageVersion": "gallery image version",
    "storageAccount": "storage account",
    "diskEncryptionSet": "disk encryption set",
}

_ARM_ID = re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/([^/]+)/(.+)$", re.IGNORECASE)


def parse_date(text: str) -> datetime | None:
    """A manifest date ("2030-12-31" = midnight UTC, or an ISO date-time) as an aware UTC datetime; None if invalid.

    The same parser reads ARM's dates (`core.arm_json.parse_datetime`), so both sides compare alike.
    """
    try:
        return parse_datetime(text.strip().replace("z", "Z"))
    except ValueError:
        return None


def arm_type(resource_id: str) -> str | None:
    """The lower-cased resource type of an ARM id ("microsoft.compute/galleries/images/versions")."""
    match = _ARM_ID.match(resource_id)
    if not match:
        return None
    rest = match.group(4).split("/")
    if len(rest) % 2:
        return None
    return "/".join([match.group(3), *rest[0::2]]).lower()


@dataclass(frozen=True)
class RegionEntry:
    """One target region item, shorthand or structured, with storage type canonical."""

    name: str
    replicas: int | None = None
    storage_account_type: str | None = None
    exclude_from_latest: bool | None = None
    encryption: dict[str, Any] | None = None


def region_entry(item: str | dict[str, Any]) -> RegionEntry:
    """Raises `ShorthandError` for a malformed shorthand string."""
    if isinstance(item, str):
        spec: RegionSpec = parse_target_region(item)
        return RegionEntry(spec.name, spec.replicas, spec.storage_account_type)
    storage = item.get("storageAccountType")
    return RegionEntry(
        item["name"],
        item.get("replicas"),
        canonical_storage_type(storage) if storage else None,
        item.get("excludeFromLatest"),
        item.get("encryption"),
    )
