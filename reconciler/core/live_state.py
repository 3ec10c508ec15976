"""What was read from Azure: live resources in the model's shapes, keyed like the desired state."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
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
class LiveState:
    """Everything read for a plan."""

    resources: dict[str, LiveResource] = field(default_factory=dict)
    """By `model.resource_key(address)`."""
    resource_groups: dict[tuple[str, str], bool] = field(default_factory=dict)
    """(subscription, lower-cased group name) -> whether the group exists."""
    gallery_names_elsewhere: dict[str, str] = field(default_factory=dict)
    """Lower-cased gallery name -> resource id, for galleries outside the manifests' groups whose names a
    new gallery would collide with (gallery names are unique per subscription). Read only when needed."""

    def children(self, address: str) -> Iterable[LiveResource]:
        """Live resources directly below `address` (definitions of a gallery, versions of a definition)."""
        key = m.resource_key(address)
        for live in self.resources.values():
            parent = live.resource.parent_address
            if parent is not None and m.resource_key(parent) == key:
                yield live

    def descendants(self, address: str) -> list[LiveResource]:
        """Every live resource below `address`, deepest first."""
        found: list[LiveResource] = []
        for child in self.children(address):
            found.extend(self.descendants(child.address))
            found.append(child)
        return found
