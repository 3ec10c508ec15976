"""Lifecycle rules resolved against the live state (pure): versions' end-of-life dates and `latest` promotion.

A definition's `lifecycle` (`kinds.image_definition.Lifecycle`) states rules, not values. Before the diff, each
version the manifests list is given the values its rules mean for it now, so the diff compares like with like
and apply-then-plan stays empty:

- **End of life by rule** (`endOfLifeAfterDays: N`), for a version whose manifest gives no `endOfLifeDate`
  (and does not write `null`): the date is N days after Azure's `publishedDate`. Azure refuses a past
  end-of-life date (API-FACTS §5.3, "EndOfLifeDate must be set to a future date"), so a date that has passed is
  never set: the version is a retention candidate instead (`core.retention`), and the plan says so. A version
  being created (or re-created by a replacement) has no published date yet: its date counts from `now`, the
  apply's time, which Azure's published date follows within the apply. A live date within a day of the rule's
  is left as it is (the created version's date counted from the apply, not from the published date).
- **Promotion** (`promotion: whenReplicated`), for a version whose manifest gives no `excludeFromLatest`: a new
  version is published excluded from latest; once every target region has replicated the flag is cleared
  (apply does it right after the replication it waits for; otherwise the next plan does, with the reason
  "promote"). A version already promoted stays promoted: the rule never hides a version `latest` serves.

`now` is passed in (aware UTC): the plan's time, or the saved plan's when a saved plan is applied.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reconciler.core import model as m
from reconciler.core.arm_json import format_datetime
from reconciler.core.live_state import LiveResource, LiveState
from reconciler.core.reasons import Note, Why

SAME_DATE = timedelta(days=1)
"""How far a live end-of-life date may be from the rule's and still count as the rule's."""


@dataclass(frozen=True)
class Expired:
    """A version whose end of life by rule has passed: not set on it, a retention candidate instead."""

    days: int
    published: datetime
    date: datetime


@dataclass(frozen=True)
class Resolution:
    """The desired state with the rules applied, and what the plan says about them."""

    desired: m.DesiredState
    notes: dict[str, tuple[Why[Note], ...]] = field(default_factory=dict)
    """By version key (`model.resource_key`)."""
    promoted: frozenset[str] = frozenset()
    """Keys of the live versions whose `excludeFromLatest` the promotion rule clears now (they replicated)."""
    expired: dict[str, Expired] = field(default_factory=dict)
    """Keys of the versions (listed or live) whose end of life by rule has passed."""


def has_rules(desired: m.DesiredState) -> bool:
    """Whether any definition has an end-of-life or promotion rule (only then is there anything to resolve)."""
    return any(
        d.lifecycle is not None and (d.lifecycle.end_of_life_after_days or d.lifecycle.promote_when_replicated)
        for d in desired.definitions
    )


def rule_end_of_life(days: int, published: datetime) -> datetime:
    """The end of life the rule gives a version published at `published`."""
    return published + timedelta(days=days)


def replicated(live: LiveResource, desired: Any) -> bool:
    """Azure finished replicating the live version to every region the manifests give it.

    A version's provisioningState is Succeeded once every region has replicated (a list read has no per-region
    status then, which the reads fetch only for versions that are not Succeeded).
    """
    if (live.info.provisioning_state or "").lower() != "succeeded":
        return False
    have = {r.name for r in live.resource.target_regions}
    if any(r.name not in have for r in desired.target_regions):
        return False
    return all(r.state.lower() == "completed" for r in live.info.replication)


def _end_of_life(
    version: Any, days: int, live: LiveResource | None, fresh: bool, now: datetime
) -> tuple[Any, Why[Note] | None, Expired | None]:
    if fresh or live is None:
        date = now.replace(microsecond=0) + timedelta(days=days)
        note = Why(Note.END_OF_LIFE_BY_RULE, (str(days), "apply", format_datetime(date) or ""))
        return dataclasses.replace(version, end_of_life_date=date), note, None
    published = live.resource.published_date
    if published is None:
        return version, None, None  # Azure did not say when: the rule cannot count (the plan leaves it alone)
    date = rule_end_of_life(days, published)
    if date <= now:
        return version, None, Expired(days, published, date)
    have = live.resource.end_of_life_date
    if have is not None and abs(have - date) <= SAME_DATE:
        date = have
    note = Why(Note.END_OF_LIFE_BY_RULE, (str(days), format_datetime(published) or "", format_datetime(date) or ""))
    return dataclasses.replace(version, end_of_life_date=date), note, None


def _promotion(version: Any, live: LiveResource | None, fresh: bool) -> tuple[Any, Why[Note] | None, bool]:
    """(version, note, promoted now) under the promotion rule."""
    if not fresh and live is not None:
        if not live.resource.exclude_from_latest:
            return dataclasses.replace(version, exclude_from_latest=False), None, False
        if replicated(live, version):
            return dataclasses.replace(version, exclude_from_latest=False), None, True
    pending = dataclasses.replace(version, exclude_from_latest=True, promote_when_replicated=True)
    return pending, Why(Note.PROMOTE_WHEN_REPLICATED), False


def resolve(desired: m.DesiredState, live: LiveState, fresh: Iterable[str], now: datetime) -> Resolution:
    """The desired state with every definition's end-of-life and promotion rules applied to its listed versions.

    :param fresh: keys of the versions the plan creates or re-creates (their live published date does not count).
    :param now: aware UTC; dates counted from the apply are counted from it.
    """
    fresh_keys = frozenset(fresh)
    rules = {m.resource_key(d.address): d.lifecycle for d in desired.definitions if d.lifecycle is not None}
    notes: dict[str, tuple[Why[Note], ...]] = {}
    expired: dict[str, Expired] = {}
    promoted: set[str] = set()
    resources: list[Any] = []
    for resource in desired.resources:
        rule = rules.get(m.resource_key(resource.parent_address or "")) if resource.kind.depth == 2 else None
        if rule is None:
            resources.append(resource)
            continue
        key = m.resource_key(resource.address)
        item = live.resources.get(key)
        found: list[Why[Note]] = []
        if rule.end_of_life_after_days and resource.end_of_life_date is None and not resource.no_end_of_life_date:
            resource, note, gone = _end_of_life(resource, rule.end_of_life_after_days, item, key in fresh_keys, now)
            found += [note] if note else []
            if gone is not None:
                expired[key] = gone
                found.append(_expired_note(gone))
        if rule.promote_when_replicated and resource.exclude_from_latest is None:
            resource, note, now_promoted = _promotion(resource, item, key in fresh_keys)
            found += [note] if note else []
            if now_promoted:
                promoted.add(key)
        if found:
            notes[key] = tuple(found)
        resources.append(resource)
    resolved = m.DesiredState(desired.resource_groups, tuple(resources), desired.policy)
    return Resolution(resolved, notes, frozenset(promoted), expired)


def _expired_note(gone: Expired) -> Why[Note]:
    return Why(
        Note.END_OF_LIFE_BY_RULE_PASSED,
        (str(gone.days), format_datetime(gone.published) or "", format_datetime(gone.date) or ""),
    )


def expired_unlisted(desired: m.DesiredState, live: LiveState, now: datetime) -> dict[str, Expired]:
    """Live versions the manifests do not list whose end of life by their definition's rule has passed.

    The rule sets no date on them (they are not managed), but retention's end-of-life criterion counts them.
    """
    rules = {
        m.resource_key(d.address): d.lifecycle.end_of_life_after_days
        for d in desired.definitions
        if d.lifecycle is not None and d.lifecycle.end_of_life_after_days
    }
    if not rules:
        return {}
    listed = {m.resource_key(v.address) for v in desired.versions}
    out: dict[str, Expired] = {}
    for key, item in live.resources.items():
        res = item.resource
        if res.kind.depth != 2 or key in listed or res.end_of_life_date is not None or res.published_date is None:
            continue
        days = rules.get(m.resource_key(res.parent_address))
        if days:
            date = rule_end_of_life(days, res.published_date)
            if date <= now:
                out[key] = Expired(days, res.published_date, date)
    return out
