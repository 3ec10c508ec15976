"""Deletion semantics end to end through the real SDK: soft delete and restore, permanent deletes behind their own
opt-in, deletions blocked until end of life, and parents that would hold soft-deleted versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .conftest import Cli, changed

RG = "platform-images"
SOFT = "softDelete: {enabled: true, retentionPeriodInDays: 30, gracePeriodInDays: 7}"


def version(name: str, regions: str = "westeurope", extra: str = "") -> str:
    lines = [
        f'          "{name}":',
        "            source: {managedImage: {resourceGroup: platform-images, name: ubuntu-base}}",
        f"            targetRegions: [{regions}]",
        "            safety: {allowDeletionOfReplicatedLocations: true}",
        *(f"            {line}" for line in extra.splitlines() if line),
    ]
    return "\n".join(lines) + "\n"


def write(workdir: Path, versions: str, *, gallery: str = SOFT, definitions: bool = True) -> str:
    body = f"""\
    definitions:
      ubuntu:
        identifier: {{publisher: acme, offer: ubuntu, sku: jammy}}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        versions:
{versions or "          {}"}"""
    text = f"""\
apiVersion: gallery-reconciler/v1
scope: {{resourceGroup: {RG}, location: westeurope}}
galleries:
  gal:
    {gallery}
{body if definitions else "    definitions: {}"}
"""
    path = workdir / "estate.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def by_address(plan: dict[str, Any], address: str) -> dict[str, Any]:
    return next(r for r in plan["resources"] if r["address"] == address)


def recycle_bin(run: Cli) -> list[str]:
    return [i.name for i in run.compute().soft_deleted_resource.list_by_artifact_name(RG, "gal", "Images", "ubuntu")]


def live_versions(run: Cli) -> set[str]:
    return {v.name for v in run.compute().gallery_image_versions.list_by_gallery_image(RG, "gal", "ubuntu")}


def test_a_pruned_version_is_soft_deleted_and_restored_when_it_comes_back(run: Cli) -> None:
    both = write(run.workdir, version("1.0.0") + version("2.0.0"))
    run("apply", "--auto-approve", both)
    run.admin.reset()
    assert changed(run.plan_json(both)) == {}
    # a no-change plan reads no recycle bin
    assert "SoftDeletedResource_ListByArtifactName" not in run.admin.requests()["byOperation"]

    one = write(run.workdir, version("2.0.0"))
    plan = run.plan_json(one, extra=("--prune",))
    doomed = by_address(plan, "gal/ubuntu/1.0.0")
    assert doomed["action"] == "delete" and doomed["blocked"] is None
    [note] = [n for n in doomed["notes"] if n["code"] == "soft-delete"]
    usable, purged = note["subjects"]
    assert purged > usable and "restorable until" in note["message"]
    run("apply", "--auto-approve", "--prune", one)
    assert live_versions(run) == {"2.0.0"} and recycle_bin(run) == ["1.0.0"]

    # it comes back from the recycle bin (not from its source), then what differs is updated
    back = write(run.workdir, version("1.0.0", regions="westeurope, northeurope") + version("2.0.0"))
    plan = run.plan_json(back)
    restore = by_address(plan, "gal/ubuntu/1.0.0")
    assert restore["action"] == "restore" and restore["reason"]["code"] == "restore-soft-deleted"
    assert plan["summary"]["restore"] == 1 and plan["summary"]["add"] == 0
    assert "1 to restore" in run("plan", back).stdout
    run.admin.reset()
    result = run("apply", "--auto-approve", back)
    assert "restore version gal/ubuntu/1.0.0" in result.stdout
    calls = run.admin.requests()["byOperation"]
    assert "GalleryImageVersions_CreateOrUpdate" not in calls  # never re-created from its source
    assert calls["GalleryImageVersions_Update"] == 2  # the restore, then the update of its regions
    assert recycle_bin(run) == []
    assert changed(run.plan_json(back)) == {}
    regions = run.compute().gallery_image_versions.get(RG, "gal", "ubuntu", "1.0.0").publishing_profile.target_regions
    assert sorted(r.name for r in regions) == ["North Europe", "West Europe"]


def test_bypass_soft_delete_deletes_for_good_behind_its_own_opt_in(run: Cli) -> None:
    run("apply", "--auto-approve", write(run.workdir, version("1.0.0") + version("2.0.0")))
    one = write(run.workdir, version("2.0.0"))
    plan = run.plan_json(one, extra=("--prune", "--bypass-soft-delete"))
    assert plan["options"]["bypassSoftDelete"] is True
    doomed = by_address(plan, "gal/ubuntu/1.0.0")
    assert [n["code"] for n in doomed["notes"]] == ["permanent-delete"]
    run("apply", "--auto-approve", "--prune", "--bypass-soft-delete", one)
    assert live_versions(run) == {"2.0.0"} and recycle_bin(run) == []
    # back in the manifests, it is created again from its source: nothing to restore
    back = write(run.workdir, version("1.0.0") + version("2.0.0"))
    assert by_address(run.plan_json(back), "gal/ubuntu/1.0.0")["action"] == "create"


def test_without_soft_delete_a_delete_is_permanent_and_says_nothing_more(run: Cli) -> None:
    run("apply", "--auto-approve", write(run.workdir, version("1.0.0") + version("2.0.0"), gallery="description: x"))
    plan = run.plan_json(write(run.workdir, version("2.0.0"), gallery="description: x"), extra=("--prune",))
    assert by_address(plan, "gal/ubuntu/1.0.0")["notes"] == []


def test_a_deletion_the_safety_profile_forbids_is_blocked_until_end_of_life_and_never_attempted(run: Cli) -> None:
    protected = version("2.0.0", extra="endOfLifeDate: 2035-01-01\nsafety: {blockDeletionBeforeEndOfLife: true}")
    protected = protected.replace("            safety: {allowDeletionOfReplicatedLocations: true}\n", "", 1)
    run("apply", "--auto-approve", write(run.workdir, version("1.0.0") + protected, gallery="description: x"))
    path = write(run.workdir, version("1.0.0"), gallery="description: x")
    plan = run.plan_json(path, extra=("--prune",))
    doomed = by_address(plan, "gal/ubuntu/2.0.0")
    assert doomed["action"] == "delete"
    assert doomed["blocked"]["code"] == "deletion-blocked-until-end-of-life"
    assert doomed["blocked"]["subjects"] == ["2035-01-01T00:00:00+00:00"]
    assert "until its end-of-life date 2035-01-01" in doomed["blocked"]["message"]
    run("plan", "--prune", "--detailed-exitcode", path, expect=3)
    run.admin.reset()
    run("apply", "--auto-approve", "--prune", path)
    assert "GalleryImageVersions_Delete" not in run.admin.requests()["byOperation"]
    assert live_versions(run) == {"1.0.0", "2.0.0"}

    # its definition cannot go while it cannot: blocked too, and nothing is attempted
    gone = write(run.workdir, "", gallery="description: x", definitions=False)
    plan = run.plan_json(gone, extra=("--prune", "--allow-replace"))
    definition = by_address(plan, "gal/ubuntu")
    assert definition["blocked"] == {
        "code": "child-deletion-blocked",
        "subjects": ["gal/ubuntu/2.0.0"],
        "message": definition["blocked"]["message"],
    }
    run.admin.reset()
    run("apply", "--auto-approve", "--prune", gone)
    calls = run.admin.requests()["byOperation"]
    assert "GalleryImages_Delete" not in calls and "GalleryImageVersions_Delete" in calls  # 1.0.0 only
    assert live_versions(run) == {"2.0.0"}


def test_a_definition_that_would_hold_soft_deleted_versions_is_blocked_with_what_to_do(run: Cli) -> None:
    run("apply", "--auto-approve", write(run.workdir, version("1.0.0")))
    gone = write(run.workdir, "", definitions=False)
    plan = run.plan_json(gone, extra=("--prune",))
    definition = by_address(plan, "gal/ubuntu")
    assert definition["blocked"]["code"] == "soft-deleted-versions-inside"
    assert definition["blocked"]["subjects"] == ["gal/ubuntu/1.0.0"]
    assert "--bypass-soft-delete" in definition["blocked"]["message"]
    # with the opt-in its versions go for good, and so can the definition
    run("apply", "--auto-approve", "--prune", "--bypass-soft-delete", gone)
    assert [i.name for i in run.compute().gallery_images.list_by_gallery(RG, "gal")] == []


def test_versions_already_in_the_recycle_bin_hold_their_definition_until_soft_delete_is_off(run: Cli) -> None:
    run("apply", "--auto-approve", write(run.workdir, version("1.0.0") + version("2.0.0")))
    run("apply", "--auto-approve", "--prune", write(run.workdir, version("2.0.0")))
    assert recycle_bin(run) == ["1.0.0"]
    gone = write(run.workdir, "", definitions=False)
    plan = run.plan_json(gone, extra=("--prune", "--bypass-soft-delete"))
    assert by_address(plan, "gal/ubuntu")["blocked"]["subjects"] == ["gal/ubuntu/1.0.0"]
    # soft delete off (recorded: then Azure deletes the definition, and what its bin held goes with it)
    run("apply", "--auto-approve", write(run.workdir, version("2.0.0"), gallery="softDelete: false"))
    off = write(run.workdir, "", gallery="softDelete: false", definitions=False)
    assert by_address(run.plan_json(off, extra=("--prune",)), "gal/ubuntu")["blocked"] is None
    run("apply", "--auto-approve", "--prune", off)
    assert [i.name for i in run.compute().gallery_images.list_by_gallery(RG, "gal")] == []


def test_replacing_a_version_where_soft_delete_is_on_needs_the_bypass(run: Cli) -> None:
    run("apply", "--auto-approve", write(run.workdir, version("1.0.0")))
    other = version("1.0.0").replace(
        "managedImage: {resourceGroup: platform-images, name: ubuntu-base}",
        "snapshot: {resourceGroup: platform-images, name: ubuntu-os-snap}",
    )
    path = write(run.workdir, other)
    change = by_address(run.plan_json(path, extra=("--allow-replace",)), "gal/ubuntu/1.0.0")
    assert change["action"] == "replace" and change["blocked"]["code"] == "replace-needs-bypass-soft-delete"
    change = by_address(run.plan_json(path, extra=("--allow-replace", "--bypass-soft-delete")), "gal/ubuntu/1.0.0")
    assert change["blocked"] is None and [n["code"] for n in change["notes"]] == ["permanent-delete"]


def test_the_retention_and_grace_periods_are_managed_in_place(run: Cli) -> None:
    run("apply", "--auto-approve", write(run.workdir, version("1.0.0")))
    longer = write(run.workdir, version("1.0.0"), gallery=SOFT.replace("30", "31").replace("7}", "8}"))
    plan = run.plan_json(longer)
    assert changed(plan) == {"gal": "update"}
    assert {(c["path"], c["before"], c["after"]) for c in by_address(plan, "gal")["changes"]} == {
        ("softDeletePolicy.retentionPeriodInDays", 30, 31),
        ("softDeletePolicy.gracePeriodInDays", 7, 8),
    }
    run("apply", "--auto-approve", longer)
    policy = run.compute().galleries.get(RG, "gal").soft_delete_policy
    assert (policy.retention_period_in_days, policy.grace_period_in_days) == (31, 8)
    assert changed(run.plan_json(longer)) == {}
