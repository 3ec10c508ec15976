"""Retention (core/retention.py): what the rules select, what the guards keep, and invariants over random estates."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reconciler.core import model as m
from reconciler.core.changes import Action
from reconciler.core.latest import Candidate, latest_in
from reconciler.core.live_state import LiveResource
from reconciler.core.plan import build_plan
from reconciler.core.reasons import Guard, Reason, RetentionRule, Why
from reconciler.core.retention import _keep_one_eligible, _Member
from reconciler.kinds.image_definition import Lifecycle, Retention
from reconciler.kinds.image_version import TargetRegion
from tests.unit.plan_fixtures import as_live, definition, desired_state, gallery, live_state, version
from tests.unit.test_plan import TARGET

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
REGIONS = ("eastus", "westus2")


def aged(item: LiveResource, days: float | None) -> LiveResource:
    """The live version as published `days` ago (None: Azure did not say)."""
    when = None if days is None else NOW - timedelta(days=days)
    return replace(item, resource=replace(item.resource, published_date=when))


def ruled(retention: Retention | None = None, **kw: Any) -> Any:
    return definition(lifecycle=Lifecycle(retention=retention, **kw))


def plan_of(resources: list[Any], live: list[LiveResource], *, prune: bool = True, cap: int = 10) -> Any:
    policy = m.Policy(prune=prune, max_retention_deletions=cap)
    return build_plan(desired_state(*resources, policy=policy), live_state(*live), TARGET, now=NOW)


def deleted(plan: Any, *, allowed_only: bool = True) -> list[str]:
    return [
        c.address.rsplit("/", 1)[1]
        for c in plan.changes
        if c.action is Action.DELETE
        and c.reason is not None
        and c.reason.code is Reason.RETENTION
        and (c.blocked is None or not allowed_only)
    ]


def test_keep_newest_counts_listed_versions_and_replaces_pruning() -> None:
    d = ruled(Retention(keep_newest=2))
    live = [as_live(gallery()), as_live(d)] + [aged(as_live(version(f"1.0.{i}")), 100 - i) for i in range(5)]
    plan = plan_of([gallery(), d, version("1.0.4")], live)
    assert deleted(plan) == ["1.0.0", "1.0.1", "1.0.2"]  # 1.0.3 is the second newest: not pruned either
    assert {c.address for c in plan.changes if c.action is Action.DELETE} == {f"gal/ubuntu/1.0.{i}" for i in range(3)}
    (report,) = plan.retention
    assert report.rule == {"keepNewest": 2} and report.kept == ()


def test_age_and_end_of_life_never_reach_the_newest_n() -> None:
    d = ruled(Retention(keep_newest=1, max_age_days=10, after_end_of_life=True))
    past = NOW - timedelta(days=1)
    live = [as_live(gallery()), as_live(d)]
    live += [aged(as_live(version("1.0.0", end_of_life_date=past)), 5)]  # young, but its end of life passed
    live += [aged(as_live(version("1.1.0")), 50)]  # old
    live += [aged(as_live(version("1.2.0")), 9)]  # young
    live += [aged(as_live(version("2.0.0", end_of_life_date=past)), 500)]  # the newest: kept by the rule itself
    plan = plan_of([gallery(), d], live)
    reasons = {c.address: c.reason.subjects[0] for c in plan.changes if c.action is Action.DELETE and c.reason}
    assert reasons == {"gal/ubuntu/1.0.0": "end-of-life", "gal/ubuntu/1.1.0": "max-age"}


def test_an_unknown_published_date_is_never_old() -> None:
    d = ruled(Retention(max_age_days=1))
    live = [as_live(gallery()), as_live(d), aged(as_live(version("1.0.0")), None), aged(as_live(version("2.0.0")), 3)]
    assert deleted(plan_of([gallery(), d], live)) == []  # 2.0.0 is `latest`; 1.0.0's age is unknown


def test_without_the_opt_in_every_deletion_is_blocked_and_latest_does_not_move() -> None:
    d = ruled(Retention(keep_newest=1))
    live = [as_live(gallery()), as_live(d)] + [aged(as_live(version(f"1.0.{i}")), 10) for i in range(3)]
    plan = plan_of([gallery(), d], live, prune=False)
    assert deleted(plan) == [] and deleted(plan, allowed_only=False) == ["1.0.0", "1.0.1"]
    (latest,) = plan.latest
    assert (latest.before, latest.after) == ("1.0.2", "1.0.2")


def test_the_cap_takes_the_oldest_published_first() -> None:
    d = ruled(Retention(keep_newest=1))
    ages = {"1.0.0": 10, "1.0.1": 300, "1.0.2": 200, "1.0.3": 1}
    live = [as_live(gallery()), as_live(d)] + [aged(as_live(version(n)), a) for n, a in ages.items()]
    plan = plan_of([gallery(), d], live, cap=2)
    assert sorted(deleted(plan)) == ["1.0.1", "1.0.2"]
    capped = [c for c in plan.changes if c.blocked is not None]
    assert [(c.address, c.blocked.code.value, c.blocked.subjects) for c in capped] == [
        ("gal/ubuntu/1.0.0", "retention-cap", ("2",))
    ]


def test_a_last_eligible_version_is_kept_even_where_latest_would_not_say() -> None:
    # Defence in depth: the `latest` guard already keeps the highest eligible version of each region, so this
    # guard only acts on a selection made without it.
    a = _Member("1.0.0", None, False)
    b = _Member("1.1.0", None, False)
    hit = Why(Reason.RETENTION, (RetentionRule.KEEP_NEWEST.value, "1", ""))
    after = [
        Candidate("1.0.0", False, {"eastus": False}),
        Candidate("1.1.0", False, {"eastus": False}),
        Candidate("2.0.0", True, {"eastus": False}),
    ]
    chosen = [(a, hit), (b, hit)]
    kept: list[Any] = []
    _keep_one_eligible(chosen, kept, after)
    assert [m.name for m, _ in chosen] == ["1.0.0"]
    assert [(k.version, k.guard.code) for k in kept] == [("1.1.0", Guard.LAST_ELIGIBLE)]


# ---------------------------------------------------------------- invariants over random definitions


@dataclass(frozen=True)
class Spec:
    """One version of a random definition."""

    name: str
    regions: tuple[tuple[str, bool], ...]
    excluded: bool
    age: int | None
    listed: bool
    owner: str  # "ours", "none" or "other"
    protected: bool
    blocks_deletion: bool
    end_of_life: int | None  # days from NOW (negative: passed)


rarely = st.sampled_from([False, False, False, False, False, True])
names = st.builds(lambda a, b, c: f"{a}.{b}.{c}", st.integers(0, 2), st.integers(0, 3), st.integers(0, 3))
specs = st.builds(
    Spec,
    name=names,
    regions=st.lists(
        st.tuples(st.sampled_from(REGIONS), st.booleans()), min_size=1, max_size=2, unique_by=lambda r: r[0]
    ).map(tuple),
    excluded=st.booleans(),
    age=st.one_of(st.integers(0, 400), st.integers(0, 400), st.integers(0, 400), st.none()),
    listed=st.sampled_from([False, False, False, True]),
    owner=st.sampled_from(["ours", "ours", "ours", "none", "other"]),
    protected=rarely,
    blocks_deletion=rarely,
    end_of_life=st.one_of(st.none(), st.integers(-300, 300)),
)
rules = st.builds(
    Retention,
    keep_newest=st.one_of(st.none(), st.integers(1, 4)),
    max_age_days=st.one_of(st.none(), st.integers(1, 120)),
    after_end_of_life=st.booleans(),
    per_major_version=st.booleans(),
    include_unowned=st.booleans(),
)


def _version(spec: Spec) -> Any:
    tags = {"ours": dict([m.OWNERSHIP_TAG]), "none": {}, "other": {m.OWNERSHIP_TAG_NAME: "team-b"}}[spec.owner]
    if spec.protected:
        tags[m.PROTECTION_TAG_NAME] = "yes"
    eol = None if spec.end_of_life is None else NOW + timedelta(days=spec.end_of_life)
    return version(
        spec.name,
        target_regions=tuple(TargetRegion(r, exclude_from_latest=x) for r, x in sorted(spec.regions)),
        exclude_from_latest=spec.excluded,
        end_of_life_date=eol,
        block_deletion_before_end_of_life=spec.blocks_deletion,
        tags=m.freeze_tags(tags),
    )


def _latest(versions: list[Any]) -> dict[str, str | None]:
    candidates = [Candidate.of(v) for v in versions]
    return {r: latest_in(r, candidates) for r in REGIONS}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(specs, min_size=3, max_size=12, unique_by=lambda s: s.name),
    rules,
    st.integers(0, 10),
    st.sampled_from([True, True, True, False]),
    st.booleans(),
)
def test_retention_invariants(versions: list[Spec], rule: Retention, cap: int, prune: bool, eol_rule: bool) -> None:
    """Never deletes `latest` (any region, before or after), a listed, protected or safety-blocked version, or
    another estate's; never empties a definition nor leaves it without an eligible version it had; respects the
    cap (oldest first) and the pruning opt-in."""
    if rule.keep_newest is None and rule.max_age_days is None and not rule.after_end_of_life:
        rule = replace(rule, keep_newest=1)
    d = ruled(rule, end_of_life_after_days=90 if eol_rule else None)
    models = {s.name: _version(s) for s in versions}
    live = [as_live(gallery()), as_live(d)]
    for s in versions:
        item = as_live(models[s.name], applied=None)
        live.append(aged(item, s.age))
    desired = [gallery(), d] + [
        replace(models[s.name], end_of_life_date=None) if eol_rule else models[s.name] for s in versions if s.listed
    ]
    plan = plan_of(desired, live, prune=prune, cap=cap)

    gone = set(deleted(plan))
    planned = deleted(plan, allowed_only=False)
    guarded = "some" if plan.retention[0].kept else "none"
    event(f"retention plans {'some' if planned else 'no'} deletions; guards keep {guarded}")
    by_name = {s.name: s for s in versions}
    assert len(gone) <= cap and (prune or not gone)
    for name in planned:
        s = by_name[name]
        assert not s.listed and not s.protected and s.owner != "other"
        assert s.owner == "ours" or rule.include_unowned
        if s.blocks_deletion:
            assert s.end_of_life is not None and s.end_of_life <= 0
    before = _latest(list(models.values()))
    assert not gone & {v for v in before.values() if v}
    for row in plan.latest[0].regions:  # retention never moves `latest`
        assert row.before == row.after and row.after not in gone
    remaining = [v for n, v in models.items() if n not in gone]
    assert remaining, "a definition is never emptied"
    if any(Candidate.of(v).eligible for v in models.values()):
        assert any(Candidate.of(v).eligible for v in remaining)
    allowed = [c for c in plan.changes if c.reason and c.reason.code is Reason.RETENTION and c.blocked is None]
    capped = [c for c in plan.changes if c.blocked is not None and c.blocked.code.value == "retention-cap"]
    earliest = datetime.min.replace(tzinfo=timezone.utc)
    published = {s.name: earliest if s.age is None else NOW - timedelta(days=s.age) for s in versions}
    if allowed and capped:  # the cap lets the oldest published go first
        newest_allowed = max(published[c.address.rsplit("/", 1)[1]] for c in allowed)
        assert newest_allowed <= min(published[c.address.rsplit("/", 1)[1]] for c in capped)


def test_tag_names_count_in_any_spelling_as_azure_compares_them() -> None:
    """Azure's tag names are case-insensitive: `Gallery-Reconciler-Protected` protects, and a version tagged
    `Gallery-Reconciler: other` belongs to estate `other`, so `includeUnowned` never reaches it."""
    d = ruled(Retention(keep_newest=1, include_unowned=True))
    protected = replace(version("1.0.0"), tags=(("Gallery-Reconciler-Protected", "yes"), m.OWNERSHIP_TAG))
    theirs = replace(version("1.0.1"), tags=(("Gallery-Reconciler", "other"),))
    live = [as_live(gallery()), as_live(d), aged(as_live(protected), 30), aged(as_live(theirs), 20)]
    live.append(aged(as_live(version("1.0.2")), 10))
    plan = plan_of([gallery(), d], live)
    assert deleted(plan, allowed_only=False) == []
