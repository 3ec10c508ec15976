"""The vocabulary of a plan: actions, field changes and resource changes (pure data)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Action(str, enum.Enum):
    NOOP = "no-op"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"

    @property
    def glyph(self) -> str:
        return {"no-op": " ", "create": "+", "update": "~", "replace": "-/+", "delete": "-"}[self.value]


RESOURCE_GROUP_KIND = "resourceGroup"
"""Plan kind for a resource group the manifests ask the tool to create."""


def resource_group_address(name: str) -> str:
    """Plan address of a resource group (gallery addresses never contain a colon)."""
    return f"{RESOURCE_GROUP_KIND}:{name}"


@dataclass(frozen=True)
class FieldChange:
    path: str
    """Dotted ARM-ish path, with `[key]` for set members: `targetRegions[eastus].regionalReplicaCount`."""
    before: Any
    after: Any
    forces_replace: bool = False
    reason: str | None = None
    """Why this field forces a replace (display only)."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "before": self.before, "after": self.after}
        if self.forces_replace:
            out["forcesReplace"] = True
        if self.reason:
            out["reason"] = self.reason
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FieldChange:
        return cls(
            data["path"], data.get("before"), data.get("after"), bool(data.get("forcesReplace")), data.get("reason")
        )


@dataclass(frozen=True)
class ResourceChange:
    address: str
    kind: str
    """gallery, definition, version or resourceGroup."""
    action: Action
    id: str
    reason: str | None = None
    """A sentence for reviewers. Display only: apply acts on `action`, never on the reason."""
    changes: tuple[FieldChange, ...] = ()
    blocked: str | None = None
    """Why this change will not be executed without an opt-in, and how to allow it; None = allowed."""
    drift: bool = False
    """The live resource was changed outside this tool and the change brings it back."""
    depends_on: tuple[str, ...] = ()
    """Addresses that must be created (and, for version sources, replicated) before this one."""
    notes: tuple[str, ...] = ()
    fingerprint: str | None = None
    """The live resource's fingerprint when planned; a saved plan refuses to run if it changed."""

    @property
    def actionable(self) -> bool:
        """Apply will carry this out: it changes something and needs no opt-in it lacks."""
        return self.action is not Action.NOOP and self.blocked is None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "address": self.address,
            "kind": self.kind,
            "action": self.action.value,
            "id": self.id,
            "reason": self.reason,
            "changes": [c.to_json() for c in self.changes],
            "blocked": self.blocked,
            "drift": self.drift,
            "dependsOn": list(self.depends_on),
            "notes": list(self.notes),
            "fingerprint": self.fingerprint,
        }
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ResourceChange:
        return cls(
            address=data["address"],
            kind=data["kind"],
            action=Action(data["action"]),
            id=data["id"],
            reason=data.get("reason"),
            changes=tuple(FieldChange.from_json(c) for c in data.get("changes", [])),
            blocked=data.get("blocked"),
            drift=bool(data.get("drift")),
            depends_on=tuple(data.get("dependsOn", [])),
            notes=tuple(data.get("notes", [])),
            fingerprint=data.get("fingerprint"),
        )
