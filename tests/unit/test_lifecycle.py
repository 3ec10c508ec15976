"""End of life by rule and promotion (core/lifecycle.py), resolved into the plan: dates, flags, notes, reasons."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from reconciler.core import arm_json as wire
from reconciler.core.changes import Action
from reconciler.core.latest import Candidate
from reconciler.core.live_state import LiveResource
from reconciler.core.plan import build_plan
from reconciler.core.reasons import Note, Reason
from reconciler.kinds.image_definition import Lifecycle
from reconciler.kinds.image_version import TargetRegion
from tests.unit.plan_fixtures import as_live, definition, desired_state, gallery, live_state, version
from tests.unit.test_plan import TARGET

NOW = datetime(2026, 6, 1, 12, 30, 15, 250, tzinfo=timezone.utc)
EOL_RULE = definition(lifecycle=Lifecycle(end_of_life_after_days=30))
PROMOTION = definition(lifecycle=Lifecycle(promote_when_replicated=True))


def published(item: LiveResource, days_ago: float) -> LiveResource:
    return replace(item, resource=replace(item.resource, published_date=NOW - timedelta(days=days_ago)))


def plan_for(defn: Any, wanted: Any, live: LiveResource | None = None) -> Any:
    items = [as_live(gallery()), as_live(defn)] + ([live] if live else [])
    return build_plan(desired_state(gallery(), defn, wanted), live_state(*items), TARGET, now=NOW)


def change_of(plan: Any, address: str = "gal/ubuntu/1.0.0") -> Any:
    return next(c for c in plan.changes if c.address == address)


def fields(change: Any) -> dict[str, tuple[Any, Any]]:
    return {f.path: (f.before, f.after) for f in change.changes}


# ---------------------------------------------------------------- end of life by rule


def test_a_new_version_counts_from_the_apply() -> None:
    plan = plan_for(EOL_RULE, version())
    create = change_of(plan)
    assert fields(create)["publishingProfile.endOfLifeDate"] == (None, "2026-07-01T12:30:15+00:00")
    assert [(n.code, n.subjects) for n in create.notes] == [
        (Note.END_OF_LIFE_BY_RULE, ("30", "apply", "2026-07-01T12:30:15+00:00"))
    ]
    assert plan.resolved is not None and plan.resolved.versions[0].end_of_life_date == datetime(
        2026, 7, 1, 12, 30, 15, tzinfo=timezone.utc
    )


def test_a_live_version_counts_from_its_published_date() -> None:
    live = published(as_live(version()), 10)
    update = change_of(plan_for(EOL_RULE, version(), live))
    assert update.action is Action.UPDATE
    assert fields(update)["publishingProfile.endOfLifeDate"] == (None, "2026-06-21T12:30:15+00:00")


def test_a_date_within_a_day_of_the_rules_is_the_rules() -> None:
    # Created by an apply: its date counted from the apply, a little before Azure's published date.
    have = version(end_of_life_date=NOW + timedelta(days=20, hours=-3))
    live = published(as_live(have), 10)
    assert change_of(plan_for(EOL_RULE, version(), live)).action is Action.NOOP
    moved = published(as_live(version(end_of_life_date=NOW + timedelta(days=25))), 10)
    assert change_of(plan_for(EOL_RULE, version(), moved)).action is Action.UPDATE


def test_a_passed_date_is_never_set_and_is_said() -> None:
    live = published(as_live(version()), 45)
    noop = change_of(plan_for(EOL_RULE, version(), live))
    assert noop.action is Action.NOOP
    (note,) = noop.notes
    assert note.code is Note.END_OF_LIFE_BY_RULE_PASSED and note.subjects[0] == "30"
    assert note.subjects[2] == "2026-05-17T12:30:15+00:00"  # 45 days ago + 30


def test_the_manifests_date_wins_over_the_rule() -> None:
    own = version(end_of_life_date=datetime(2030, 1, 1, tzinfo=timezone.utc))
    create = change_of(plan_for(EOL_RULE, own))
    assert fields(create)["publishingProfile.endOfLifeDate"] == (None, "2030-01-01T00:00:00+00:00")
    assert create.notes == ()
    assert change_of(plan_for(EOL_RULE, version(no_end_of_life_date=True))).notes == ()


def test_a_replaced_version_counts_from_the_apply_again() -> None:
    live = published(as_live(version(os_disk_host_caching="ReadOnly")), 400)
    replaced = change_of(plan_for(EOL_RULE, version(os_disk_host_caching="ReadWrite"), live))
    assert replaced.action is Action.REPLACE
    assert [n.subjects[1] for n in replaced.notes] == ["apply"]


# ---------------------------------------------------------------- promotion


def test_a_new_version_is_published_excluded_and_counted_as_promoted_in_the_preview() -> None:
    live_old = as_live(version("0.9.0"))
    items = [as_live(gallery()), as_live(PROMOTION), live_old]
    plan = build_plan(
        desired_state(gallery(), PROMOTION, version("0.9.0"), version()), live_state(*items), TARGET, now=NOW
    )
    create = change_of(plan)
    assert fields(create)["publishingProfile.excludeFromLatest"] == (None, True)
    assert [n.code for n in create.notes] == [Note.PROMOTE_WHEN_REPLICATED]
    (latest,) = plan.latest
    assert (latest.before, latest.after) == ("0.9.0", "1.0.0")
    resolved = next(v for v in plan.resolved.versions if v.name == "1.0.0")
    assert resolved.exclude_from_latest is True and resolved.promote_when_replicated is True
    # An existing version `latest` serves is never hidden by the rule.
    assert change_of(plan, "gal/ubuntu/0.9.0").action is Action.NOOP


def test_a_replicated_version_is_promoted_with_its_reason() -> None:
    live = as_live(version(exclude_from_latest=True))
    update = change_of(plan_for(PROMOTION, version(), live))
    assert update.action is Action.UPDATE and update.reason is not None and update.reason.code is Reason.PROMOTE
    assert fields(update) == {"publishingProfile.excludeFromLatest": (True, False)}


def test_a_version_still_replicating_or_missing_a_region_stays_excluded() -> None:
    busy = as_live(
        version(exclude_from_latest=True),
        state="Updating",
        replication=(wire.RegionReplication("westeurope", "Replicating", 40),),
    )
    noop = change_of(plan_for(PROMOTION, version(), busy))
    assert noop.action is Action.NOOP and [n.code for n in noop.notes] == [Note.PROMOTE_WHEN_REPLICATED]
    assert noop.address == "gal/ubuntu/1.0.0"
    wider = version(target_regions=(TargetRegion("northeurope"), TargetRegion("westeurope")))
    grows = change_of(plan_for(PROMOTION, wider, as_live(version(exclude_from_latest=True))))
    assert grows.action is Action.UPDATE and "publishingProfile.excludeFromLatest" not in fields(grows)
    assert [n.code for n in grows.notes] == [Note.PROMOTE_WHEN_REPLICATED]


def test_an_explicit_flag_wins_over_the_rule() -> None:
    create = change_of(plan_for(PROMOTION, version(exclude_from_latest=False)))
    assert fields(create)["publishingProfile.excludeFromLatest"] == (None, False) and create.notes == ()


def test_a_blocked_promotion_does_not_move_the_preview() -> None:
    live = as_live(version("0.9.0"))
    held = replace(PROMOTION, identifier=replace(PROMOTION.identifier, sku="other"))  # forces a blocked replace
    items = [as_live(gallery()), as_live(PROMOTION), live]
    plan = build_plan(desired_state(gallery(), held, version("0.9.0"), version()), live_state(*items), TARGET, now=NOW)
    assert change_of(plan).blocked is not None
    (latest,) = plan.latest
    assert latest.after == "0.9.0"
    assert Candidate.of(version(exclude_from_latest=True), promoted=True).excluded is False
