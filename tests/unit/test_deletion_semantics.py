"""The diff and the steps for sharing and deletions (pure): share operations, what is blocked and why, soft
deletes with their dates, restores, end of life against the plan's clock."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from reconciler.core import model as m
from reconciler.core.arm_json import LiveInfo
from reconciler.core.changes import Action
from reconciler.core.diff import DiffOptions, diff_states
from reconciler.core.live_state import LiveResource, LiveState, SoftDeletedVersion
from reconciler.core.reasons import Blocker, Note, Reason
from reconciler.core.steps import Operation, build_steps
from reconciler.kinds.gallery import CommunityInfo, ShareOperation, Sharing, share_operations
from tests.unit.plan_fixtures import as_live, definition, desired_state, gallery, live_state, version

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
A, B = "aaaaaaaa-0000-0000-0000-00000000000a", "bbbbbbbb-0000-0000-0000-00000000000b"
T = "cccccccc-0000-0000-0000-00000000000c"
INFO = CommunityInfo("https://c.example", "a@c.example", "https://c.example/e", "corp")
ROOT = Path(__file__).resolve().parents[2]


def shared_live(sharing: Sharing, **kw: object) -> LiveResource:
    """A live gallery with a sharing profile as the expanded GET reads it (groups included)."""
    owned = {"tags": dict([m.OWNERSHIP_TAG])}  # created by this tool: not a resource to adopt
    info = LiveInfo(provisioning_state="Succeeded", fingerprint="f", body=owned)
    return LiveResource(gallery(sharing=sharing, **kw), info)


def by_address(changes: list, address: str):
    return next(c for c in changes if c.address == address)


# ------------------------------------------------------------------ the /share requests


def test_share_operations_add_and_remove_membership_as_sets() -> None:
    want = gallery(sharing=Sharing("Groups", (A, B), (T,)))
    have = gallery(sharing=Sharing("Groups", (B,), ("dddddddd-0000-0000-0000-00000000000d",)))
    assert share_operations(want, have) == [
        ShareOperation("Add", (("Subscriptions", (A,)), ("AADTenants", (T,)))),
        ShareOperation("Remove", (("AADTenants", ("dddddddd-0000-0000-0000-00000000000d",)),)),
    ]
    assert share_operations(want, want) == []
    # a new gallery has no members yet: everything is added
    assert share_operations(want, None) == [ShareOperation("Add", (("Subscriptions", (A, B)), ("AADTenants", (T,))))]
    # membership the manifests do not mention is left alone
    assert share_operations(gallery(sharing=Sharing("Groups", None, (T,))), have)[0].groups == (("AADTenants", (T,)),)


def test_share_operations_reset_to_private_and_enable_community() -> None:
    private = gallery(sharing=Sharing("Private"))
    assert share_operations(private, gallery(sharing=Sharing("Groups", (A,), ()))) == [ShareOperation("Reset")]
    assert share_operations(private, gallery(sharing=Sharing("Private"))) == []
    community = gallery(sharing=Sharing("Community", community=INFO))
    assert share_operations(community, None) == [ShareOperation("EnableCommunity")]
    enabled = gallery(sharing=Sharing("Community", community=INFO, community_enabled=True))
    assert share_operations(community, enabled) == []
    assert ShareOperation("Add", (("Subscriptions", (A,)),)).body() == {
        "operationType": "Add",
        "groups": [{"type": "Subscriptions", "ids": [A]}],
    }
    assert ShareOperation("Reset").body() == {"operationType": "Reset"}


# ------------------------------------------------------------------ the plan


def test_permissions_azure_cannot_change_are_blocked_even_with_allow_replace() -> None:
    desired = desired_state(gallery(sharing=Sharing("Groups", (A,), ())))
    live = live_state(shared_live(Sharing("Private", (), ())))
    [change] = diff_states(desired, live, DiffOptions(allow_replace=True))
    assert change.action is Action.UPDATE
    assert change.blocked.code is Blocker.SHARING_PERMISSIONS_FIXED
    assert change.blocked.subjects == ("Private", "Groups")


def test_back_to_private_is_an_update_with_each_member_shown_and_the_community_warning() -> None:
    desired = desired_state(gallery(sharing=Sharing("Private")))
    [change] = diff_states(desired, live_state(shared_live(Sharing("Groups", (A,), (T,)))))
    assert change.blocked is None
    assert {(c.path, c.before, c.after) for c in change.changes} == {
        ("sharingProfile.permissions", "Groups", "Private"),
        (f"sharingProfile.groups[Subscriptions][{A}]", A, None),
        (f"sharingProfile.groups[AADTenants][{T}]", T, None),
    }
    steps = build_steps([change], desired, live_state())
    # /share, then the PATCH that stamps the applied digest, only once the sharing succeeded
    assert [(s.operation, s.deps) for s in steps] == [(Operation.SHARE, set()), (Operation.UPDATE, {"share:gal"})]
    community = shared_live(Sharing("Community", community=INFO, community_enabled=True))
    [change] = diff_states(desired, live_state(community))
    assert [n.code for n in change.notes] == [Note.UNSHARE_COMMUNITY]


def test_a_new_gallery_is_shared_in_a_step_of_its_own_only_when_there_is_something_to_share() -> None:
    for sharing, operations in (
        (Sharing("Groups", (A,), ()), [Operation.CREATE, Operation.SHARE]),
        (Sharing("Groups", (), ()), [Operation.CREATE]),  # the PUT sets the permissions; no member to add
        (Sharing("Private"), [Operation.CREATE]),
    ):
        desired = desired_state(gallery(sharing=sharing))
        [create] = diff_states(desired, live_state())
        assert [s.operation for s in build_steps([create], desired, live_state())] == operations


def test_community_sharing_waits_for_its_opt_in_and_its_information_is_fixed() -> None:
    desired = desired_state(gallery(sharing=Sharing("Community", community=INFO)))
    [create] = diff_states(desired, live_state())
    assert create.action is Action.CREATE and create.blocked.code is Blocker.NEEDS_ALLOW_COMMUNITY
    assert create.blocked.subjects == ("corp",)
    [create] = diff_states(desired, live_state(), DiffOptions(allow_community=True))
    assert create.blocked is None
    assert [s.operation for s in build_steps([create], desired, live_state())] == [Operation.CREATE, Operation.SHARE]
    moved = replace(INFO, public_name_prefix="other")
    live = live_state(shared_live(Sharing("Community", community=moved, community_enabled=True)))
    [change] = diff_states(desired, live, DiffOptions(allow_community=True))
    assert change.blocked.code is Blocker.COMMUNITY_INFO_FIXED
    assert change.blocked.subjects == ("sharingProfile.communityGalleryInfo.publicNamePrefix",)


def _protected(eol: datetime | None) -> LiveResource:
    return as_live(version("2.0.0", end_of_life_date=eol, block_deletion_before_end_of_life=True))


def test_end_of_life_protection_blocks_a_deletion_until_the_date_the_plan_sees() -> None:
    desired = desired_state(gallery(), definition())
    eol = NOW + timedelta(days=30)
    live = live_state(as_live(gallery()), as_live(definition()), _protected(eol))
    doomed = by_address(diff_states(desired, live, DiffOptions(prune=True), now=NOW), "gal/ubuntu/2.0.0")
    assert doomed.blocked.code is Blocker.DELETION_BLOCKED_UNTIL_END_OF_LIFE
    assert doomed.blocked.subjects == ("2026-07-01T00:00:00+00:00",)
    later = diff_states(desired, live, DiffOptions(prune=True), now=eol + timedelta(seconds=1))
    assert by_address(later, "gal/ubuntu/2.0.0").blocked is None
    # without a clock, or without a date, it stays blocked
    assert by_address(diff_states(desired, live, DiffOptions(prune=True)), "gal/ubuntu/2.0.0").blocked
    undated = live_state(as_live(gallery()), as_live(definition()), _protected(None))
    blocked = by_address(diff_states(desired, undated, DiffOptions(prune=True), now=NOW), "gal/ubuntu/2.0.0").blocked
    assert (blocked.code, blocked.subjects) == (Blocker.DELETION_BLOCKED_UNTIL_END_OF_LIFE, ())


def test_a_parent_waits_for_a_child_whose_deletion_is_blocked() -> None:
    desired = desired_state(gallery())
    live = live_state(as_live(gallery()), as_live(definition()), _protected(NOW + timedelta(days=1)))
    changes = diff_states(desired, live, DiffOptions(prune=True), now=NOW)
    parent = by_address(changes, "gal/ubuntu")
    assert (parent.blocked.code, parent.blocked.subjects) == (Blocker.CHILD_DELETION_BLOCKED, ("gal/ubuntu/2.0.0",))
    assert [s.address for s in build_steps(changes, desired, live)] == []


def test_a_soft_delete_says_until_when_it_can_be_restored() -> None:
    soft = gallery(soft_delete=True, retention_days=30, grace_days=7)
    desired = desired_state(soft, definition())
    live = live_state(as_live(soft), as_live(definition()), as_live(version()))
    [doomed] = [c for c in diff_states(desired, live, DiffOptions(prune=True), now=NOW) if c.action is Action.DELETE]
    [note] = doomed.notes
    assert (note.code, note.subjects) == (Note.SOFT_DELETE, ("2026-07-01T00:00:00+00:00", "2026-07-08T00:00:00+00:00"))
    # Azure's documented default when the policy names no period: 7 days
    plain = gallery(soft_delete=True)
    live = live_state(as_live(plain), as_live(definition()), as_live(version()))
    [doomed] = [c for c in diff_states(desired, live, DiffOptions(prune=True), now=NOW) if c.action is Action.DELETE]
    assert doomed.notes[0].subjects == ("2026-06-08T00:00:00+00:00", "2026-06-08T00:00:00+00:00")
    options = DiffOptions(prune=True, bypass_soft_delete=True)
    [doomed] = [c for c in diff_states(desired, live, options, now=NOW) if c.action is Action.DELETE]
    assert [n.code for n in doomed.notes] == [Note.PERMANENT_DELETE]
    [step] = build_steps([doomed], desired, live, options)
    assert step.operation is Operation.DELETE and step.bypass_soft_delete


def test_a_definition_holding_soft_deleted_versions_is_blocked() -> None:
    soft = gallery(soft_delete=True)
    desired = desired_state(soft)
    binned = SoftDeletedVersion("gal/ubuntu/0.9.0", "id", NOW, NOW, NOW + timedelta(days=7))
    live = LiveState(
        resources=live_state(as_live(soft), as_live(definition())).resources,
        recycle_bin={"gal/ubuntu/0.9.0": binned},
    )
    changes = diff_states(desired, live, DiffOptions(prune=True, bypass_soft_delete=True), now=NOW)
    blocked = by_address(changes, "gal/ubuntu").blocked
    assert (blocked.code, blocked.subjects) == (Blocker.SOFT_DELETED_VERSIONS_INSIDE, ("gal/ubuntu/0.9.0",))


def test_a_version_in_the_recycle_bin_is_restored_not_created() -> None:
    soft = gallery(soft_delete=True)
    desired = desired_state(soft, definition(), version())
    entry = SoftDeletedVersion("gal/ubuntu/1.0.0", "id", NOW, NOW, NOW + timedelta(days=7))
    live = LiveState(
        resources=live_state(as_live(soft), as_live(definition())).resources,
        recycle_bin={m.resource_key(entry.address): entry},
    )
    change = by_address(diff_states(desired, live, now=NOW), "gal/ubuntu/1.0.0")
    assert change.action is Action.RESTORE and change.reason.code is Reason.RESTORE_SOFT_DELETED
    assert change.reason.subjects == ("2026-06-01T00:00:00+00:00", "2026-06-08T00:00:00+00:00")
    assert [s.operation for s in build_steps([change], desired, live)] == [Operation.RESTORE]


def test_the_plan_schema_lists_every_code_and_action() -> None:
    from reconciler.core.changes import Action as Actions
    from reconciler.core.reasons import Blocker as Blockers
    from reconciler.core.reasons import Note as Notes
    from reconciler.core.reasons import Reason as Reasons

    defs = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())["$defs"]
    assert set(defs["reason"]["properties"]["code"]["enum"]) == {r.value for r in Reasons}
    assert set(defs["blocker"]["properties"]["code"]["enum"]) == {b.value for b in Blockers}
    assert set(defs["note"]["properties"]["code"]["enum"]) == {n.value for n in Notes}
    assert set(defs["resourceChange"]["properties"]["action"]["enum"]) == {a.value for a in Actions}


_IDS = st.sets(st.sampled_from([A, B, T, "dddddddd-0000-0000-0000-00000000000d"]), max_size=4)


@given(want_subs=_IDS, want_tenants=_IDS, have_subs=_IDS, have_tenants=_IDS)
def test_the_share_requests_take_any_membership_to_the_wanted_one(
    want_subs: set[str], want_tenants: set[str], have_subs: set[str], have_tenants: set[str]
) -> None:
    """Invariant: Add and Remove, applied as Azure applies them, leave exactly the manifests' membership; nothing
    is sent when they already agree, and never more than one request of each kind."""
    want = gallery(sharing=Sharing("Groups", tuple(sorted(want_subs)), tuple(sorted(want_tenants))))
    have = gallery(sharing=Sharing("Groups", tuple(sorted(have_subs)), tuple(sorted(have_tenants))))
    members = {"Subscriptions": set(have_subs), "AADTenants": set(have_tenants)}
    operations = share_operations(want, have)
    assert [o.operation for o in operations] in ([], ["Add"], ["Remove"], ["Add", "Remove"])
    for operation in operations:
        for kind, ids in operation.groups:
            members[kind] = members[kind] | set(ids) if operation.operation == "Add" else members[kind] - set(ids)
    assert members == {"Subscriptions": want_subs, "AADTenants": want_tenants}
    assert (operations == []) == (want_subs == have_subs and want_tenants == have_tenants)
