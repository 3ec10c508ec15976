"""The diff: desired state x live state -> one ResourceChange per resource, with field-level detail.

Pure: no I/O and no clock, and generic over `reconciler.kinds`: each kind's field table says what
compares how. Replacements cascade (a definition cannot be deleted while it has versions), deletions
only touch resources carrying the ownership tag, resources without it change only when the manifests
adopt them (`settings.adopt`), and anything destructive is blocked unless the options allow it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from reconciler.core import model as m
from reconciler.core.arm_json import format_datetime
from reconciler.core.changes import Action, FieldChange, ResourceChange
from reconciler.core.digest import managed_digest
from reconciler.core.keyed import explain
from reconciler.core.live_state import LiveResource, LiveState, SoftDeletedVersion
from reconciler.core.reasons import Blocker, Note, Reason, Why
from reconciler.kinds import GALLERY, IMAGE_DEFINITION, IMAGE_VERSION
from reconciler.kinds import resource_group as rg


@dataclass(frozen=True)
class DiffOptions:
    """The opt-ins: replacing resources, pruning those the manifests dropped, enabling community sharing (a
    one-way door for the public name), and deleting versions permanently where soft delete would keep them."""

    allow_replace: bool = False
    prune: bool = False
    allow_community: bool = False
    bypass_soft_delete: bool = False

    def widened_by(self, policy: m.Policy) -> DiffOptions:
        """Flags and manifest settings together: either can allow, neither can forbid what the other allows."""
        return DiffOptions(
            allow_replace=self.allow_replace or policy.allow_replace,
            prune=self.prune or policy.prune,
            allow_community=self.allow_community or policy.allow_community,
            bypass_soft_delete=self.bypass_soft_delete or policy.bypass_soft_delete,
        )


def _field_changes(desired: Any, live: LiveResource) -> list[FieldChange]:
    kind = desired.kind
    want, have = kind.fields(desired), kind.fields(live.resource)
    changes: list[FieldChange] = []
    for path, spec in want.items():
        if not spec.managed or kind.skip_field(path, desired, live) or kind.reported_elsewhere(path):
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


def field_changes(desired: Any, live: LiveResource) -> list[FieldChange]:
    """Every field that differs between a desired resource and its live counterpart (what an update changes)."""
    return _field_changes(desired, live)


def _creation_fields(desired: Any) -> list[FieldChange]:
    """What a create sets: every managed field with a value (defaults left to Azure are not listed)."""
    out = [
        FieldChange(path, None, spec.effective)
        for path, spec in desired.kind.fields(desired).items()
        if spec.effective is not None
        and not (spec.value is None and spec.default is False)
        and not desired.kind.reported_elsewhere(path)
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


def _blocker(desired: Any, live: LiveResource | None, options: DiffOptions) -> Why[Blocker] | None:
    found = desired.kind.update_blocker(desired, live, options)
    return Why(found[0], tuple(found[1])) if found else None


def _restore(desired: Any, entry: SoftDeletedVersion) -> ResourceChange:
    """A version the manifests want that sits in the recycle bin: restored, not created again from its source."""
    when = (format_datetime(entry.soft_deleted_time) or "", format_datetime(entry.hard_deletion_time) or "")
    return ResourceChange(
        desired.address,
        desired.kind.name,
        Action.RESTORE,
        desired.id,
        reason=Why(Reason.RESTORE_SOFT_DELETED, when),
        depends_on=_depends_on(desired),
        notes=(Why(Note.RESTORE_THEN_UPDATE),),
    )


def _compare(
    desired: Any, live: LiveResource | None, options: DiffOptions, binned: SoftDeletedVersion | None = None
) -> ResourceChange:
    kind = desired.kind.name
    if live is None:
        if binned is not None:
            return _restore(desired, binned)
        return ResourceChange(
            desired.address,
            kind,
            Action.CREATE,
            desired.id,
            reason=Why(Reason.NOT_IN_AZURE),
            changes=tuple(_creation_fields(desired)),
            blocked=_blocker(desired, None, options),
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
            blocked=_blocker(desired, live, options) if changes else None,
            drift=drift,
            depends_on=_depends_on(desired),
            fingerprint=live.info.fingerprint,
            notes=tuple(Why(code, tuple(subjects)) for code, subjects in desired.kind.change_notes(desired, live)),
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
    (by what already blocked it, if anything, else as not adopted), so the plan lists every unowned resource.
    """
    held: dict[str, str] = {}
    for key, change in changes.items():
        item = live.resources.get(key)
        if item is None or item.info.owner is not None or change.action not in (Action.UPDATE, Action.REPLACE):
            continue
        fresh = change.action is Action.UPDATE and change.reason == Why(Reason.NOT_APPLIED_BEFORE)
        if not adopt:
            reason = Why(Reason.UNOWNED) if fresh else change.reason
            changes[key] = replace(change, reason=reason, blocked=change.blocked or Why(Blocker.NOT_ADOPTED))
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


def _hold_cascades_of_blocked_parents(changes: dict[str, ResourceChange]) -> None:
    """Children a replacement takes along wait when that replacement is blocked (e.g. by a child's end of life)."""
    for key, change in changes.items():
        if change.blocked or change.reason is None or change.reason.code is not Reason.PARENT_REPLACED:
            continue
        parent = changes.get(m.resource_key(change.reason.subjects[0]))
        if parent is not None and parent.blocked is not None:
            changes[key] = replace(change, blocked=Why(Blocker.PARENT_REPLACE_BLOCKED, (parent.address,)))


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

    def owned(item: LiveResource) -> bool:
        return item.info.owned_by(estate) or (item.info.owner is None and m.resource_key(item.address) in listed)

    def deletable(item: LiveResource) -> bool:
        return owned(item) and not _protected(item)

    for key, item in sorted(live.resources.items()):
        if key in desired or key in changes or not owned(item):
            continue
        if _protected(item):
            # The protection tag keeps a resource from every deletion the tool derives, pruning included.
            changes[key] = ResourceChange(
                item.address,
                item.resource.kind.name,
                Action.DELETE,
                item.resource.id,
                reason=Why(Reason.NOT_IN_MANIFESTS),
                blocked=Why(Blocker.PROTECTED, (m.PROTECTION_TAG_NAME,)),
                fingerprint=item.info.fingerprint,
            )
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


def _protected(item: LiveResource) -> bool:
    """The resource carries the protection tag (in any spelling: Azure's tag names are case-insensitive)."""
    return any(name.lower() == m.PROTECTION_TAG_NAME.lower() for name, _ in item.resource.tags)


def _soft_delete_note(gallery: Any, options: DiffOptions, now: datetime | None) -> Why[Note]:
    """How a version of `gallery` (soft delete on) is deleted: into the recycle bin until when, or permanently."""
    if options.bypass_soft_delete:
        return Why(Note.PERMANENT_DELETE)
    if now is None:
        return Why(Note.SOFT_DELETE)
    retention, grace = gallery.soft_delete_periods
    usable = now + timedelta(days=retention)
    return Why(Note.SOFT_DELETE, (format_datetime(usable) or "", format_datetime(usable + timedelta(days=grace)) or ""))


def _soft_delete_on(live: LiveState, address: str) -> Any | None:
    """The live gallery of `address` when its soft delete is on (deletions there go to its recycle bin)."""
    item = live.resources.get(m.resource_key(address.split("/", 1)[0]))
    return item.resource if item is not None and item.resource.soft_delete else None


def version_deletion(
    change: ResourceChange, item: LiveResource, options: DiffOptions, live: LiveState, now: Any
) -> ResourceChange:
    """A version deleted (pruned, or as part of a replacement): blocked until its end of life when its safety
    profile says so (Azure refuses: DeleteGalleryImageVersionBlockedBeforeEndOfLife), and a soft or permanent
    delete where its gallery's soft delete is on."""
    version = item.resource
    eol = version.end_of_life_date
    if version.block_deletion_before_end_of_life and (eol is None or now is None or eol > now):
        subjects = (format_datetime(eol) or "",) if eol is not None else ()
        return replace(change, blocked=Why(Blocker.DELETION_BLOCKED_UNTIL_END_OF_LIFE, subjects))
    gallery = _soft_delete_on(live, change.address)
    if gallery is None:
        return change
    if change.action is Action.REPLACE and not options.bypass_soft_delete:
        return replace(change, blocked=Why(Blocker.REPLACE_NEEDS_BYPASS_SOFT_DELETE))
    return replace(change, notes=(*change.notes, _soft_delete_note(gallery, options, now)))


def _parent_deletion(
    change: ResourceChange, changes: dict[str, ResourceChange], options: DiffOptions, live: LiveState
) -> ResourceChange:
    """A definition or gallery deleted (or replaced) cannot go while a child's deletion is blocked, nor while it
    would hold soft-deleted versions ("Deleting a gallery or image definition with Soft Deleted resources isn't
    supported", soft-delete docs)."""
    prefix = m.resource_key(change.address) + "/"
    below = [c for key, c in changes.items() if key.startswith(prefix) and c.action in (Action.DELETE, Action.REPLACE)]
    stuck = tuple(
        c.address
        for c in below
        if c.blocked is not None
        and c.blocked.code in _BLOCKS_PARENT
        and c.address.count("/") == change.address.count("/") + 1
    )
    if stuck:
        return replace(change, blocked=change.blocked or Why(Blocker.CHILD_DELETION_BLOCKED, stuck))
    if _soft_delete_on(live, change.address) is None:
        return change
    binned = [v.address for v in live.in_recycle_bin(change.address)]
    if not options.bypass_soft_delete:
        binned += [c.address for c in below if c.kind == IMAGE_VERSION.name]
    if binned:
        return replace(change, blocked=Why(Blocker.SOFT_DELETED_VERSIONS_INSIDE, tuple(sorted(set(binned)))))
    return change


_BLOCKS_PARENT = (
    Blocker.DELETION_BLOCKED_UNTIL_END_OF_LIFE,
    Blocker.CHILD_DELETION_BLOCKED,
    Blocker.SOFT_DELETED_VERSIONS_INSIDE,
    Blocker.REPLACE_NEEDS_BYPASS_SOFT_DELETE,
)


def _deletion_rules(changes: dict[str, ResourceChange], live: LiveState, options: DiffOptions, now: Any) -> None:
    """What Azure does with each deletion the plan makes, deepest first: see `version_deletion`, `_parent_deletion`."""
    for key in sorted(changes, key=lambda k: -k.count("/")):
        change = changes[key]
        item = live.resources.get(key)
        if item is None or change.action not in (Action.DELETE, Action.REPLACE):
            continue
        if change.kind == IMAGE_VERSION.name:
            changes[key] = version_deletion(change, item, options, live, now)
        else:
            changes[key] = _parent_deletion(change, changes, options, live)


def diff_states(
    desired: m.DesiredState, live: LiveState, options: DiffOptions | None = None, now: datetime | None = None
) -> list[ResourceChange]:
    """Every resource in either state, with its action: resource groups, then each kind in order, by address.

    `now` (aware UTC) dates what depends on time: whether an end-of-life date has passed, and until when a soft
    delete is restorable. Without it (the diff stays pure) an end-of-life date counts as not yet reached.
    """
    options = (options or DiffOptions()).widened_by(desired.policy)
    wanted = desired.by_key()
    changes = {
        key: _compare(res, live.resources.get(key), options, live.recycle_bin.get(key)) for key, res in wanted.items()
    }
    estate = desired.policy.estate
    _cascade(changes, wanted, live, options, estate)
    _refuse_collisions(changes, wanted, live)
    _adopt_or_hold_unowned(changes, live, desired.policy.adopt)
    _refuse_other_estates(changes, live, estate)
    _hold_children_of_blocked_replacements(changes)
    listed = frozenset(m.resource_key(a) for a in desired.policy.prune_unmanaged)
    _deletions(wanted, live, options, changes, listed, estate)
    _deletion_rules(changes, live, options, now)
    _hold_cascades_of_blocked_parents(changes)
    _hold_children_of_blocked_replacements(changes)
    return rg.planned_creates(desired, live.resource_groups) + order_changes(list(changes.values()))


def order_changes(changes: list[ResourceChange]) -> list[ResourceChange]:
    """Resource groups first (as given), then each kind in order (see `_plan_order`)."""
    from reconciler.kinds import BY_NAME

    groups = [c for c in changes if c.kind not in BY_NAME]
    rest = [c for c in changes if c.kind in BY_NAME]
    return groups + sorted(rest, key=lambda c: _plan_order(c, BY_NAME[c.kind].depth))


def _plan_order(change: ResourceChange, depth: int) -> tuple[Any, ...]:
    """Kind by kind; within a kind by parent address, then by name, version names numerically (9.0.0 < 10.0.0)."""
    parent, _, name = change.address.lower().rpartition("/")
    return (depth, parent, m.version_key(name) if change.kind == IMAGE_VERSION.name else (name,))
