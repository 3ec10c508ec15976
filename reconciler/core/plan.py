"""The plan: resource changes plus what a reviewer and a saved-plan apply need (pure data, JSON round-trip).

The JSON form is versioned and documented by `schemas/plan.schema.json`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from reconciler import __version__
from reconciler.core import model as m
from reconciler.core.arm_json import format_datetime
from reconciler.core.changes import Action, ResourceChange, Wording
from reconciler.core.diff import DiffOptions, diff_states
from reconciler.core.latest import LatestChange, resolve_latest
from reconciler.core.live_state import LiveState
from reconciler.core.source_checks import SourceReport
from reconciler.core.target_info import TargetInfo
from reconciler.diagnostics import Diagnostic, Severity
from reconciler.errors import UserError

FORMAT_VERSION = "2.0"
"""2.0: reasons, blockers and notes are objects with a code, subjects and a message."""


@dataclass(frozen=True)
class Plan:
    """Resource changes in order, the `latest` preview, and what a saved-plan apply checks against."""

    target: TargetInfo
    changes: tuple[ResourceChange, ...]
    latest: tuple[LatestChange, ...] = ()
    options: DiffOptions = field(default_factory=DiffOptions)
    manifest_paths: tuple[str, ...] = ()
    manifest_digest: str = ""
    created_at: str = field(default_factory=lambda: format_datetime(datetime.now(timezone.utc)) or "")
    problems: tuple[Diagnostic, ...] = ()
    """What Azure would refuse (errors) or might (warnings), found before anything is written, with the
    manifest's file and line. A plan with errors is never applied."""

    @property
    def refused(self) -> list[Diagnostic]:
        """The problems Azure would refuse: apply writes nothing while there is one."""
        return [p for p in self.problems if p.severity is Severity.ERROR]

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
            "restore": counts[Action.RESTORE],
            "noop": counts[Action.NOOP],
            "blocked": len(self.blocked()),
        }

    def summary_line(self) -> str:
        s = self.summary()
        restore = f"{s['restore']} to restore, " if s["restore"] else ""
        line = (
            f"Plan: {s['add']} to add, {restore}{s['change']} to change, {s['replace']} to replace, "
            f"{s['destroy']} to destroy."
        )
        if s["blocked"]:
            line += f" {s['blocked']} blocked (not applied without opt-in)."
        return line

    def to_json(self, wording: Wording) -> dict[str, Any]:
        """The plan document (schemas/plan.schema.json); `wording` supplies the sentences beside the codes."""
        return {
            "formatVersion": FORMAT_VERSION,
            "tool": {"name": "gallery-reconciler", "version": __version__},
            "createdAt": self.created_at,
            "target": self.target.to_json(),
            "options": {
                "allowReplace": self.options.allow_replace,
                "prune": self.options.prune,
                "allowCommunity": self.options.allow_community,
                "bypassSoftDelete": self.options.bypass_soft_delete,
            },
            "manifests": {"paths": list(self.manifest_paths), "digest": self.manifest_digest},
            "resources": [c.to_json(wording) for c in self.changes],
            "latest": [lc.to_json() for lc in self.latest],
            "problems": [p.to_json() for p in self.problems],
            "summary": self.summary(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        """A saved plan; raises UserError for another format version (KeyError/TypeError for a broken file)."""
        if data.get("formatVersion") != FORMAT_VERSION:
            raise UserError(
                f"unsupported plan formatVersion {data.get('formatVersion')!r} (this tool reads "
                f"{FORMAT_VERSION}); create the plan again with this version of reconcile"
            )
        opts = data.get("options") or {}
        return cls(
            target=TargetInfo.from_json(data["target"]),
            changes=tuple(ResourceChange.from_json(c) for c in data["resources"]),
            latest=tuple(LatestChange.from_json(lc) for lc in data.get("latest", [])),
            options=DiffOptions(
                allow_replace=bool(opts.get("allowReplace")),
                prune=bool(opts.get("prune")),
                allow_community=bool(opts.get("allowCommunity")),
                bypass_soft_delete=bool(opts.get("bypassSoftDelete")),
            ),
            manifest_paths=tuple(data["manifests"]["paths"]),
            manifest_digest=data["manifests"]["digest"],
            created_at=data.get("createdAt", ""),
            problems=tuple(Diagnostic(**{**p, "severity": Severity(p["severity"])}) for p in data.get("problems", [])),
        )


def with_source_report(plan: Plan, report: SourceReport) -> Plan:
    """The plan with the source checks' problems and notes (`core.source_checks`)."""
    changes = tuple(
        replace(c, notes=c.notes + tuple(report.notes.get(c.address, ()))) if c.address in report.notes else c
        for c in plan.changes
    )
    return replace(plan, changes=changes, problems=plan.problems + tuple(report.problems))


def desired_digest(desired: m.DesiredState) -> str:
    """A digest of the resolved desired state (after interpolation), so a saved plan sees any change."""
    text = json.dumps([repr(r) for r in desired.resources] + [repr(desired.resource_groups), repr(desired.policy)])
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def build_plan(
    desired: m.DesiredState,
    live: LiveState,
    target: TargetInfo,
    *,
    options: DiffOptions | None = None,
    manifest_paths: Iterable[str] = (),
    now: datetime | None = None,
) -> Plan:
    effective = (options or DiffOptions()).widened_by(desired.policy)
    # The clock dates end-of-life checks and soft-delete restore dates; the diff itself stays pure.
    changes = diff_states(desired, live, effective, now=now or datetime.now(timezone.utc))
    return Plan(
        target=target,
        changes=tuple(changes),
        latest=tuple(resolve_latest(desired, live, changes)),
        options=effective,
        manifest_paths=tuple(manifest_paths),
        manifest_digest=desired_digest(desired),
    )
