"""The diff: desired state x live state -> one ResourceChange per resource, with field-level detail.

Pure: no I/O and no clock. Replacements cascade (a definition cannot be
deleted while it has versions), deletions only touch resources carrying the ownership tag, and
anything destructive is marked blocked unless the options allow it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from reconciler import model as m
from reconciler.changes import RESOURCE_GROUP_KIND, Action, FieldChange, ResourceChange, resource_group_address
from reconciler.fields import IMMUTABLE_REASON, Field, comparable, fields_of, managed_digest
from reconciler.live_state import LiveResource, LiveState
from reconciler.regions import fold_region
from reconciler.wire import format_datetime


@dataclass(frozen=True)
class DiffOptions:
    allow_replace: bool = False
    prune: bool = False

    def widened_by(self, policy: m.Policy) -> DiffOptions:
        """Flags and manifest settings together: either can allow, neither can forbid what the other allows."""
        return DiffOptions(allow_replace=self.allow_replace or policy.allow_replace, prune=self.prune or policy.prune)


REPLACE_HINT = "pass --allow-replace (or set settings.allowReplace: true) to allow it"
PRUNE_HINT = "pass --prune (or set settings.prune: true) to allow it"
_REGIONS = "publishingProfile.targetRegions"


def _region_of(path: str) -> str | None:
    if path.startswith(_REGIONS + "["):
        return path[len(_REGIONS) + 1 : path.index("]")]
    return None


def _effective(f: Field | None) -> Any:
    if f is None:
        return None
    return f.default if f.value is None else f.value


def _field_changes(desired: m.Resource, live: LiveResource) -> list[FieldChange]:
    want, have = fields_of(desired), fields_of(live.resource)
    changes: list[FieldChange] = []
    want_regions = {r.name for r in getattr(desired, "target_regions", ())}
    have_regions = {r.name for r in getattr(live.resource, "target_regions", ())}
    for path, spec in want.items():
        region = _region_of(path)
        if region is not None and region not in have_regions:
            continue  # a new region: reported once below, not field by field
        if spec.value is None and spec.default is None:
            continue  # unset and no Azure default: not managed
        before, after = _effective(have.get(path)), _effective(spec)
        if comparable(before, spec.case_insensitive) == comparable(after, spec.case_insensitive):
            continue
        changes.append(
            FieldChange(
                path, before, after, forces_replace=not spec.mutable, reason=None if spec.mutable else IMMUTABLE_REASON
            )
        )
    if isinstance(desired, m.ImageVersion) and isinstance(live.resource, m.ImageVersion):
        changes.extend(_region_set_changes(desired, live, want_regions, have_regions))
    changes.extend(_end_of_life_removal(desired, live))
    changes.extend(_tag_changes(desired.tags, live.resource.tags))
    return changes


def _end_of_life_removal(desired: m.Resource, live: LiveResource) -> list[FieldChange]:
    """`endOfLifeDate: null` against a live date: Azure can change the date but never remove it in place."""
    if not getattr(desired, "no_end_of_life_date", False):
        return []
    before = getattr(live.resource, "end_of_life_date", None)
    if before is None:
        return []
    path = "publishingProfile.endOfLifeDate" if isinstance(desired, m.ImageVersion) else "endOfLifeDate"
    return [
        FieldChange(
            path,
            format_datetime(before),
            None,
            forces_replace=True,
            reason="Azure cannot remove an end-of-life date in place",
        )
    ]


def _creation_fields(desired: m.Resource) -> list[FieldChange]:
    """What a create sets: every managed field with a value (defaults left to Azure are not listed)."""
    out = [
        FieldChange(path, None, _effective(spec))
        for path, spec in fields_of(desired).items()
        if _effective(spec) is not None and not (spec.value is None and spec.default is False)
    ]
    return out + _tag_changes(desired.tags, ())


def _region_summary(r: m.TargetRegion, version: m.ImageVersion) -> dict[str, Any]:
    count = r.replica_count if r.replica_count is not None else (version.replica_count or 1)
    out: dict[str, Any] = {"regionalReplicaCount": count}
    if r.storage_account_type or version.storage_account_type:
        out["storageAccountType"] = r.storage_account_type or version.storage_account_type
    return out


def _region_set_changes(
    desired: m.ImageVersion, live: LiveResource, want: set[str], have: set[str]
) -> list[FieldChange]:
    out: list[FieldChange] = []
    by_name = {r.name: r for r in desired.target_regions}
    live_version = live.resource
    assert isinstance(live_version, m.ImageVersion)
    for name in sorted(want - have):
        out.append(FieldChange(f"{_REGIONS}[{name}]", None, _region_summary(by_name[name], desired)))
    allowed = live_version.allow_deletion_of_replicated_locations is True
    # The safety profile protects replicated regions only: one that failed or is still replicating can go.
    unreplicated = {r.region for r in live.info.replication if r.state.lower() in ("failed", "replicating")}
    live_by_name = {r.name: r for r in live_version.target_regions}
    for name in sorted(have - want):
        removable = allowed or name in unreplicated
        out.append(
            FieldChange(
                f"{_REGIONS}[{name}]",
                _region_summary(live_by_name[name], live_version),
                None,
                forces_replace=not removable,
                reason=None
                if removable
                else "the version's safety profile forbids removing replicated regions "
                "(safetyProfile.allowDeletionOfReplicatedLocations is false)",
            )
        )
    return out


def _tag_changes(want: m.Tags, have: m.Tags) -> list[FieldChange]:
    want_d, have_d = dict(want), dict(have)
    out = []
    for key in sorted(set(want_d) | set(have_d)):
        if want_d.get(key) != have_d.get(key):
            out.append(FieldChange(f"tags.{key}", have_d.get(key), want_d.get(key)))
    return out


def _replication_problem(live: LiveResource) -> str | None:
    failed = [r.region for r in live.info.replication if r.state.lower() == "failed"]
    if failed:
        return f"replication failed in {', '.join(failed)}; apply requests it again"
    if (live.info.provisioning_state or "").lower() == "failed":
        return "the last operation on this version failed; apply requests it again"
    return None


def _depends_on(resource: m.Resource) -> tuple[str, ...]:
    deps = [resource.parent_address] if resource.parent_address else []
    if isinstance(resource, m.ImageVersion) and resource.source is not None and resource.source.address:
        deps.append(resource.source.address)
    return tuple(deps)


def _compare(desired: m.Resource, live: LiveResource | None, options: DiffOptions) -> ResourceChange:
    kind = desired.kind.value
    if live is None:
        return ResourceChange(
            desired.address,
            kind,
            Action.CREATE,
            desired.id,
            reason="not in Azure yet",
            changes=tuple(_creation_fields(desired)),
            depends_on=_depends_on(desired),
        )
    changes = _field_changes(desired, live)
    problem = _replication_problem(live) if isinstance(desired, m.ImageVersion) else None
    forced = [c for c in changes if c.forces_replace]
    if forced:
        names = ", ".join(c.path for c in forced)
        return ResourceChange(
            desired.address,
            kind,
            Action.REPLACE,
            desired.id,
            reason=f"must be replaced: {names} cannot change in place",
            changes=tuple(changes),
            blocked=None if options.allow_replace else f"replacing deletes and recreates it; {REPLACE_HINT}",
            depends_on=_depends_on(desired),
            fingerprint=live.info.fingerprint,
        )
    if changes or problem:
        # Drift only when the manifests still say what was last applied: then Azure is what changed.
        applied = live.info.applied_digest
        drift = bool(changes) and applied == managed_digest(desired)
        if problem:
            reason = problem
        elif drift:
            reason = "changed outside this tool (drift)"
        elif applied:
            reason = "the manifests changed since the last apply"
        else:
            reason = "differs from the manifests (not applied by this tool before)"
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


def _cascade(
    changes: dict[str, ResourceChange], desired: dict[str, m.Resource], live: LiveState, options: DiffOptions
) -> None:
    """A replaced parent takes its live children with it: desired ones are replaced, the rest deleted."""
    for key in sorted(changes, key=lambda k: k.count("/")):
        change = changes[key]
        if change.action is not Action.REPLACE:
            continue
        for child in live.descendants(change.address):
            ckey = m.resource_key(child.address)
            current = changes.get(ckey)
            note = f"{change.address} is replaced, and its children must go first"
            if ckey in desired:
                if current is not None and current.action is Action.REPLACE:
                    continue
                changes[ckey] = replace(
                    current or _compare(desired[ckey], child, options),
                    action=Action.REPLACE,
                    reason=note,
                    blocked=None if options.allow_replace else f"replacing deletes and recreates it; {REPLACE_HINT}",
                )
            else:
                changes[ckey] = ResourceChange(
                    child.address,
                    child.resource.kind.value,
                    Action.DELETE,
                    child.resource.id,
                    reason=note,
                    blocked=None if options.allow_replace else f"deleting it is part of a replacement; {REPLACE_HINT}",
                    fingerprint=child.info.fingerprint,
                    notes=() if child.info.owned else ("not created by this tool",),
                )


def _refuse_collisions(changes: dict[str, ResourceChange], desired: dict[str, m.Resource], live: LiveState) -> None:
    """Creates Azure would refuse for a name or identifier already taken: shown blocked, with what to do."""
    taken: dict[tuple[str, str, str, str], str] = {}
    for item in live.resources.values():
        res = item.resource
        if isinstance(res, m.ImageDefinition):
            ident = res.identifier
            key = (m.resource_key(res.gallery), ident.publisher.lower(), ident.offer.lower(), ident.sku.lower())
            taken[key] = res.address
    for key, change in list(changes.items()):
        if change.action is not Action.CREATE:
            continue
        resource = desired.get(key)
        reason = None
        if isinstance(resource, m.Gallery) and resource.name.lower() in live.gallery_names_elsewhere:
            where = live.gallery_names_elsewhere[resource.name.lower()]
            reason = (
                f"the gallery name is already used in this subscription ({where}); gallery names are "
                "unique per subscription, so choose another name or manage that gallery's resource group"
            )
        elif isinstance(resource, m.ImageDefinition):
            ident = resource.identifier
            other = taken.get(
                (m.resource_key(resource.gallery), ident.publisher.lower(), ident.offer.lower(), ident.sku.lower())
            )
            if other is not None and m.resource_key(other) != key:
                reason = (
                    f"definition {other} already has publisher/offer/sku {ident.publisher}/{ident.offer}/"
                    f"{ident.sku}, which must be unique in a gallery; choose another identifier"
                )
        if reason is not None:
            changes[key] = replace(change, blocked=reason)


def _hold_children_of_blocked_replacements(changes: dict[str, ResourceChange]) -> None:
    """A create or update below a parent whose replacement (or creation) is blocked cannot go ahead: hold it too."""
    blocked_parents = {key for key, c in changes.items() if c.action in (Action.REPLACE, Action.CREATE) and c.blocked}
    for key, change in changes.items():
        if change.blocked or change.action not in (Action.CREATE, Action.UPDATE):
            continue
        held = next((a for a in m.ancestors(key) if a in blocked_parents), None)
        if held is not None:
            changes[key] = replace(
                change,
                blocked=f"it belongs in {changes[held].address}, whose "
                + ("replacement" if changes[held].action is Action.REPLACE else "creation")
                + " is blocked"
                + (f"; {REPLACE_HINT}" if changes[held].action is Action.REPLACE else ""),
            )


def _deletions(
    desired: dict[str, m.Resource],
    live: LiveState,
    options: DiffOptions,
    changes: dict[str, ResourceChange],
    listed: frozenset[str],
) -> None:
    """Live resources the manifests no longer mention are pruned if owned (or explicitly listed); others stay."""

    def deletable(item: LiveResource) -> bool:
        return item.info.owned or m.resource_key(item.address) in listed

    for key, item in sorted(live.resources.items()):
        if key in desired or key in changes or not deletable(item):
            continue
        unmanaged = [c.address for c in live.descendants(item.address) if not deletable(c)]
        notes: list[str] = [] if item.info.owned else ["not created by this tool; listed in settings.pruneUnmanaged"]
        blocked = None if options.prune else f"it is no longer in the manifests; {PRUNE_HINT}"
        if unmanaged:
            notes.append("unmanaged children block the deletion: " + ", ".join(sorted(unmanaged)))
            blocked = (
                "resources not created by this tool are inside it ("
                + ", ".join(sorted(unmanaged))
                + "); delete them first, list them in settings.pruneUnmanaged, or add them to the manifests"
            )
        resource = item.resource
        if isinstance(resource, m.ImageVersion) and resource.block_deletion_before_end_of_life:
            notes.append("its safety profile blocks deletion before its end-of-life date")
        changes[key] = ResourceChange(
            item.address,
            resource.kind.value,
            Action.DELETE,
            resource.id,
            reason="no longer in the manifests",
            blocked=blocked,
            notes=tuple(notes),
            fingerprint=item.info.fingerprint,
        )


def _resource_groups(desired: m.DesiredState, live: LiveState) -> list[ResourceChange]:
    out = []
    for group in desired.resource_groups:
        exists = live.resource_groups.get((group.subscription_id, group.name.lower()))
        if exists or not group.create:
            continue
        rid = f"/subscriptions/{group.subscription_id}/resourceGroups/{group.name}"
        out.append(
            ResourceChange(
                resource_group_address(group.name),
                RESOURCE_GROUP_KIND,
                Action.CREATE,
                rid,
                reason="the manifests ask for it (createResourceGroup)",
                changes=(FieldChange("location", None, fold_region(group.location or "")),),
            )
        )
    return out


def diff_states(desired: m.DesiredState, live: LiveState, options: DiffOptions | None = None) -> list[ResourceChange]:
    """Every resource in either state, with its action; ordered galleries, definitions, versions by address."""
    options = (options or DiffOptions()).widened_by(desired.policy)
    wanted = desired.by_key()
    changes = {key: _compare(res, live.resources.get(key), options) for key, res in wanted.items()}
    _cascade(changes, wanted, live, options)
    _refuse_collisions(changes, wanted, live)
    _hold_children_of_blocked_replacements(changes)
    _deletions(wanted, live, options, changes, frozenset(m.resource_key(a) for a in desired.policy.prune_unmanaged))
    order = {m.Kind.GALLERY.value: 0, m.Kind.DEFINITION.value: 1, m.Kind.VERSION.value: 2}
    ordered = sorted(changes.values(), key=lambda c: (order[c.kind], c.address.lower()))
    return _resource_groups(desired, live) + ordered
