"""Saved plans: the target identity they are bound to, what a stale one reports, and --detailed-exitcode."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.apply.saved_plan import stale_reasons
from reconciler.azure.target import AZURE, ENDPOINT, LOCAL, Target, resolve_cloud
from reconciler.commands.plan import CHANGES, NO_CHANGES, ONLY_BLOCKED, detailed_exit_code
from reconciler.core.diff import DiffOptions
from reconciler.core.plan import Plan, build_plan
from reconciler.render.plan_json import plan_document
from tests.unit.plan_fixtures import as_live, definition, desired_state, gallery, live_state, version
from tests.unit.test_plan import TARGET

CLOUD = resolve_cloud("AzureCloud")


def saved(plan: Plan) -> Plan:
    """The plan as `reconcile apply FILE` reads it back."""
    return Plan.from_json(json.loads(json.dumps(plan_document(plan))))


def test_the_embedded_target_is_named_by_its_state_dir_not_its_port(tmp_path: Path) -> None:
    one = Target(LOCAL, "https://127.0.0.1:40001", "sub", CLOUD, state_dir=str(tmp_path / ".reconcile"))
    two = replace(one, endpoint="https://127.0.0.1:40002")
    assert one.info() == two.info()
    assert one.info().endpoint == (tmp_path / ".reconcile").resolve().as_uri()
    assert replace(one, state_dir=str(tmp_path / "other")).info() != one.info()


@pytest.mark.parametrize("kind", [ENDPOINT, AZURE])
def test_other_targets_are_named_by_their_endpoint(kind: str) -> None:
    target = Target(kind, "https://example.test:8443", "sub", CLOUD, state_dir=".reconcile")
    assert target.info().endpoint == "https://example.test:8443"


def test_a_fresh_plan_of_the_same_state_is_not_stale() -> None:
    live = live_state(as_live(gallery()))
    plan = build_plan(desired_state(gallery(), definition()), live, TARGET)
    assert stale_reasons(saved(plan), build_plan(desired_state(gallery(), definition()), live, TARGET)) == []


def test_another_target_is_the_only_reason_and_names_the_fields_that_differ() -> None:
    desired = desired_state(gallery())
    plan = build_plan(desired, live_state(), TARGET)
    elsewhere = replace(TARGET, endpoint="https://127.0.0.1:2", subscription_id="2" * 8)
    reasons = stale_reasons(saved(plan), build_plan(desired, live_state(as_live(gallery())), elsewhere))
    assert reasons == [
        "the plan was made for another target; apply it with the target flags it was made with:\n"
        "      endpoint: https://127.0.0.1:1 (plan) → https://127.0.0.1:2 (this run)\n"
        f"      subscription: {TARGET.subscription_id} (plan) → 22222222 (this run)"
    ]


def test_a_field_changed_in_azure_is_shown_old_to_new() -> None:
    desired = desired_state(gallery(description="ours"), definition())
    plan = build_plan(desired, live_state(as_live(gallery(description="ours")), as_live(definition())), TARGET)
    edited = live_state(
        as_live(gallery(description="portal"), applied=gallery(description="ours")), as_live(definition())
    )
    assert stale_reasons(saved(plan), build_plan(desired, edited, TARGET)) == [
        "gal: changed in Azure since the plan was made:\n"
        "      planned: no-op; now: update\n"
        '      description: "ours" → "portal"'
    ]


def test_a_change_already_made_in_azure_shows_the_live_value_moving_to_the_desired_one() -> None:
    desired = desired_state(gallery(description="new"))
    plan = build_plan(desired, live_state(as_live(gallery(description="old"))), TARGET)
    fresh = build_plan(desired, live_state(as_live(gallery(description="new"))), TARGET)
    assert stale_reasons(saved(plan), fresh) == [
        "gal: changed in Azure since the plan was made:\n"
        "      planned: update; now: no-op\n"
        '      description: "old" → "new"'
    ]


def test_resources_created_or_deleted_since_are_named() -> None:
    desired = desired_state(gallery(), definition())
    plan = build_plan(desired, live_state(as_live(gallery())), TARGET)
    fresh = build_plan(desired, live_state(as_live(gallery()), as_live(definition())), TARGET)
    assert stale_reasons(saved(plan), fresh) == [
        "gal/ubuntu: created in Azure since the plan was made (the plan would create it)"
    ]
    assert stale_reasons(saved(fresh), plan) == [
        "gal/ubuntu: deleted from Azure since the plan was made (the plan left it as it was)"
    ]


def test_a_resource_only_one_plan_has_is_named_with_its_action() -> None:
    plan = build_plan(desired_state(gallery()), live_state(), TARGET)
    fresh = build_plan(desired_state(gallery(), definition()), live_state(), TARGET)
    reasons = stale_reasons(saved(plan), fresh)
    assert reasons[0].startswith("the manifests")
    assert reasons[1:] == ["gal/ubuntu: not in the saved plan; now create"]
    assert stale_reasons(saved(fresh), plan)[1:] == [
        "gal/ubuntu: in the saved plan (create), now neither in Azure nor in the manifests"
    ]


def test_a_manifest_edit_shows_planned_and_current_change() -> None:
    live = live_state(as_live(gallery(description="old")))
    plan = build_plan(desired_state(gallery(description="one")), live, TARGET)
    fresh = build_plan(desired_state(gallery(description="two")), live, TARGET)
    assert stale_reasons(saved(plan), fresh)[1:] == [
        'gal: the planned change is no longer as saved:\n      description: planned "old" → "one"; now "old" → "two"'
    ]


def test_detailed_exit_codes() -> None:
    resources = (gallery(), definition(), version())
    live = live_state(*(as_live(r) for r in resources))
    assert detailed_exit_code(build_plan(desired_state(*resources), live, TARGET)) == NO_CHANGES
    only_blocked = build_plan(desired_state(gallery(), definition()), live, TARGET)
    assert only_blocked.has_changes and not only_blocked.actionable()
    assert detailed_exit_code(only_blocked) == ONLY_BLOCKED
    pruned = build_plan(desired_state(gallery(), definition()), live, TARGET, options=DiffOptions(prune=True))
    assert detailed_exit_code(pruned) == CHANGES
    assert {NO_CHANGES, CHANGES, ONLY_BLOCKED} == {0, 2, 3}
