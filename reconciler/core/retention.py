"""Retention: which versions a definition's rule deletes, and the guards that keep the rest (pure).

A definition with `lifecycle.retention` (its own, or its gallery's default) governs the versions the manifests
do not list: the rule decides which go, not pruning (which would delete every one of them). The versions it
weighs are this estate's and, with `includeUnowned`, those without the ownership tag; another estate's never.

Selection (`kinds.image_definition.Retention`): the newest `keepNewest` versions (highest version numbers, the
order `latest` uses; per major version with `perMajorVersion`), listed ones counted, are always kept. Of the
others a version goes when it was published more than `maxAgeDays` ago (Azure's `publishedDate`), or when its
end of life has passed (`deleteAfterEndOfLife`: its `endOfLifeDate`, else the one its definition's
`endOfLifeAfterDays` gives); with neither criterion, every version beyond the newest N goes.

Guards, none of which a setting switches off: a version is kept when it is listed in the manifests, carries
the protection tag (`model.PROTECTION_TAG_NAME`, any value), has a safety profile that blocks deletion before
an end of life not reached (Azure refuses: DeleteGalleryImageVersionBlockedBeforeEndOfLife), or is what
`latest` resolves to in any region now or once the plan is applied; and a definition is never left without a
version that is not excluded from latest (nor without any version). At most `maxRetentionDeletions` versions
(settings; default `DEFAULT_MAX_DELETIONS`) are deleted per run, oldest published first: the rest are shown
blocked until a later run. Deletions need the pruning opt-in (`--prune` / `settings.prune`), and are what
any version deletion is (`diff.version_deletion`): a soft delete, restorable until a date the plan gives, where
the gallery's soft delete is on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from reconciler.core import model as m
from reconciler.core.arm_json import format_datetime
from reconciler.core.changes import Action, ResourceChange, Wording
from reconciler.core.diff import DiffOptions, version_deletion
from reconciler.core.latest import Candidate, resolve_latest, versions_before_after
from reconciler.core.lifecycle import Expired
from reconciler.core.live_state import LiveResource, LiveState
from reconciler.core.reasons import Blocker, Guard, Note, Reason, RetentionRule, Why
from reconciler.kinds import IMAGE_VERSION

DEFAULT_MAX_DELETIONS = m.DEFAULT_MAX_RETENTION_DELETIONS

_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Kept:
    """A version the rule selects and a guard keeps."""

    version: str
    rule: Why[Reason]
    """The `Reason.RETENTION` that selected it."""
    guard: Why[Guard]

    def to_json(self, wording: Wording) -> dict[str, Any]:
        return {
            "version": self.version,
            "rule": self.rule.to_json(wording.reason_text(self.rule)),
            "guard": self.guard.to_json(wording.guard_text(self.guard)),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Kept:
        return cls(data["version"], Why.from_json(Reason, data["rule"]), Why.from_json(Guard, data["guard"]))


@dataclass(frozen=True)
class RetentionReport:
    """One definition under a retention rule: the rule, and the versions it selects that guards keep."""

    definition: str
    rule: dict[str, Any]
    """The rule as the manifest writes it (`Retention.to_json`)."""
    kept: tuple[Kept, ...] = ()

    def to_json(self, wording: Wording) -> dict[str, Any]:
        return {"definition": self.definition, "rule": self.rule, "kept": [k.to_json(wording) for k in self.kept]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RetentionReport:
        return cls(data["definition"], dict(data["rule"]), tuple(Kept.from_json(k) for k in data.get("kept", [])))


@dataclass(frozen=True)
class _Member:
    """A version the rule weighs: its name, and the live resource when it exists (None: listed, not yet live)."""

    name: str
    live: LiveResource | None
    listed: bool

    @property
    def key(self) -> tuple[int, ...]:
        return m.version_key(self.name)


def governed_definitions(desired: m.DesiredState, changes: Iterable[ResourceChange]) -> dict[str, Any]:
    """Definitions under a retention rule that stay (not replaced or deleted), by `resource_key`."""
    leaving = {m.resource_key(c.address) for c in changes if c.action in (Action.REPLACE, Action.DELETE)}
    return {
        m.resource_key(d.address): d
        for d in desired.definitions
        if d.lifecycle is not None and d.lifecycle.retention is not None and m.resource_key(d.address) not in leaving
    }


def weighed(item: LiveResource, estate: str, include_unowned: bool) -> bool:
    """Whether retention may weigh a live version: this estate's, or unowned with the opt-in."""
    return item.info.owned_by(estate) or (include_unowned and item.info.owner is None)


def _rule_hit(
    rule: Any, member: _Member, rank: int | None, now: datetime, expired: Mapping[str, Expired]
) -> Why[Reason] | None:
    """The first criterion that selects the version (None: kept by the rule itself)."""
    if rule.keep_newest is not None and rank is not None and rank < rule.keep_newest:
        return None
    live = member.live.resource if member.live is not None else None
    if rule.after_end_of_life and live is not None:
        if live.end_of_life_date is not None and live.end_of_life_date <= now:
            date = format_datetime(live.end_of_life_date) or ""
            return Why(Reason.RETENTION, (RetentionRule.END_OF_LIFE.value, date))
        gone = expired.get(m.resource_key(live.address))
        if gone is not None:
            return Why(
                Reason.RETENTION,
                (RetentionRule.END_OF_LIFE_BY_RULE.value, str(gone.days), format_datetime(gone.date) or ""),
            )
    published = live.published_date if live is not None else None
    if rule.max_age_days is not None and published is not None and now - published > timedelta(days=rule.max_age_days):
        when = format_datetime(published) or ""
        return Why(Reason.RETENTION, (RetentionRule.MAX_AGE.value, str(rule.max_age_days), when))
    if rule.keep_newest is not None and rule.max_age_days is None and not rule.after_end_of_life:
        major = str(member.key[0]) if rule.per_major_version else ""
        return Why(Reason.RETENTION, (RetentionRule.KEEP_NEWEST.value, str(rule.keep_newest), major))
    return None


def _ranks(members: list[_Member], per_major: bool) -> dict[str, int]:
    """Each member's place among the newest (0 = highest version number), within its major version if asked."""
    ranks: dict[str, int] = {}
    groups: dict[Any, list[_Member]] = {}
    for member in members:
        groups.setdefault(member.key[0] if per_major else None, []).append(member)
    for group in groups.values():
        for place, member in enumerate(sorted(group, key=lambda x: x.key, reverse=True)):
            ranks[member.name.lower()] = place
    return ranks


def _static_guard(member: _Member, now: datetime) -> Why[Guard] | None:
    """The guards that depend on the version alone."""
    if member.listed:
        return Why(Guard.LISTED)
    assert member.live is not None
    version = member.live.resource
    # Azure's tag names are case-insensitive: any spelling of the protection tag protects.
    if any(name.lower() == m.PROTECTION_TAG_NAME.lower() for name, _ in version.tags):
        return Why(Guard.PROTECTION_TAG, (m.PROTECTION_TAG_NAME,))
    eol = version.end_of_life_date
    if version.block_deletion_before_end_of_life and (eol is None or eol > now):
        return Why(Guard.SAFETY_PROFILE, (format_datetime(eol) or "",) if eol else ())
    return None


def _latest_regions(
    desired: m.DesiredState, live: LiveState, changes: list[ResourceChange]
) -> dict[str, dict[str, set[str]]]:
    """Definition key -> version name (lower) -> regions where `latest` resolves to it, now or after the plan."""
    out: dict[str, dict[str, set[str]]] = {}
    for preview in resolve_latest(desired, live, changes):
        found = out.setdefault(m.resource_key(preview.definition), {})
        for row in preview.regions:
            for name in {row.before, row.after} - {None}:
                found.setdefault(str(name).lower(), set()).add(row.region)
    return out


@dataclass
class _Selection:
    """What the rule selects in one definition, and what the guards keep."""

    deletions: list[tuple[_Member, Why[Reason]]]
    kept: list[Kept]


def _select(
    definition: Any,
    members: list[_Member],
    latest: Mapping[str, set[str]],
    after: list[Candidate],
    now: datetime,
    expired: Mapping[str, Expired],
) -> _Selection:
    rule = definition.lifecycle.retention
    ranks = _ranks(members, rule.per_major_version)
    chosen: list[tuple[_Member, Why[Reason]]] = []
    kept: list[Kept] = []
    for member in sorted(members, key=lambda x: x.key):
        hit = _rule_hit(rule, member, ranks.get(member.name.lower()), now, expired)
        if hit is None:
            continue
        guard = _static_guard(member, now)
        regions = latest.get(member.name.lower())
        if guard is None and regions:
            guard = Why(Guard.LATEST, tuple(sorted(regions)))
        if guard is not None:
            kept.append(Kept(member.name, hit, guard))
        else:
            chosen.append((member, hit))
    _keep_one_eligible(chosen, kept, after)
    return _Selection(chosen, kept)


def _keep_one_eligible(chosen: list[tuple[_Member, Why[Reason]]], kept: list[Kept], after: list[Candidate]) -> None:
    """Never leave the definition without a version not excluded from latest, nor without any version.

    `after` holds the definition's versions once the rest of the plan is applied; the chosen ones come out of it.
    """
    going = {member.name.lower() for member, _ in chosen}
    remaining = [c for c in after if c.name.lower() not in going]
    by_name = {c.name.lower(): c for c in after}
    if any(c.eligible for c in remaining) or not chosen:
        return
    eligible = [(mb, hit) for mb, hit in chosen if (c := by_name.get(mb.name.lower())) is not None and c.eligible]
    if eligible:
        member, hit = max(eligible, key=lambda pair: pair[0].key)
        guard = Why(Guard.LAST_ELIGIBLE)
    elif not remaining:
        member, hit = max(chosen, key=lambda pair: pair[0].key)
        guard = Why(Guard.LAST_VERSION)
    else:
        return
    chosen.remove((member, hit))
    kept.append(Kept(member.name, hit, guard))


def _deletion(
    member: _Member, hit: Why[Reason], blocked: Why[Blocker] | None, context: _Context
) -> ResourceChange:
    """The deletion of a selected version, with what Azure does with it (`diff.version_deletion`: a soft delete
    and until when it is restorable where the gallery's soft delete is on, or a permanent one with the bypass)."""
    assert member.live is not None
    item = member.live
    notes = () if item.info.owned_by(context.estate) else (Why(Note.NOT_CREATED_BY_TOOL),)
    change = ResourceChange(
        item.address,
        IMAGE_VERSION.name,
        Action.DELETE,
        item.resource.id,
        reason=hit,
        blocked=blocked,
        notes=notes,
        fingerprint=item.info.fingerprint,
    )
    return version_deletion(change, item, context.options, context.live, context.now)


@dataclass(frozen=True)
class _Context:
    estate: str
    options: DiffOptions
    live: LiveState
    now: datetime


def apply_retention(
    desired: m.DesiredState,
    live: LiveState,
    changes: list[ResourceChange],
    *,
    options: DiffOptions,
    now: datetime,
    expired: Mapping[str, Expired],
) -> tuple[list[ResourceChange], tuple[RetentionReport, ...]]:
    """The plan's changes with retention deciding the unlisted versions of governed definitions, and a report
    per governed definition. Returned changes are in the input's order, retention deletions appended.

    :param options: the plan's opt-ins: retention deletions need the pruning one too (`prune`).
    :param expired: versions whose end of life by rule has passed (`core.lifecycle`), by key.
    """
    governed = governed_definitions(desired, changes)
    if not governed:
        return changes, ()
    estate = desired.policy.estate
    rules = {key: d.lifecycle.retention for key, d in governed.items()}

    def governed_prune(change: ResourceChange) -> bool:
        """A prune deletion retention decides instead: an unlisted version of ours in a governed definition."""
        if change.kind != IMAGE_VERSION.name or change.reason != Why(Reason.NOT_IN_MANIFESTS):
            return False
        item = live.resources.get(m.resource_key(change.address))
        parent = m.resource_key(change.address.rsplit("/", 1)[0])
        return parent in governed and item is not None and item.info.owned_by(estate)

    kept_changes = [c for c in changes if not governed_prune(c)]
    latest = _latest_regions(desired, live, kept_changes)
    after = versions_before_after(desired, live, kept_changes).after
    listed = {m.resource_key(v.address) for v in desired.versions}
    members: dict[str, list[_Member]] = {key: [] for key in governed}
    for version in desired.versions:
        parent = m.resource_key(version.parent_address or "")
        if parent in members:
            members[parent].append(_Member(version.name, live.resources.get(m.resource_key(version.address)), True))
    for key, item in live.resources.items():
        res = item.resource
        parent = m.resource_key(res.parent_address or "")
        if res.kind is not IMAGE_VERSION or parent not in members or key in listed:
            continue
        if weighed(item, estate, rules[parent].include_unowned):
            members[parent].append(_Member(res.name, item, False))
    reports: list[RetentionReport] = []
    chosen: list[tuple[_Member, Why[Reason]]] = []
    for key in sorted(governed):
        definition = governed[key]
        picked = _select(definition, members[key], latest.get(key, {}), after.get(key, []), now, expired)
        chosen += picked.deletions
        reports.append(RetentionReport(definition.address, rules[key].to_json(), tuple(picked.kept)))
    cap = desired.policy.max_retention_deletions
    oldest_first = sorted(
        chosen, key=lambda pair: (pair[0].live.resource.published_date or _EARLIEST, pair[0].live.address.lower())
    )
    context = _Context(estate, options, live, now)
    deletions = []
    for place, (member, hit) in enumerate(oldest_first):
        if place >= cap:
            blocked: Why[Blocker] | None = Why(Blocker.RETENTION_CAP, (str(cap),))
        else:
            blocked = None if options.prune else Why(Blocker.NEEDS_PRUNE)
        deletions.append(_deletion(member, hit, blocked, context))
    return kept_changes + deletions, tuple(reports)


def with_notes(changes: Iterable[ResourceChange], notes: Mapping[str, tuple[Why[Note], ...]]) -> list[ResourceChange]:
    """The changes with extra notes by resource key (a note already there is not repeated)."""
    out = []
    for change in changes:
        extra = [n for n in notes.get(m.resource_key(change.address), ()) if n not in change.notes]
        out.append(replace(change, notes=change.notes + tuple(extra)) if extra else change)
    return out
