"""The plan: resource changes plus what a reviewer and a saved-plan apply need (pure data, JSON round-trip).

The JSON form is versioned and documented by `schemas/plan.schema.json`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from reconciler import __version__
from reconciler import model as m
from reconciler.changes import Action, ResourceChange
from reconciler.diff import DiffOptions, diff_states
from reconciler.live_state import LiveState
from reconciler.wire import format_datetime

FORMAT_VERSION = "1.0"


@dataclass(frozen=True)
class TargetInfo:
    kind: str
    """local (embedded emulator), endpoint (an emulator or ARM endpoint given by URL) or azure."""
    name: str
    """What the first line of every plan and apply says the target is."""
    endpoint: str
    subscription_id: str
    cloud: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "endpoint": self.endpoint,
            "subscriptionId": self.subscription_id,
            "cloud": self.cloud,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TargetInfo:
        return cls(data["kind"], data["name"], data["endpoint"], data["subscriptionId"], data.get("cloud"))


@dataclass(frozen=True)
class LatestChange:
    """Which version `latest` resolves to for a definition, before and after the plan."""

    definition: str
    before: str | None
    after: str | None

    def to_json(self) -> dict[str, Any]:
        return {"definition": self.definition, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class Plan:
    target: TargetInfo
    changes: tuple[ResourceChange, ...]
    latest: tuple[LatestChange, ...] = ()
    options: DiffOptions = field(default_factory=DiffOptions)
    manifest_paths: tuple[str, ...] = ()
    manifest_digest: str = ""
    created_at: str = field(default_factory=lambda: format_datetime(datetime.now(timezone.utc)) or "")

    def actionable(self) -> list[ResourceChange]:
        """Changes apply will execute: not no-ops, not blocked."""
        return [c for c in self.changes if c.actionable]

    def blocked(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.blocked is not None]

    @property
    def has_changes(self) -> bool:
        return any(c.action is not Action.NOOP for c in self.changes)

    def summary(self) -> dict[str, int]:
        counts = {a: 0 for a in Action}
        for change in self.changes:
            counts[change.action] += 1
        return {
            "add": counts[Action.CREATE],
            "change": counts[Action.UPDATE],
            "replace": counts[Action.REPLACE],
            "destroy": counts[Action.DELETE],
            "noop": counts[Action.NOOP],
            "blocked": len(self.blocked()),
        }

    def summary_line(self) -> str:
        s = self.summary()
        line = (
            f"Plan: {s['add']} to add, {s['change']} to change, {s['replace']} to replace, {s['destroy']} to destroy."
        )
        if s["blocked"]:
            line += f" {s['blocked']} blocked (not applied without opt-in)."
        return line

    def to_json(self) -> dict[str, Any]:
        return {
            "formatVersion": FORMAT_VERSION,
            "tool": {"name": "gallery-reconciler", "version": __version__},
            "createdAt": self.created_at,
            "target": self.target.to_json(),
            "options": {"allowReplace": self.options.allow_replace, "prune": self.options.prune},
            "manifests": {"paths": list(self.manifest_paths), "digest": self.manifest_digest},
            "resources": [c.to_json() for c in self.changes],
            "latest": [lc.to_json() for lc in self.latest],
            "summary": self.summary(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        if data.get("formatVersion") != FORMAT_VERSION:
            raise ValueError(
                f"unsupported plan formatVersion {data.get('formatVersion')!r} (this tool reads "
                f"{FORMAT_VERSION}); create the plan again with this version of reconcile"
            )
        opts = data.get("options") or {}
        return cls(
            target=TargetInfo.from_json(data["target"]),
            changes=tuple(ResourceChange.from_json(c) for c in data["resources"]),
            latest=tuple(LatestChange(**lc) for lc in data.get("latest", [])),
            options=DiffOptions(allow_replace=bool(opts.get("allowReplace")), prune=bool(opts.get("prune"))),
            manifest_paths=tuple(data["manifests"]["paths"]),
            manifest_digest=data["manifests"]["digest"],
            created_at=data.get("createdAt", ""),
        )


def _latest(versions: Iterable[tuple[str, bool]]) -> str | None:
    """Highest version number not excluded from latest: what a VM asking for `latest` gets."""
    eligible = [name for name, excluded in versions if not excluded]
    if not eligible:
        return None
    return max(eligible, key=m.version_key)


def resolve_latest(desired: m.DesiredState, live: LiveState, changes: Iterable[ResourceChange]) -> list[LatestChange]:
    by_key = {m.resource_key(c.address): c for c in changes}
    wanted = {m.resource_key(v.address): v for v in desired.versions}
    before: dict[str, list[tuple[str, bool]]] = {}
    after: dict[str, list[tuple[str, bool]]] = {}
    names: dict[str, str] = {}
    for key, item in live.resources.items():
        res = item.resource
        if not isinstance(res, m.ImageVersion):
            continue
        parent = m.resource_key(res.gallery + "/" + res.definition)
        names.setdefault(parent, f"{res.gallery}/{res.definition}")
        entry = (res.name, bool(res.exclude_from_latest))
        before.setdefault(parent, []).append(entry)
        change = by_key.get(key)
        gone = change is not None and change.action is Action.DELETE and change.blocked is None
        if not gone and key not in wanted:
            after.setdefault(parent, []).append(entry)
    for key, version in wanted.items():
        change = by_key.get(key)
        exists = live.resources.get(key) is not None
        if change is not None and change.blocked is not None and exists:
            live_res = live.resources[key].resource
            assert isinstance(live_res, m.ImageVersion)
            entry = (live_res.name, bool(live_res.exclude_from_latest))
        elif change is not None and change.blocked is not None:
            continue
        else:
            entry = (version.name, bool(version.exclude_from_latest))
        parent = m.resource_key(version.parent_address or "")
        names.setdefault(parent, version.parent_address or "")
        after.setdefault(parent, []).append(entry)
    for definition in desired.definitions:
        names.setdefault(m.resource_key(definition.address), definition.address)
    return [LatestChange(names[k], _latest(before.get(k, [])), _latest(after.get(k, []))) for k in sorted(names)]


def desired_digest(desired: m.DesiredState) -> str:
    """A digest of the resolved desired state (after interpolation), so a saved plan sees any change."""
    text = json.dumps([repr(r) for r in desired.resources()] + [repr(desired.resource_groups), repr(desired.policy)])
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def build_plan(
    desired: m.DesiredState,
    live: LiveState,
    target: TargetInfo,
    *,
    options: DiffOptions | None = None,
    manifest_paths: Iterable[str] = (),
) -> Plan:
    effective = (options or DiffOptions()).widened_by(desired.policy)
    changes = diff_states(desired, live, effective)
    return Plan(
        target=target,
        changes=tuple(changes),
        latest=tuple(resolve_latest(desired, live, changes)),
        options=effective,
        manifest_paths=tuple(manifest_paths),
        manifest_digest=desired_digest(desired),
    )
