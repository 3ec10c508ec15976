"""Sharing as code, end to end through the real SDK: direct sharing both ways, community sharing, what Azure
cannot change in place, and the consumer-side check of `reconcile status`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .conftest import Cli, changed

RG = "platform-images"
SUB_A = "aaaaaaaa-0000-0000-0000-00000000000a"
SUB_B = "bbbbbbbb-0000-0000-0000-00000000000b"
TENANT = "cccccccc-0000-0000-0000-00000000000c"
COMMUNITY = (
    "community: {publisherUri: 'https://contoso.example', publisherContact: images@contoso.example, "
    "eula: 'https://contoso.example/eula', publicNamePrefix: contoso}"
)


def write(workdir: Path, sharing: str, *, versions: bool = True, settings: str = "") -> str:
    version = (
        """\
        versions:
          "1.0.0":
            source: {managedImage: {resourceGroup: platform-images, name: ubuntu-base}}
            targetRegions: [westeurope, northeurope]
"""
        if versions
        else ""
    )
    text = f"""\
apiVersion: gallery-reconciler/v1
scope: {{resourceGroup: {RG}, location: westeurope}}
{settings}galleries:
  shared:
    sharing: {sharing}
    definitions:
      ubuntu:
        identifier: {{publisher: acme, offer: ubuntu, sku: jammy}}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
{version}"""
    path = workdir / "estate.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def groups(run: Cli) -> dict[str, list[str]]:
    profile = run.compute().galleries.get(RG, "shared", expand="SharingProfile/Groups").sharing_profile
    return {g.type: sorted(g.ids) for g in profile.groups or []}


def gallery_change(plan: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in plan["resources"] if r["address"] == "shared")


def test_direct_sharing_is_created_changed_as_a_set_and_reset(run: Cli) -> None:
    path = write(run.workdir, f"{{permissions: Groups, subscriptions: [{SUB_A}], tenants: [{TENANT}]}}")
    text = run("plan", path).stdout
    assert f"+ share with subscription {SUB_A}" in text and f"+ share with tenant {TENANT}" in text
    result = run("apply", "--auto-approve", path)
    assert "share gallery shared" in result.stdout
    assert groups(run) == {"Subscriptions": [SUB_A], "AADTenants": [TENANT]}
    assert changed(run.plan_json(path)) == {}

    # membership is a set: reordering and case are no change; one added, one removed
    path = write(run.workdir, f"{{permissions: Groups, subscriptions: [{SUB_B.upper()}, {SUB_A}], tenants: []}}")
    plan = run.plan_json(path)
    assert changed(plan) == {"shared": "update"}
    lines = {(c["path"], c["before"], c["after"]) for c in gallery_change(plan)["changes"]}
    assert lines == {
        (f"sharingProfile.groups[Subscriptions][{SUB_B}]", None, SUB_B),
        (f"sharingProfile.groups[AADTenants][{TENANT}]", TENANT, None),
    }
    text = run("plan", path).stdout
    assert f"- stop sharing with tenant {TENANT}" in text
    run.admin.reset()
    run("apply", "--auto-approve", path)
    calls = run.admin.requests()["byOperation"]
    assert calls["GallerySharingProfile_Update"] == 2  # one Add, one Remove
    # sharing is not in a PUT; one PATCH afterwards records what was applied (the digest tag)
    assert calls["Galleries_Update"] == 1 and "Galleries_CreateOrUpdate" not in calls
    assert groups(run) == {"Subscriptions": sorted([SUB_A, SUB_B])}
    assert changed(run.plan_json(path)) == {}

    # unshare: back to Private is the /share action's Reset
    path = write(run.workdir, "{permissions: Private}")
    change = gallery_change(run.plan_json(path))
    assert change["action"] == "update" and change["blocked"] is None
    assert ("sharingProfile.permissions", "Groups", "Private") in {
        (c["path"], c["before"], c["after"]) for c in change["changes"]
    }
    run("apply", "--auto-approve", path)
    assert run.compute().galleries.get(RG, "shared").sharing_profile.permissions == "Private"
    assert groups(run) == {}
    assert changed(run.plan_json(path)) == {}


def test_sharing_permissions_that_azure_cannot_change_are_blocked_never_replaced(run: Cli) -> None:
    run("apply", "--auto-approve", write(run.workdir, "{permissions: Private}"))
    path = write(run.workdir, f"{{permissions: Groups, subscriptions: [{SUB_A}]}}")
    plan = run.plan_json(path, extra=("--allow-replace",))
    change = gallery_change(plan)
    assert change["action"] == "update"  # never a replacement, even with --allow-replace
    assert change["blocked"]["code"] == "sharing-permissions-fixed"
    assert change["blocked"]["subjects"] == ["Private", "Groups"]
    assert "can't currently be updated" in change["blocked"]["message"]
    result = run("plan", "--detailed-exitcode", path, expect=3)
    assert "blocked: Azure cannot change a gallery's sharing permissions from Private to Groups" in result.stdout
    run.admin.reset()
    run("apply", "--auto-approve", "--allow-replace", path)
    calls = run.admin.requests()["byOperation"]
    assert not {"GallerySharingProfile_Update", "Galleries_Delete", "Galleries_CreateOrUpdate"} & set(calls)


def test_community_sharing_needs_its_own_opt_in_and_is_reset_before_a_delete(run: Cli) -> None:
    path = write(run.workdir, f"{{permissions: Community, {COMMUNITY}}}", versions=False)
    plan = run.plan_json(path)
    change = gallery_change(plan)
    assert change["action"] == "create" and change["blocked"]["code"] == "needs-allow-community"
    assert "every Azure user" in change["blocked"]["message"] and "contoso" in change["blocked"]["message"]
    assert ("sharingProfile.communityGalleryInfo.communityGalleryEnabled", None, True) in {
        (c["path"], c["before"], c["after"]) for c in change["changes"]
    }
    assert "--allow-community" in run("plan", path).stdout
    run("apply", "--auto-approve", "--allow-community", path)
    info = run.compute().galleries.get(RG, "shared").sharing_profile.community_gallery_info
    assert info.community_gallery_enabled is True and info.public_names[0].startswith("contoso-")
    assert changed(run.plan_json(path)) == {}

    # the published information is fixed once the gallery exists
    renamed = COMMUNITY.replace("NamePrefix: contoso", "NamePrefix: other")
    other = write(run.workdir, f"{{permissions: Community, {renamed}}}")
    blocked = gallery_change(run.plan_json(other))["blocked"]
    assert blocked["code"] == "community-info-fixed"
    assert blocked["subjects"] == ["sharingProfile.communityGalleryInfo.publicNamePrefix"]

    # pruning the gallery resets community sharing first, as Azure requires
    (run.workdir / "estate.yaml").write_text(
        f"apiVersion: gallery-reconciler/v1\nscope: {{resourceGroup: {RG}, location: westeurope}}\ngalleries: {{}}\n"
    )
    plan = run.plan_json(str(run.workdir / "estate.yaml"), extra=("--prune",))
    doomed = gallery_change(plan)
    assert doomed["action"] == "delete"
    assert "community-reset-first" in [n["code"] for n in doomed["notes"]]
    run("apply", "--auto-approve", "--prune", str(run.workdir / "estate.yaml"))
    assert [g.name for g in run.compute().galleries.list_by_resource_group(RG)] == []


def test_community_sharing_ended_by_the_manifests_warns_about_its_consumers(run: Cli) -> None:
    run("apply", "--auto-approve", "--allow-community", write(run.workdir, f"{{permissions: Community, {COMMUNITY}}}"))
    path = write(run.workdir, "{permissions: Private}")
    change = gallery_change(run.plan_json(path))
    assert change["blocked"] is None
    assert "unshare-community" in [n["code"] for n in change["notes"]]
    run("apply", "--auto-approve", path)
    assert run.compute().galleries.get(RG, "shared").sharing_profile.permissions == "Private"


def test_unmanaged_sharing_is_left_alone_and_groups_are_read_only_for_shared_galleries(run: Cli) -> None:
    path = write(run.workdir, f"{{permissions: Groups, subscriptions: [{SUB_A}]}}")
    run("apply", "--auto-approve", path)
    # a manifest without `sharing` manages none of it: no change, and only this gallery's groups are read
    line = f"    sharing: {{permissions: Groups, subscriptions: [{SUB_A}]}}\n"
    (run.workdir / "estate.yaml").write_text((run.workdir / "estate.yaml").read_text().replace(line, ""))
    run.admin.reset()
    assert changed(run.plan_json(path)) == {}
    assert run.admin.requests()["byOperation"].get("Galleries_Get") == 1  # the $expand read of a Groups gallery


def test_status_confirms_from_the_consumer_side_where_a_shared_gallery_is_visible(run: Cli) -> None:
    run.admin.seed({"subscriptions": [{"id": SUB_A}, {"id": SUB_B}]})
    path = write(run.workdir, f"{{permissions: Groups, subscriptions: [{SUB_A}]}}")
    run("apply", "--auto-approve", path)
    # without a consumer subscription a direct share is not checked, and status says so
    unchecked = json.loads(run("status", "--json", path).stdout)["sharing"]
    assert [(r["gallery"], r["visible"]) for r in unchecked] == [("shared", None)]
    assert "--consumer-subscription" in unchecked[0]["detail"]
    seen = json.loads(run("status", "--json", "--consumer-subscription", SUB_A, path).stdout)["sharing"]
    assert {(r["region"], r["consumer"], r["visible"]) for r in seen} == {
        ("westeurope", SUB_A, True),
        ("northeurope", SUB_A, True),  # the version's other target region
    }
    # a subscription it is not shared with does not see it: status fails
    result = run("status", "--consumer-subscription", SUB_B, path, expect=1)
    assert "Sharing, seen by consumers" in result.stdout and "NO" in result.stdout


def test_status_checks_a_community_gallery_with_the_owners_credentials(run: Cli) -> None:
    path = write(run.workdir, f"{{permissions: Community, {COMMUNITY}}}")
    run("apply", "--auto-approve", "--allow-community", path)
    rows = json.loads(run("status", "--json", path).stdout)["sharing"]
    assert {(r["region"], r["consumer"], r["visible"]) for r in rows} == {
        ("westeurope", "community", True),
        ("northeurope", "community", True),
    }
    assert all(r["detail"].startswith("contoso-") for r in rows)
    run.compute().gallery_sharing_profile.begin_update(RG, "shared", {"operationType": "Reset"}).result()
    rows = json.loads(run("status", "--json", path, expect=1).stdout)["sharing"]
    assert [(r["visible"], r["detail"]) for r in rows] == [(False, "community sharing is not enabled")]
