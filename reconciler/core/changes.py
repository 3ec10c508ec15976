"""The vocabulary of a plan: actions, field changes and resource changes (pure data).

JSON: `to_json` takes a `Wording` (see `reconciler.render.wording`) so the plan file carries both the
codes (read back by `from_json`) and the sentences reviewers and tools read.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.core.reasons import Blocker, FieldReason, Note, Reason, Why


class Action(str, enum.Enum):
    NOOP = "no-op"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    RESTORE = "restore"
    """Bring a soft-deleted version back from its gallery's recycle bin (then update what differs)."""

    @property
    def glyph(self) -> str:
        return {"no-op": " ", "create": "+", "update": "~", "replace": "-/+", "delete": "-", "restore": "+"}[
            self.value
        ]


class Wording(Protocol):
    """Turns codes into sentences (implemented by `reconciler.render.wording`)."""

    def reason_text(self, why: Why[Reason]) -> str: ...
    def blocker_text(self, why: Why[Blocker]) -> str: ...
    def note_text(self, why: Why[Note]) -> str: ...
    def field_reason_text(self, reason: FieldReason) -> str: ...


@dataclass(frozen=True)
class FieldChange:
    """One changed field: `before` (live) and `after` (desired) as JSON values; None = absent.

    `path` uses one notation everywhere: dotted ARM property names, with set members keyed by name
    (`publishingProfile.targetRegions[westeurope]`) and disks by LUN (`dataDiskImages[lun=1]`).
    """

    path: str
    before: Any
    after: Any
    forces_replace: bool = False
    reason: FieldReason | None = None
    """Why this field forces a replace (display only)."""

    def to_json(self, wording: Wording) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "before": self.before, "after": self.after}
        if self.forces_replace:
            out["forcesReplace"] = True
        if self.reason:
            out["reason"] = {"code": self.reason.value, "message": wording.field_reason_text(self.reason)}
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FieldChange:
        reason = data.get("reason")
        return cls(
            data["path"],
            data.get("before"),
            data.get("after"),
            bool(data.get("forcesReplace")),
            FieldReason(reason["code"]) if reason else None,
        )


@dataclass(frozen=True)
class ResourceChange:
    """What the plan does to one resource, and why."""

    address: str
    kind: str
    """The kind's name: gallery, definition, version or resourceGroup."""
    action: Action
    id: str
    reason: Why[Reason] | None = None
    """Why (display only: apply acts on `action`, never on the reason)."""
    changes: tuple[FieldChange, ...] = ()
    blocked: Why[Blocker] | None = None
    """Why this change will not be executed without an opt-in, and how to allow it; None = allowed."""
    drift: bool = False
    """The live resource was changed outside this tool and the change brings it back."""
    depends_on: tuple[str, ...] = ()
    """Addresses that must be created (and, for version sources, replicated) before this one."""
    notes: tuple[Why[Note], ...] = ()
    fingerprint: str | None = None
    """The live resource's fingerprint when planned; a saved plan refuses to run if it changed."""

    @property
    def actionable(self) -> bool:
        """Apply will carry this out: it changes something and needs no opt-in it lacks."""
        return self.action is not Action.NOOP and self.blocked is None

    def to_json(self, wording: Wording) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind,
            "action": self.action.value,
            "id": self.id,
            "reason": self.reason.to_json(wording.reason_text(self.reason)) if self.reason else None,
            "changes": [c.to_json(wording) for c in self.changes],
            "blocked": self.blocked.to_json(wording.blocker_text(self.blocked)) if self.blocked else None,
            "drift": self.drift,
            "dependsOn": list(self.depends_on),
            "notes": [n.to_json(wording.note_text(n)) for n in self.notes],
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ResourceChange:
        reason, blocked = data.get("reason"), data.get("blocked")
        return cls(
            address=data["address"],
            kind=data["kind"],
            action=Action(data["action"]),
            id=data["id"],
            reason=Why.from_json(Reason, reason) if reason else None,
            changes=tuple(FieldChange.from_json(c) for c in data.get("changes", [])),
            blocked=Why.from_json(Blocker, blocked) if blocked else None,
            drift=bool(data.get("drift")),
            depends_on=tuple(data.get("dependsOn", [])),
            notes=tuple(Why.from_json(Note, n) for n in data.get("notes", [])),
            fingerprint=data.get("fingerprint"),
        )
