"""What was read from Azure: live resources in the model's shapes, keyed like the desired state."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reconciler.core import model as m
from reconciler.core.arm_json import LiveInfo


@dataclass(frozen=True)
class LiveResource:
    """A live resource in the model's shape (`resource`) and what only Azure knows about it (`info`)."""

    resource: Any
    info: LiveInfo

    @property
    def address(self) -> str:
        return self.resource.address


@dataclass(frozen=True)
class SoftDeletedVersion:
    """An image version in its gallery's recycle bin (`softDeletedArtifactTypes/Images/artifacts/{image}/versions`).

    Times as Azure reports them: when the delete started, until when the version stays usable and restorable
    (`consumptionEndTime`: + the retention period), and when Azure deletes it for good (`hardDeletionTargetTime`:
    + the grace period; until then it can still be restored).
    """

    address: str
    id: str
    soft_deleted_time: datetime | None = None
    consumption_end_time: datetime | None = None
    hard_deletion_time: datetime | None = None


@dataclass(frozen=True)
class LiveState:
    """Everything read for a plan."""

    resources: dict[str, LiveResource] = field(default_factory=dict)
    """By `model.resource_key(address)`."""
    resource_groups: dict[tuple[str, str], bool] = field(default_factory=dict)
    """(subscription, lower-cased group name) -> whether the group exists."""
    gallery_names_elsewhere: dict[str, str] = field(default_factory=dict)
    """Lower-cased gallery name -> resource id, for galleries outside the manifests' groups whose names a
    new gallery would collide with (gallery names are unique per subscription). Read only when needed."""
    recycle_bin: dict[str, SoftDeletedVersion] = field(default_factory=dict)
    """Soft-deleted versions by `model.resource_key(address)`, read only for definitions of galleries with soft
    delete on whose versions the plan may restore, or that the plan deletes."""

    def children(self, address: str) -> Iterable[LiveResource]:
        """Live resources directly below `address` (definitions of a gallery, versions of a definition)."""
        key = m.resource_key(address)
        for live in self.resources.values():
            parent = live.resource.parent_address
            if parent is not None and m.resource_key(parent) == key:
                yield live

    def in_recycle_bin(self, address: str) -> list[SoftDeletedVersion]:
        """Soft-deleted versions below `address` (a definition or a gallery), by address."""
        prefix = m.resource_key(address) + "/"
        return [v for key, v in sorted(self.recycle_bin.items()) if key.startswith(prefix)]

    def descendants(self, address: str) -> list[LiveResource]:
        """Every live resource below `address`, deepest first."""
        found: list[LiveResource] = []
        for child in self.children(address):
            found.extend(self.descendants(child.address))
            found.append(child)
        return found
