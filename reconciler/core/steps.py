"""From plan to executable steps: each change becomes one or two steps with explicit dependencies (pure).

Order: a resource group before its galleries, each kind before its children (`reconciler.kinds`); a
resource that depends on another in the manifests (a version made from another version) after it;
deletions in reverse, children first. A replace is a delete followed by a create of the same address. A
gallery's sharing changes are a step of their own (the `/share` action), after its create or update; a
soft-deleted version the manifests want back is a restore step.
The order is graphlib's topological sort, stable by address; a cycle is refused, never run.
"""

from __future__ import annotations

import enum
import graphlib
from dataclasses import dataclass, field

from reconciler.core import model as m
from reconciler.core.changes import Action, ResourceChange
from reconciler.core.diff import DiffOptions
from reconciler.core.live_state import LiveState
from reconciler.errors import UserError
from reconciler.kinds import GALLERY, IMAGE_VERSION
from reconciler.kinds import resource_group as rg
from reconciler.kinds.gallery import PERMISSIONS, is_share_path


class Operation(str, enum.Enum):
    """What a step does to its resource (values appear in the journal and --json results)."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    CREATE_GROUP = "create-group"
    WAIT = "wait"
    """Follow a version that an earlier run left replicating."""
    SHARE = "share"
    """Change a gallery's sharing with the `/share` action (Reset, Add, Remove, EnableCommunity)."""
    RESTORE = "restore"
    """Bring a soft-deleted version back from its gallery's recycle bin, then update what differs."""


@dataclass
class Step:
    """One operation on one resource, and the ids of the steps that must succeed first."""

    operation: Operation
    address: str
    kind: str
    deps: set[str] = field(default_factory=set)
    bypass_soft_delete: bool = False
    """A version delete that bypasses the gallery's soft delete (the plan's opt-in): gone for good."""

    @property
    def id(self) -> str:
        return f"{self.operation.value}:{m.resource_key(self.address)}"

    @property
    def label(self) -> str:
        """How people read this step, the same at start and end: `create version g/d/1.0.0`."""
        if self.operation is Operation.CREATE_GROUP:
            return f"create resource group {self.address.split(':', 1)[-1]}"
        return f"{self.operation.value} {self.kind} {self.address}"


class DependencyCycle(UserError):
    """Steps that wait on each other (e.g. versions that are each other's source)."""


def build_steps(
    changes: list[ResourceChange], desired: m.DesiredState, live: LiveState, options: DiffOptions | None = None
) -> list[Step]:
    """Steps for every actionable change, plus waits for versions still replicating from an earlier run.

    `options` are the plan's (a saved plan's own): they say whether version deletes bypass soft delete.
    Raises DependencyCycle when the dependencies form a cycle (`reconcile validate` reports the
    manifest lines of a version cycle; this is the last line of defence).
    """
    steps: dict[str, Step] = {}
    bypass = bool(options and options.bypass_soft_delete)

    def deleting(change: ResourceChange) -> Step:
        # bypassSoftDelete is a parameter of version deletes only
        permanent = bypass and change.kind == IMAGE_VERSION.name
        return add(Step(Operation.DELETE, change.address, change.kind, bypass_soft_delete=permanent))

    def add(step: Step) -> Step:
        steps[step.id] = step
        return step

    def shares(change: ResourceChange) -> bool:
        # A create's permissions go in its PUT; the rest of its sharing (members, enabling) needs `/share`.
        created = change.action is Action.CREATE
        return change.kind == GALLERY.name and any(
            is_share_path(c.path) and not (created and c.path == PERMISSIONS) for c in change.changes
        )

    for change in changes:
        if not change.actionable:
            continue
        if change.kind == rg.NAME:
            add(Step(Operation.CREATE_GROUP, change.address, change.kind))
        elif change.action is Action.CREATE:
            created = add(Step(Operation.CREATE, change.address, change.kind))
            if shares(change):
                add(Step(Operation.SHARE, change.address, change.kind, deps={created.id}))
        elif change.action is Action.UPDATE:
            # Sharing changes go through `/share`; the update after it stamps the applied digest (which covers
            # membership), so it is written only once the sharing is as the manifests say.
            shared = add(Step(Operation.SHARE, change.address, change.kind)) if shares(change) else None
            add(Step(Operation.UPDATE, change.address, change.kind, deps={shared.id} if shared else set()))
        elif change.action is Action.DELETE:
            deleting(change)
        elif change.action is Action.RESTORE:
            add(Step(Operation.RESTORE, change.address, change.kind))
        elif change.action is Action.REPLACE:
            gone = deleting(change)
            add(Step(Operation.CREATE, change.address, change.kind, deps={gone.id}))

    in_progress = ("creating", "updating")
    for version in desired.versions:
        key = m.resource_key(version.address)
        item = live.resources.get(key)
        busy = item is not None and (item.info.provisioning_state or "").lower() in in_progress
        if busy and not any(s.address.lower() == key for s in steps.values()):
            add(Step(Operation.WAIT, version.address, IMAGE_VERSION.name))

    groups = [s for s in steps.values() if s.operation is Operation.CREATE_GROUP]
    wanted = desired.by_key()

    def step_id(op: Operation, address: str) -> str:
        return f"{op.value}:{m.resource_key(address)}"

    making = (Operation.CREATE, Operation.UPDATE, Operation.WAIT, Operation.RESTORE)
    for step in steps.values():
        if step.operation in (*making, Operation.SHARE):
            for parent in m.ancestors(step.address):
                if step_id(Operation.CREATE, parent) in steps:
                    step.deps.add(step_id(Operation.CREATE, parent))
            if step.kind == GALLERY.name:
                step.deps.update(g.id for g in groups)
            resource = wanted.get(m.resource_key(step.address))
            if resource is not None and step.operation is Operation.CREATE:
                for needed in resource.kind.depends_on(resource):
                    for op in making:
                        if step_id(op, needed) in steps:
                            step.deps.add(step_id(op, needed))
        elif step.operation is Operation.DELETE:
            prefix = m.resource_key(step.address) + "/"
            step.deps.update(
                other.id
                for other in steps.values()
                if other.operation is Operation.DELETE and m.resource_key(other.address).startswith(prefix)
            )
    return order_steps(list(steps.values()))


def order_steps(steps: list[Step]) -> list[Step]:
    """Topological order, stable: deletions first (deepest first), then the rest parents first, by address.

    Raises DependencyCycle naming the steps in the cycle.
    """
    by_id = {s.id: s for s in steps}

    def rank(s: Step) -> tuple[bool, int, str]:
        depth = s.address.count("/")
        deleting = s.operation is Operation.DELETE
        return (not deleting, -depth if deleting else depth, s.address)

    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for step in steps:
        sorter.add(step.id, *(d for d in step.deps if d in by_id))
    try:
        sorter.prepare()
    except graphlib.CycleError as err:
        cycle = [by_id[i].label for i in err.args[1]]
        raise DependencyCycle(
            "these steps wait on each other, so none could start: "
            + " -> ".join(cycle)
            + "; break the cycle in the manifests (a version cannot be made from a version made from it)"
        ) from err
    out: list[Step] = []
    while sorter.is_active():
        ready = sorted((by_id[i] for i in sorter.get_ready()), key=rank)
        out.extend(ready)
        sorter.done(*(s.id for s in ready))
    return out
