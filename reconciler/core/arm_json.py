"""ARM JSON helpers every kind shares: live-only facts, dates, fingerprints, resource ids, tags (pure).

Each kind reads its own ARM body (`ResourceKind.from_arm`) with these helpers; no I/O here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from reconciler.core import model as m
from reconciler.core.regions import fold_region

JSON = dict[str, Any]


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
    def owner(self) -> str | None:
        """The estate the ownership tag names; None when the resource carries none (made by hand or another tool)."""
        tags = self.body.get("tags") or {}
        # Azure's tag names are case-insensitive: `Gallery-Reconciler` is the ownership tag too.
        value = next((v for k, v in tags.items() if k.lower() == m.OWNERSHIP_TAG_NAME.lower()), None)
        return value if isinstance(value, str) and value else None

    def owned_by(self, estate: str) -> bool:
        """True when the planning estate owns the resource (estate ids compare without case)."""
        return (self.owner or "").lower() == estate.lower()


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
    """An aware datetime as ARM writes it (second precision, UTC offset)."""
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


def resource_type(resource_id: str) -> str:
    """ARM type of an id, lower-cased: `microsoft.compute/galleries/images` for an image definition id.

    Parsed by azure-mgmt-core's `parse_resource_id`; an id it cannot parse has the type "".
    """
    from azure.mgmt.core.tools import parse_resource_id

    parts = parse_resource_id(resource_id)
    if "namespace" not in parts or "type" not in parts:
        return ""
    types = [parts["type"]]
    level = 1
    while f"child_type_{level}" in parts:
        types.append(parts[f"child_type_{level}"])
        level += 1
    return "/".join([parts["namespace"], *types]).lower()


def id_parts(resource_id: str) -> tuple[str, str]:
    """(subscription, resource group) of an ARM id, as written; "" for a part that is absent."""
    from azure.mgmt.core.tools import parse_resource_id

    parts = parse_resource_id(resource_id)
    return parts.get("subscription", ""), parts.get("resource_group", "")


def source_from_id(resource_id: str, default: m.SourceKind) -> m.Source:
    """A source given by ARM id, its kind from the id's type (`default` when the type is not a source kind)."""
    return m.Source(m.SOURCE_KIND_BY_ARM_TYPE.get(resource_type(resource_id), default), id=resource_id)


def tags_of(body: Mapping[str, Any]) -> m.Tags:
    """The body's tags without the tool's bookkeeping tag."""
    return m.freeze_tags({k: v for k, v in (body.get("tags") or {}).items() if k != m.DIGEST_TAG})


def as_bool(value: Any) -> bool | None:
    """ARM booleans, which some api-versions send as strings."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def live_info(body: JSON) -> LiveInfo:
    """The live-only facts of an ARM body: provisioning and replication state, fingerprint, the body."""
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


def drop_none(value: Any) -> Any:
    """Remove None values and empty containers left by optional fields, recursively (for request bodies)."""
    if isinstance(value, dict):
        cleaned = {k: drop_none(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in cleaned.items() if v != {} and v != []}
    if isinstance(value, list):
        return [drop_none(v) for v in value]
    return value
