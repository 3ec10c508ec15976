"""The diff: actions, field changes, replacements, cascades, pruning and blocking."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from reconciler import kinds as k
from reconciler.core import model as m
from reconciler.core.arm_json import RegionReplication
from reconciler.core.changes import Action
from reconciler.core.diff import DiffOptions, diff_states
from reconciler.core.live_state import LiveResource
from reconciler.core.reasons import Blocker, FieldReason, Reason, Why
from reconciler.kinds.image_definition import Identifier, PurchasePlan
from tests.unit.plan_fixtures import (
    as_live,
    definition,
    desired_state,
    gallery,
    live_state,
    region,
    version,
)


def actions(changes: list) -> dict[str, Action]:
    return {c.address: c.action for c in changes}


def by_address(changes: list, address: str):
    return next(c for c in changes if c.address == address)


def test_empty_estate_creates_everything_parents_first() -> None:
    desired = desired_state(gallery(), definition(), version())
    changes = diff_states(desired, live_state())
    assert [(c.address, c.action) for c in changes] == [
        ("gal", Action.CREATE),
        ("gal/ubuntu", Action.CREATE),
        ("gal/ubuntu/1.0.0", Action.CREATE),
    ]
    assert by_address(changes, "gal/ubuntu/1.0.0").depends_on == ("gal/ubuntu",)
    created = {f.path: f.after for f in by_address(changes, "gal/ubuntu").changes}
    assert created["osType"] == "Linux"
    assert created["tags.gallery-reconciler"] == "managed"


def test_converged_estate_is_all_no_op() -> None:
    resources = (gallery(), definition(), version(target_regions=(region("westeurope"), region("eastus2", 2))))
    changes = diff_states(desired_state(*resources), live_state(*(as_live(r) for r in resources)))
    assert set(actions(changes).values()) == {Action.NOOP}


REGION_COUNT = "publishingProfile.targetRegions[westeurope].regionalReplicaCount"


@pytest.mark.parametrize(
    ("live_kw", "desired_kw", "expected"),
    [
        pytest.param(
            {"replica_count": 3},
            {},
            [("publishingProfile.replicaCount", 3, 1), (REGION_COUNT, 3, 1)],
            id="unset replica count means Azure's default 1, so 3 is drift; the region follows it",
        ),
        pytest.param(
            {},
            {"replica_count": 2},
            [("publishingProfile.replicaCount", 1, 2), (REGION_COUNT, 1, 2)],
            id="replica count raised",
        ),
        pytest.param(
            {}, {"target_regions": (region("westeurope", 4),)}, [(REGION_COUNT, 1, 4)], id="one region's replica count"
        ),
        pytest.param(
            {},
            {"exclude_from_latest": True},
            [("publishingProfile.excludeFromLatest", False, True)],
            id="exclude from latest",
        ),
        pytest.param(
            {},
            {"end_of_life_date": datetime(2031, 1, 1, tzinfo=timezone.utc)},
            [("publishingProfile.endOfLifeDate", None, "2031-01-01T00:00:00+00:00")],
            id="end of life set",
        ),
        pytest.param({}, {"tags": (m.OWNERSHIP_TAG, ("team", "core"))}, [("tags.team", None, "core")], id="tag added"),
    ],
)
def test_mutable_version_fields_update_in_place(live_kw: dict, desired_kw: dict, expected: list) -> None:
    live = as_live(version(**live_kw))
    desired = desired_state(gallery(), definition(), version(**desired_kw))
    change = by_address(
        diff_states(desired, live_state(as_live(gallery()), as_live(definition()), live)), "gal/ubuntu/1.0.0"
    )
    assert change.action is Action.UPDATE
    assert [(f.path, f.before, f.after) for f in change.changes] == expected
    assert change.blocked is None


def test_region_order_and_spelling_are_not_changes() -> None:
    """ARM answers with display names in its own order; the manifest's set of regions is what counts."""
    wanted = version(target_regions=(region("eastus2", 2), region("westeurope")))
    body = k.IMAGE_VERSION.create_body(wanted) | {"name": "1.0.0"}
    body["properties"]["publishingProfile"]["targetRegions"] = [
        {"name": "West Europe", "regionalReplicaCount": 1, "storageAccountType": "Standard_LRS"},
        {"name": "East US 2", "regionalReplicaCount": 2, "storageAccountType": "Standard_LRS"},
    ]
    parsed, info = k.IMAGE_VERSION.from_arm(definition(), body)
    live = live_state(as_live(gallery()), as_live(definition()), LiveResource(parsed, info))
    assert actions(diff_states(desired_state(gallery(), definition(), wanted), live))["gal/ubuntu/1.0.0"] is Action.NOOP


def test_adding_and_removing_regions() -> None:
    live = as_live(
        version(
            target_regions=(region("westeurope"), region("northeurope")), allow_deletion_of_replicated_locations=True
        )
    )
    desired = version(
        target_regions=(region("westeurope"), region("eastus", 2)), allow_deletion_of_replicated_locations=True
    )
    change = by_address(
        diff_states(
            desired_state(gallery(), definition(), desired), live_state(as_live(gallery()), as_live(definition()), live)
        ),
        "gal/ubuntu/1.0.0",
    )
    assert change.action is Action.UPDATE
    assert [(f.path, f.before, f.after) for f in change.changes] == [
        ("publishingProfile.targetRegions[eastus]", None, {"regionalReplicaCount": 2}),
        (
            "publishingProfile.targetRegions[northeurope]",
            {"regionalReplicaCount": 1, "storageAccountType": "Standard_LRS"},
            None,
        ),
    ]


def test_removing_a_region_the_safety_profile_protects_needs_a_replace() -> None:
    live = as_live(version(target_regions=(region("westeurope"), region("northeurope"))))
    change = by_address(
        diff_states(
            desired_state(gallery(), definition(), version()),
            live_state(as_live(gallery()), as_live(definition()), live),
        ),
        "gal/ubuntu/1.0.0",
    )
    assert change.action is Action.REPLACE
    assert change.changes[0].reason is FieldReason.REPLICATED_REGION_REMOVAL
    assert change.blocked == Why(Blocker.NEEDS_ALLOW_REPLACE)


def test_unset_immutable_fields_accept_what_azure_chose() -> None:
    # Azure filled in hyperVGeneration V1, architecture x64 and per-region Standard_LRS: the manifest said nothing.
    resources = (gallery(), definition(), version())
    assert set(
        actions(diff_states(desired_state(*resources), live_state(*(as_live(r) for r in resources)))).values()
    ) == {Action.NOOP}


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("os_type", "Windows", "osType"),
        ("os_state", "Specialized", "osState"),
        ("hyper_v_generation", "V2", "hyperVGeneration"),
        ("architecture", "Arm64", "architecture"),
        ("identifier", Identifier("acme", "ubuntu", "other"), "identifier.sku"),
        ("eula", "https://example.com/eula", "eula"),
        ("privacy_statement_uri", "https://example.com/p", "privacyStatementUri"),
        ("purchase_plan", PurchasePlan("p", "prod", "pub"), "purchasePlan"),
        ("location", "northeurope", "location"),
    ],
)
def test_immutable_definition_fields_force_replace_and_take_versions_along(field: str, value, path: str) -> None:
    live_def = definition(
        hyper_v_generation="V1",
        architecture="x64",
        eula="https://example.com/old" if field == "eula" else None,
        privacy_statement_uri="https://example.com/old" if field == "privacy_statement_uri" else None,
        purchase_plan=PurchasePlan("old", "prod", "pub") if field == "purchase_plan" else None,
    )
    desired = desired_state(gallery(), replace(live_def, **{field: value}), version())
    live = live_state(as_live(gallery()), as_live(live_def), as_live(version()), as_live(version("0.9.0")))
    changes = diff_states(desired, live)
    change = by_address(changes, "gal/ubuntu")
    assert change.action is Action.REPLACE
    assert change.reason is not None and change.reason.code is Reason.CANNOT_UPDATE
    assert any(s.startswith(path) for s in change.reason.subjects)
    assert any(f.path.startswith(path) and f.forces_replace for f in change.changes)
    assert change.blocked is not None
    # Versions must go before the definition is recreated: listed as replace (desired) or delete (not desired).
    assert actions(changes)["gal/ubuntu/1.0.0"] is Action.REPLACE
    assert actions(changes)["gal/ubuntu/0.9.0"] is Action.DELETE
    allowed = diff_states(desired, live, DiffOptions(allow_replace=True))
    assert all(c.blocked is None for c in allowed)


def test_version_source_change_forces_replace() -> None:
    other = m.Source(
        m.SourceKind.SNAPSHOT, id="/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/snapshots/s"
    )
    changes = diff_states(
        desired_state(gallery(), definition(), version(source=other)),
        live_state(as_live(gallery()), as_live(definition()), as_live(version())),
    )
    change = by_address(changes, "gal/ubuntu/1.0.0")
    assert change.action is Action.REPLACE
    assert change.changes[0].path == "storageProfile.source.id"


def test_prune_only_owned_resources_and_only_with_opt_in() -> None:
    unowned = replace(version("2.0.0"), tags=())
    live = live_state(
        as_live(gallery()), as_live(definition()), as_live(version()), as_live(version("1.1.0")), as_live(unowned)
    )
    desired = desired_state(gallery(), definition(), version())
    changes = diff_states(desired, live)
    assert "gal/ubuntu/2.0.0" not in actions(changes)  # not ours: never touched
    pruned = by_address(changes, "gal/ubuntu/1.1.0")
    assert pruned.action is Action.DELETE
    assert pruned.blocked == Why(Blocker.NEEDS_PRUNE)
    assert by_address(diff_states(desired, live, DiffOptions(prune=True)), "gal/ubuntu/1.1.0").blocked is None
    assert (
        by_address(diff_states(replace(desired, policy=m.Policy(prune=True)), live), "gal/ubuntu/1.1.0").blocked is None
    )


def test_unmanaged_children_block_a_parent_deletion() -> None:
    unowned = replace(version("2.0.0", definition_name="old"), tags=())
    live = live_state(as_live(gallery()), as_live(definition("old")), as_live(unowned))
    change = by_address(diff_states(desired_state(gallery()), live, DiffOptions(prune=True)), "gal/old")
    assert change.action is Action.DELETE
    assert change.blocked == Why(Blocker.UNMANAGED_CHILDREN, ("gal/old/2.0.0",))


def test_failed_replication_is_shown_with_a_repair() -> None:
    failed = (RegionReplication("westeurope", "Completed", 100), RegionReplication("eastus", "Failed", 40))
    v = version(target_regions=(region("westeurope"), region("eastus")))
    live = live_state(as_live(gallery()), as_live(definition()), as_live(v, state="Failed", replication=failed))
    change = by_address(diff_states(desired_state(gallery(), definition(), v), live), "gal/ubuntu/1.0.0")
    assert change.action is Action.UPDATE
    assert change.reason == Why(Reason.REPLICATION_FAILED, ("eastus",))


def test_drift_is_labelled_only_when_azure_changed_not_the_manifest() -> None:
    ours = gallery(description="ours")
    portal = as_live(gallery(description="changed in the portal"), applied=ours)  # we applied "ours", then...
    change = by_address(diff_states(desired_state(ours), live_state(portal)), "gal")
    assert change.action is Action.UPDATE and change.drift and change.reason == Why(Reason.DRIFT)
    edited = by_address(diff_states(desired_state(gallery(description="new text")), live_state(as_live(ours))), "gal")
    assert edited.action is Action.UPDATE and not edited.drift  # the manifest moved on: not drift
    unknown = as_live(gallery(description="x"), applied=None)  # never applied by this tool
    assert not by_address(diff_states(desired_state(ours), live_state(unknown)), "gal").drift


def test_adopting_an_unowned_resource_adds_the_ownership_tag() -> None:
    live = live_state(as_live(replace(gallery(), tags=())))
    change = by_address(diff_states(desired_state(gallery(), policy=m.Policy(adopt=True)), live), "gal")
    assert change.action is Action.UPDATE and not change.drift and change.blocked is None
    assert change.reason == Why(Reason.ADOPT)
    assert [(f.path, f.after) for f in change.changes] == [("tags.gallery-reconciler", "managed")]


def test_an_unowned_resource_is_not_adopted_unless_the_manifests_say_so() -> None:
    unowned = (replace(gallery(), tags=()), replace(definition(os_state="Specialized"), tags=()))
    live = live_state(*(as_live(r) for r in unowned), as_live(version()))
    changes = diff_states(desired_state(gallery(), definition(), version()), live, DiffOptions(allow_replace=True))
    assert by_address(changes, "gal").action is Action.UPDATE
    assert by_address(changes, "gal").blocked == Why(Blocker.NOT_ADOPTED)
    assert by_address(changes, "gal").reason == Why(Reason.UNOWNED)
    # a replacement of an unowned resource is held too, even with --allow-replace, and so is what it takes along
    assert by_address(changes, "gal/ubuntu").action is Action.REPLACE
    assert by_address(changes, "gal/ubuntu").blocked == Why(Blocker.NOT_ADOPTED)
    assert by_address(changes, "gal/ubuntu/1.0.0").blocked == Why(Blocker.PARENT_REPLACE_BLOCKED, ("gal/ubuntu",))


def test_resource_group_created_only_when_asked() -> None:
    desired = replace(
        desired_state(gallery()),
        resource_groups=(m.ResourceGroup("11111111-1111-1111-1111-111111111111", "new-rg", "westeurope", create=True),),
    )
    changes = diff_states(desired, live_state())
    assert changes[0].kind == "resourceGroup" and changes[0].action is Action.CREATE


def test_explicitly_listed_unmanaged_resources_can_be_pruned() -> None:
    stray = replace(version("2.0.0", definition_name="old"), tags=())
    live = live_state(as_live(gallery()), as_live(definition("old")), as_live(stray))
    listed = m.Policy(prune=True, prune_unmanaged=("GAL/old/2.0.0",))
    changes = diff_states(desired_state(gallery(), policy=listed), live)
    assert by_address(changes, "gal/old/2.0.0").action is Action.DELETE
    assert by_address(changes, "gal/old/2.0.0").blocked is None
    assert by_address(changes, "gal/old").blocked is None  # its only child is now deletable too
    unlisted = diff_states(desired_state(gallery(), policy=m.Policy(prune=True)), live)
    assert "gal/old/2.0.0" not in {c.address for c in unlisted}
    assert by_address(unlisted, "gal/old").blocked == Why(Blocker.UNMANAGED_CHILDREN, ("gal/old/2.0.0",))


def test_removing_an_end_of_life_date_needs_a_replace_and_unset_leaves_it() -> None:
    eol = datetime(2031, 1, 1, tzinfo=timezone.utc)
    live = live_state(
        as_live(gallery()), as_live(definition(end_of_life_date=eol)), as_live(version(end_of_life_date=eol))
    )
    unset = diff_states(desired_state(gallery(), definition(), version()), live)
    assert {c.address: c.action for c in unset} == {
        "gal": Action.NOOP,
        "gal/ubuntu": Action.NOOP,
        "gal/ubuntu/1.0.0": Action.NOOP,
    }
    cleared = diff_states(
        desired_state(gallery(), definition(no_end_of_life_date=True), version(no_end_of_life_date=True)), live
    )
    definition_change = by_address(cleared, "gal/ubuntu")
    assert definition_change.action is Action.REPLACE
    assert definition_change.changes[0].path == "endOfLifeDate"
    assert definition_change.changes[0].reason is FieldReason.END_OF_LIFE_REMOVAL
    version_change = by_address(cleared, "gal/ubuntu/1.0.0")
    assert version_change.action is Action.REPLACE
    assert version_change.changes[0].path == "publishingProfile.endOfLifeDate"


def test_new_children_of_a_parent_whose_replacement_is_blocked_are_held_too() -> None:
    live = live_state(as_live(gallery()), as_live(definition()), as_live(version()))
    desired = desired_state(gallery(), definition(os_state="Specialized"), version(), version("1.1.0"))
    changes = diff_states(desired, live)
    held = by_address(changes, "gal/ubuntu/1.1.0")
    assert held.action is Action.CREATE and held.blocked == Why(Blocker.PARENT_REPLACE_BLOCKED, ("gal/ubuntu",))
    allowed = diff_states(desired, live, DiffOptions(allow_replace=True))
    assert by_address(allowed, "gal/ubuntu/1.1.0").blocked is None


def test_creates_azure_would_refuse_for_a_taken_name_or_identifier_are_blocked() -> None:
    live = live_state(as_live(gallery()), as_live(definition("ubuntu")))
    live = replace(
        live,
        gallery_names_elsewhere={
            "other": "/subscriptions/s/resourceGroups/x/providers/Microsoft.Compute/galleries/other"
        },
    )
    twin = definition("ubuntu-copy", identifier=Identifier("acme", "ubuntu", "ubuntu"))
    desired = desired_state(gallery(), definition("ubuntu"), twin, gallery("other"), definition("d", "other"))
    changes = diff_states(desired, live)
    assert by_address(changes, "gal/ubuntu-copy").blocked == Why(
        Blocker.IDENTIFIER_TAKEN, ("gal/ubuntu", "acme", "ubuntu", "ubuntu")
    )
    assert by_address(changes, "other").blocked == Why(
        Blocker.GALLERY_NAME_TAKEN, ("/subscriptions/s/resourceGroups/x/providers/Microsoft.Compute/galleries/other",)
    )
    assert by_address(changes, "other/d").blocked == Why(Blocker.PARENT_CREATE_BLOCKED, ("other",))


def test_a_region_that_failed_to_replicate_can_be_dropped_in_place() -> None:
    failed = (RegionReplication("westeurope", "Completed", 100), RegionReplication("eastus", "Failed", 10))
    live_version = as_live(
        version(target_regions=(region("westeurope"), region("eastus"))), state="Failed", replication=failed
    )
    live = live_state(as_live(gallery()), as_live(definition()), live_version)
    change = by_address(diff_states(desired_state(gallery(), definition(), version()), live), "gal/ubuntu/1.0.0")
    assert change.action is Action.UPDATE
    assert change.changes[0].path == "publishingProfile.targetRegions[eastus]" and change.changes[0].after is None


def test_estates_sharing_a_resource_group_never_prune_each_other() -> None:
    team_a = m.ownership_tag("team-a")
    theirs = replace(gallery("other"), tags=(team_a,))
    live = live_state(as_live(gallery()), as_live(theirs))
    ours = replace(desired_state(gallery()), policy=m.Policy(prune=True))
    changes = diff_states(ours, live)
    assert actions(changes) == {"gal": Action.NOOP}  # 'other' belongs to team-a: not even listed
    # the same manifests named as estate team-a would prune it (blocked without --prune)
    as_team_a = desired_state(replace(gallery(), tags=(team_a,)), policy=m.Policy(estate="team-a"))
    pruned = by_address(diff_states(as_team_a, live), "other")
    assert pruned.action is Action.DELETE and pruned.reason == Why(Reason.NOT_IN_MANIFESTS)


def test_the_default_estate_moves_to_a_named_one_as_a_tag_update() -> None:
    live = live_state(as_live(gallery()))
    named = desired_state(replace(gallery(), tags=(m.ownership_tag("team-a"),)), policy=m.Policy(estate="team-a"))
    change = by_address(diff_states(named, live), "gal")
    assert change.action is Action.UPDATE and change.blocked is None
    assert [(f.path, f.before, f.after) for f in change.changes] == [("tags.gallery-reconciler", "managed", "team-a")]


def test_a_resource_another_named_estate_manages_is_not_taken_over() -> None:
    live = live_state(as_live(replace(gallery(), tags=(m.ownership_tag("team-b"),))))
    named = desired_state(replace(gallery(), tags=(m.ownership_tag("team-a"),)), policy=m.Policy(estate="team-a"))
    change = by_address(diff_states(named, live), "gal")
    assert change.action is Action.UPDATE
    assert change.blocked == Why(Blocker.OWNED_BY_OTHER_ESTATE, ("team-b",))


def test_null_means_none_and_clears_in_place_with_a_put() -> None:
    from reconciler.kinds.image_definition import Range

    live_def = definition(
        description="old",
        disallowed_disk_types=("Premium_LRS", "Standard_LRS"),
        recommended_vcpus=Range(2, 8),
        release_note_uri="https://example.com/notes",
    )
    cleared = definition(disallowed_disk_types=(), cleared=frozenset({"description", "recommended", "releaseNoteUri"}))
    live = live_state(as_live(gallery()), as_live(live_def))
    change = by_address(diff_states(desired_state(gallery(), cleared), live), "gal/ubuntu")
    assert change.action is Action.UPDATE and change.blocked is None
    assert sorted((f.path, f.after) for f in change.changes) == [
        ("description", None),
        ("disallowed.diskTypes", []),
        ("recommended.vCPUs", None),
        ("releaseNoteUri", None),
    ]
    kind = k.IMAGE_DEFINITION
    assert kind.needs_put(cleared, live.resources["gal/ubuntu"].resource)
    body = kind.put_update_body(cleared, live.resources["gal/ubuntu"].info.body)["properties"]
    for gone in ("description", "releaseNoteUri", "recommended", "disallowed"):
        assert gone not in body
    # immutable properties the manifest leaves unset go as Azure has them, so the PUT changes none
    assert body["hyperVGeneration"] == "V1" and body["architecture"] == "x64"
    # unset is not null: nothing to clear, a PATCH suffices
    assert not kind.needs_put(definition(description="new"), live.resources["gal/ubuntu"].resource)


def test_an_empty_list_equals_azures_absent_one() -> None:
    live = live_state(as_live(gallery()), as_live(definition()))
    desired = desired_state(gallery(), definition(disallowed_disk_types=()))
    assert actions(diff_states(desired, live))["gal/ubuntu"] is Action.NOOP


def test_null_for_an_immutable_field_plans_a_replace() -> None:
    live = live_state(as_live(gallery()), as_live(definition(eula="https://example.com/eula")))
    desired = desired_state(gallery(), definition(cleared=frozenset({"eula"})))
    change = by_address(diff_states(desired, live), "gal/ubuntu")
    assert change.action is Action.REPLACE and change.reason == Why(Reason.CANNOT_UPDATE, ("eula",))


def test_allowing_region_removal_and_removing_a_region_is_one_in_place_update_in_two_steps() -> None:
    two = (region("westeurope"), region("northeurope"))
    live_v = version(target_regions=two, allow_deletion_of_replicated_locations=False)
    wanted = version(allow_deletion_of_replicated_locations=True)
    live = live_state(as_live(gallery()), as_live(definition()), as_live(live_v))
    change = by_address(diff_states(desired_state(gallery(), definition(), wanted), live), "gal/ubuntu/1.0.0")
    assert change.action is Action.UPDATE and change.blocked is None
    assert sorted(f.path for f in change.changes) == [
        "publishingProfile.targetRegions[northeurope]",
        "safetyProfile.allowDeletionOfReplicatedLocations",
    ]
    first = k.IMAGE_VERSION.preparatory_update(wanted, live.resources["gal/ubuntu/1.0.0"].resource)
    assert first is not None and first.allow_deletion_of_replicated_locations is True
    assert {r.name for r in first.target_regions} == {"westeurope", "northeurope"}
    # the flag alone (no region removed) is one step
    assert k.IMAGE_VERSION.preparatory_update(replace(wanted, target_regions=two), live_v) is None


def test_the_protection_tag_keeps_a_version_from_pruning_and_its_definition_too() -> None:
    protected = replace(
        version("2.0.0", definition_name="old"), tags=(m.OWNERSHIP_TAG, ("Gallery-Reconciler-Protected", ""))
    )
    live = live_state(
        as_live(gallery()),
        as_live(definition("old")),
        as_live(version("1.0.0", definition_name="old")),
        as_live(protected),
    )
    changes = diff_states(desired_state(gallery()), live, DiffOptions(prune=True))
    assert by_address(changes, "gal/old/2.0.0").blocked == Why(Blocker.PROTECTED, (m.PROTECTION_TAG_NAME,))
    assert by_address(changes, "gal/old").blocked == Why(Blocker.UNMANAGED_CHILDREN, ("gal/old/2.0.0",))
    assert by_address(changes, "gal/old/1.0.0").blocked is None
