"""From plan to executable steps: each change becomes one or two steps with explicit dependencies (pure).

Order: a resource group before its galleries, galleries before their definitions before their
versions; a version sourced from another version in the manifests after that version; deletions
in reverse, children first. A replace is a delete followed by a create of the same address.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler import model as m
from reconciler.changes import RESOURCE_GROUP_KIND, Action, ResourceChange
from reconciler.live_state import LiveState

CREATE, UPDATE, DELETE, CREATE_GROUP, WAIT = "create", "update", "delete", "create-group", "wait"


@dataclass
class Step:
    operation: str
    address: str
    kind: str
    deps: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        return f"{self.operation}:{m.resource_key(self.address)}"

    @property
    def label(self) -> str:
        """How people read this step: `create version g/d/1.0.0`, `create resource group rg`."""
        if self.operation == CREATE_GROUP:
            return f"create resource group {self.address.split(':', 1)[-1]}"
        return f"{self.operation} {self.kind} {self.address}"


def build_steps(changes: list[ResourceChange], desired: m.DesiredState, live: LiveState) -> list[Step]:
    """Steps for every actionable change, plus waits for versions still replicating from an earlier run."""
    steps: dict[str, Step] = {}

    def add(step: Step) -> Step:
        steps[step.id] = step
        return step

    for change in changes:
        if not change.actionable:
            continue
        if change.kind == RESOURCE_GROUP_KIND:
            add(Step(CREATE_GROUP, change.address, change.kind))
        elif change.action is Action.CREATE:
            add(Step(CREATE, change.address, change.kind))
        elif change.action is Action.UPDATE:
            add(Step(UPDATE, change.address, change.kind))
        elif change.action is Action.DELETE:
            add(Step(DELETE, change.address, change.kind))
        elif change.action is Action.REPLACE:
            gone = add(Step(DELETE, change.address, change.kind))
            add(Step(CREATE, change.address, change.kind, deps={gone.id}))

    in_progress = ("creating", "updating")
    for version in desired.versions:
        key = m.resource_key(version.address)
        item = live.resources.get(key)
        busy = item is not None and (item.info.provisioning_state or "").lower() in in_progress
        if busy and not any(s.address.lower() == key for s in steps.values()):
            add(Step(WAIT, version.address, m.Kind.VERSION.value))

    groups = [s for s in steps.values() if s.operation == CREATE_GROUP]
    sources = {
        m.resource_key(v.address): v.source.address
        for v in desired.versions
        if v.source is not None and v.source.address
    }
    for step in steps.values():
        if step.operation in (CREATE, UPDATE, WAIT):
            for parent in m.ancestors(step.address):
                if f"{CREATE}:{m.resource_key(parent)}" in steps:
                    step.deps.add(f"{CREATE}:{m.resource_key(parent)}")
            if step.kind == m.Kind.GALLERY.value:
                step.deps.update(g.id for g in groups)
            source = sources.get(m.resource_key(step.address))
            if source and step.operation == CREATE:
                for op in (CREATE, UPDATE, WAIT):
                    if f"{op}:{m.resource_key(source)}" in steps:
                        step.deps.add(f"{op}:{m.resource_key(source)}")
        elif step.operation == DELETE:
            prefix = m.resource_key(step.address) + "/"
            step.deps.update(
                other.id
                for other in steps.values()
                if other.operation == DELETE and m.resource_key(other.address).startswith(prefix)
            )
    return _ordered(list(steps.values()))


def _ordered(steps: list[Step]) -> list[Step]:
    """Topological order (stable by address), for display and deterministic scheduling."""
    by_id = {s.id: s for s in steps}
    done: set[str] = set()
    out: list[Step] = []

    # Deletions first (deepest first), then everything else parents first.
    def rank(s: Step) -> tuple[bool, int, str]:
        depth = s.address.count("/")
        return (s.operation != DELETE, -depth if s.operation == DELETE else depth, s.address)

    pending = sorted(steps, key=rank)
    while pending:
        progressed = False
        for step in list(pending):
            if all(d in done or d not in by_id for d in step.deps):
                out.append(step)
                done.add(step.id)
                pending.remove(step)
                progressed = True
        if not progressed:  # a cycle cannot come from a plan; keep going rather than hang
            out.extend(pending)
            break
    return out
