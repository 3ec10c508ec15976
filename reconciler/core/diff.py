"""The diff: desired state x live state -> one ResourceChange per resource, with field-level detail.

Pure: no I/O and no clock, and generic over `reconciler.kinds`: each kind's field table says what
compares how. Replacements cascade (a definition cannot be deleted while it has versions), deletions
only touch resources carrying the ownership tag, resources without it change only when the manifests
adopt them (`settings.adopt`), and anything destructive is blocked unless the options allow it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from reconciler.core import model as m
from reconciler.core.changes import Action, FieldChange, ResourceChange
from reconciler.core.digest import managed_digest
from reconciler.core.keyed import explain
from reconciler.core.live_state import LiveResource, LiveState
from reconciler.core.reasons import Blocker, Note, Reason, Why
from reconciler.kinds import GALLERY, IMAGE_DEFINITION, IMAGE_VERSION
from reconciler.kinds import resource_group as rg


@dataclass(frozen=True)
class DiffOptions:
    """The opt-ins for destructive changes: replacing resources and pruning those the manifests dropped."""

    allow_replace: bool = False
    prune: bool = False

    def widened_by(self, policy: m.Policy) -> DiffOptions:
        """Flags and manifest settings together: either can allow, neither can forbid what the other allows."""
        return DiffOptions(allow_replace=self.allow_replace or policy.allow_replace, prune=self.prune or policy.prune)


def _field_changes(desired: Any, live: LiveResource) -> list[FieldChange]:
    kind = desired.kind
    want, have = kind.fields(desired), kind.fields(live.resource)
    changes: list[FieldChange] = []
    for path, spec in want.items():
        if not spec.managed or kind.skip_field(path, desired, live):
            continue
        live_field = have.get(path)
        before, after = (live_field.effective if live_field else None), spec.effective
        folded_before, folded_after = spec.folded(before), spec.folded(after)
        if folded_before == folded_after:
            continue
        if after is None and spec.empty is not None:
            after = spec.empty  # clearing a list shows as [] (what is sent), not as absent
        reason = None if spec.mutable else spec.reason
        # A structured value names the sub-paths that changed instead of repeating both whole values.
        for sub, b, a in explain(path, before, after, folded_before, folded_after):
            changes.append(FieldChange(sub, b, a, forces_replace=not spec.mutable, reason=reason))
    changes.extend(kind.extra_changes(desired, live))
    changes.extend(_tag_changes(desired.tags, live.resource.tags))
    return changes


def _creation_fields(desired: Any) -> list[FieldChange]:
    """What a create sets: every managed field with a value (defaults left to Azure are not listed)."""
    out = [
        FieldChange(path, None, spec.effective)
        for path, spec in desired.kind.fields(desired).items()
        if spec.effective is not None and not (spec.value is None and spec.default is False)
    ]
    return out + desired.kind.extra_creation_changes(desired) + _tag_changes(desired.tags, ())


def _tag_changes(want: m.Tags, have: m.Tags) -> list[FieldChange]:
    want_d, have_d = dict(want), dict(have)
    return [
        FieldChange(f"tags.{key}", have_d.get(key), want_d.get(key))
        for key in sorted(set(want_d) | set(have_d))
        if want_d.get(key) != have_d.get(key)
    ]


def _depends_on(resource: Any) -> tuple[str, ...]:
    parent = (resource.parent_address,) if resource.parent_address else ()
    return parent + resource.kind.depends_on(resource)


def _replace_blocker(options: DiffOptions) -> Why[Blocker] | None:
    return None if options.allow_replace else Why(Blocker.NEEDS_ALLOW_REPLACE)


def _compare(desired: Any, live: LiveResource | None, options: DiffOptions) -> ResourceChange:
    kind = desired.kind.name
    if live is None:
        return ResourceChange(
            desired.address,
            kind,
            Action.CREATE,
            desired.id,
            reason=Why(Reason.NOT_IN_AZURE),
            changes=tuple(_creation_fields(desired)),
            depends_on=_depends_on(desired),
        )
    changes = _field_changes(desired, live)
    forced = list(dict.fromkeys(c.path for c in changes if c.forces_replace))
    if forced:
        return ResourceChange(
            desired.address,
            kind,
            Action.REPLACE,
            desired.id,
            reason=Why(Reason.CANNOT_UPDATE, tuple(forced)),
            changes=tuple(changes),
            blocked=_replace_blocker(options),
            depends_on=_depends_on(desired),
            fingerprint=live.info.fingerprint,
        )
    problem = desired.kind.health(live)
    if changes or problem:
        # Drift only when the manifests still say what was last applied: then Azure is what changed.
        applied = live.info.applied_digest
        drift = bool(changes) and applied == managed_digest(desired)
        if problem:
            reason = Why(problem[0], problem[1])
        elif drift:
            reason = Why(Reason.DRIFT)
        elif applied:
            reason = Why(Reason.MANIFEST_CHANGED)
        else:
            reason = Why(Reason.NOT_APPLIED_BEFORE)
        return ResourceChange(
            desired.address,
            kind,
            Action.UPDATE,
            desired.id,
            reason=reason,
            changes=tuple(changes),
            drift=drift,
            depends_on=_depends_on(desired),
            fingerprint=live.info.fingerprint,
        )
    return ResourceChange(desired.address, kind, Action.NOOP, desired.id, fingerprint=live.info.fingerprint)


def _ownership_notes(item: LiveResource, estate: str) -> tuple[Why[Note], ...]:
    if item.info.owned_by(estate):
        return ()
    if item.info.owner is not None:
        return (Why(Note.OWNED_BY_OTHER_ESTATE, (item.info.owner,)),)
    return (Why(Note.NOT_CREATED_BY_TOOL),)


def _cascade(
    changes: dict[str, ResourceChange], desired: dict[str, Any], live: LiveState, options: DiffOptions, estate: str
) -> None:
    """A replaced parent takes its live children with it: desired ones are replaced, the rest deleted."""
    for key in sorted(changes, key=lambda k: k.count("/")):
        change = changes[key]
        if change.action is not Action.REPLACE:
            continue
        for child in live.descendants(change.address):
            ckey = m.resource_key(child.address)
            current = changes.get(ckey)
            why = Why(Reason.PARENT_REPLACED, (change.address,))
            if ckey in desired:
                if current is not None and current.action is Action.REPLACE:
                    continue
                changes[ckey] = replace(
                    current or _compare(desired[ckey], child, options),
                    action=Action.REPLACE,
                    reason=why,
                    blocked=_replace_blocker(options),
                )
            else:
                changes[ckey] = ResourceChange(
                    child.address,
                    child.resource.kind.name,
                    Action.DELETE,
                    child.resource.id,
                    reason=why,
                    blocked=None if options.allow_replace else Why(Blocker.NEEDS_ALLOW_REPLACE_TO_DELETE),
                    fingerprint=child.info.fingerprint,
                    notes=_ownership_notes(child, estate),
                )


def _identifier_key(definition: Any) -> tuple[str, str, str, str]:
    ident = definition.identifier
    return (m.resource_key(definition.gallery), ident.publisher.lower(), ident.offer.lower(), ident.sku.lower())


def _refuse_collisions(changes: dict[str, ResourceChange], desired: dict[str, Any], live: LiveState) -> None:
    """Creates Azure would refuse for a name or identifier already taken: shown blocked, with what to do."""
    taken = {
        _identifier_key(item.resource): item.resource.address
        for item in live.resources.values()
        if item.resource.kind is IMAGE_DEFINITION
    }
    for key, change in list(changes.items()):
        if change.action is not Action.CREATE:
            continue
        resource = desired.get(key)
        blocker = None
        if resource is None:
            continue
        if resource.kind is GALLERY and resource.name.lower() in live.gallery_names_elsewhere:
            blocker = Why(Blocker.GALLERY_NAME_TAKEN, (live.gallery_names_elsewhere[resource.name.lower()],))
        elif resource.kind is IMAGE_DEFINITION:
            other = taken.get(_identifier_key(resource))
            if other is not None and m.resource_key(other) != key:
                ident = resource.identifier
                blocker = Why(Blocker.IDENTIFIER_TAKEN, (other, ident.publisher, ident.offer, ident.sku))
        if blocker is not None:
            changes[key] = replace(change, blocked=blocker)


def _refuse_other_estates(changes: dict[str, ResourceChange], live: LiveState, estate: str) -> None:
    """A resource another named estate owns is not taken over silently: its changes are blocked.

    Resources of the default estate (tagged before estates existed) move to a named estate as an ordinary
    tag update, shown in the plan.
    """
    for key, change in changes.items():
        item = live.resources.get(key)
        if item is None or change.action is Action.NOOP or change.blocked:
            continue
        owner = item.info.owner
        if owner is None or item.info.owned_by(estate) or owner.lower() == m.DEFAULT_ESTATE:
            continue
        changes[key] = replace(change, blocked=Why(Blocker.OWNED_BY_OTHER_ESTATE, (owner,)))


def _adopt_or_hold_unowned(changes: dict[str, ResourceChange], live: LiveState, adopt: bool) -> None:
    """A resource the manifests name that exists without an ownership tag is taken over only when they adopt it.

    Adopting (`settings.adopt`) is the ordinary update, which adds the tag; without it the change is blocked
    (whatever else blocked it), so the plan lists every unowned resource and how to adopt it.
    """
    held: dict[str, str] = {}
    for key, change in changes.items():
        item = live.resources.get(key)
        if item is None or item.info.owner is not None or change.action not in (Action.UPDATE, Action.REPLACE):
            continue
        fresh = change.action is Action.UPDATE and change.reason == Why(Reason.NOT_APPLIED_BEFORE)
        if not adopt:
            reason = Why(Reason.UNOWNED) if fresh else change.reason
            changes[key] = replace(change, reason=reason, blocked=Why(Blocker.NOT_ADOPTED))
            if change.action is Action.REPLACE:
                held[key] = change.address
        elif fresh:
            changes[key] = replace(change, reason=Why(Reason.ADOPT))
    # What a held replacement would take along (its children's replacements and deletions) is held with it.
    for key, change in changes.items():
        parent = next((a for a in m.ancestors(key) if a in held), None)
        if parent is not None and change.action in (Action.REPLACE, Action.DELETE) and change.blocked is None:
            changes[key] = replace(change, blocked=Why(Blocker.PARENT_REPLACE_BLOCKED, (held[parent],)))


def _hold_children_of_blocked_replacements(changes: dict[str, ResourceChange]) -> None:
    """A create or update below a parent whose replacement (or creation) is blocked cannot go ahead: hold it too."""
    blocked_parents = {key for key, c in changes.items() if c.action in (Action.REPLACE, Action.CREATE) and c.blocked}
    for key, change in changes.items():
        if change.blocked or change.action not in (Action.CREATE, Action.UPDATE):
            continue
        held = next((a for a in m.ancestors(key) if a in blocked_parents), None)
        if held is not None:
            parent = changes[held]
            code = Blocker.PARENT_REPLACE_BLOCKED if parent.action is Action.REPLACE else Blocker.PARENT_CREATE_BLOCKED
            changes[key] = replace(change, blocked=Why(code, (parent.address,)))


def _deletions(
    desired: dict[str, Any],
    live: LiveState,
    options: DiffOptions,
    changes: dict[str, ResourceChange],
    listed: frozenset[str],
    estate: str,
) -> None:
    """Live resources these manifests do not mention are pruned if their estate owns them (or they are unowned
    and explicitly listed); resources of other estates and unowned ones stay."""

    def deletable(item: LiveResource) -> bool:
        return item.info.owned_by(estate) or (item.info.owner is None and m.resource_key(item.address) in listed)

    for key, item in sorted(live.resources.items()):
        if key in desired or key in changes or not deletable(item):
            continue
        unmanaged = tuple(sorted(c.address for c in live.descendants(item.address) if not deletable(c)))
        notes: list[Why[Note]] = [] if item.info.owned_by(estate) else [Why(Note.LISTED_IN_PRUNE_UNMANAGED)]
        blocked = None if options.prune else Why(Blocker.NEEDS_PRUNE)
        if unmanaged:
            notes.append(Why(Note.UNMANAGED_CHILDREN, unmanaged))
            blocked = Why(Blocker.UNMANAGED_CHILDREN, unmanaged)
        resource = item.resource
        notes.extend(Why(code, subjects) for code, subjects in resource.kind.deletion_notes(item))
        changes[key] = ResourceChange(
            item.address,
            resource.kind.name,
            Action.DELETE,
            resource.id,
            reason=Why(Reason.NOT_IN_MANIFESTS),
            blocked=blocked,
            notes=tuple(notes),
            fingerprint=item.info.fingerprint,
        )


def diff_states(desired: m.DesiredState, live: LiveState, options: DiffOptions | None = None) -> list[ResourceChange]:
    """Every resource in either state, with its action: resource groups, then each kind in order, by address."""
    options = (options or DiffOptions()).widened_by(desired.policy)
    wanted = desired.by_key()
    changes = {key: _compare(res, live.resources.get(key), options) for key, res in wanted.items()}
    estate = desired.policy.estate
    _cascade(changes, wanted, live, options, estate)
    _refuse_collisions(changes, wanted, live)
    _adopt_or_hold_unowned(changes, live, desired.policy.adopt)
    _refuse_other_estates(changes, live, estate)
    _hold_children_of_blocked_replacements(changes)
    listed = frozenset(m.resource_key(a) for a in desired.policy.prune_unmanaged)
    _deletions(wanted, live, options, changes, listed, estate)
    from reconciler.kinds import BY_NAME

    ordered = sorted(changes.values(), key=lambda c: _plan_order(c, BY_NAME[c.kind].depth))
    return rg.planned_creates(desired, live.resource_groups) + ordered


def _plan_order(change: ResourceChange, depth: int) -> tuple[Any, ...]:
    """Kind by kind; within a kind by parent address, then by name, version names numerically (9.0.0 < 10.0.0)."""
    parent, _, name = change.address.lower().rpartition("/")
    return (depth, parent, m.version_key(name) if change.kind == IMAGE_VERSION.name else (name,))
