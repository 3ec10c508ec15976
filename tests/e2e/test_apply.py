"""`reconcile apply` and `reconcile status` against the emulator through the real SDK."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError

from reconciler.emulator import DEMO_SEED
from reconciler.emulator.testing import admin, emulator_server, make_compute_client
from tests.e2e.conftest import Cli, changed

pytestmark = pytest.mark.e2e

RG = "platform-images"


def estate(
    workdir: Path, versions: str, *, definition_extra: str = "", gallery_extra: str = "", name: str = "estate.yaml"
) -> str:
    text = f"""\
apiVersion: gallery-reconciler/v1
scope: {{resourceGroup: {RG}, location: westeurope}}
galleries:
  gal:
    {gallery_extra or "description: base"}
    definitions:
      ubuntu:
        identifier: {{publisher: acme, offer: ubuntu, sku: jammy}}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        {definition_extra or "description: ubuntu"}
        versions:
{versions}"""
    path = workdir / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def version_yaml(name: str = "1.0.0", regions: str = "westeurope", extra: str = "") -> str:
    lines = [
        f'          "{name}":',
        "            source: {managedImage: {resourceGroup: platform-images, name: ubuntu-base}}",
        f"            targetRegions: [{regions}]",
        "            safety: {allowDeletionOfReplicatedLocations: true}",
    ]
    lines += [f"            {line}" for line in extra.splitlines() if line]
    return "\n".join(lines) + "\n"


def read_version(run: Cli, name: str = "1.0.0") -> dict[str, Any]:
    return run.compute().gallery_image_versions.get(RG, "gal", "ubuntu", name).as_dict()


def regions_of(body: dict[str, Any]) -> dict[str, tuple[int, str]]:
    return {
        r["name"]: (r["regionalReplicaCount"], r["storageAccountType"])
        for r in body["properties"]["publishingProfile"]["targetRegions"]
    }


def test_updates_in_place_are_read_back_from_azure(run: Cli) -> None:
    path = estate(run.workdir, version_yaml(regions="westeurope, northeurope=2=standard_zrs"))
    run("apply", "--auto-approve", path)
    before = regions_of(read_version(run))
    assert before["North Europe"] == (2, "Standard_ZRS")
    default_type = before["West Europe"][1]  # the service default for this api-version

    # add a region, drop one, raise a replica count, exclude from latest, end of life, tags, descriptions
    path = estate(
        run.workdir,
        version_yaml(
            regions="westeurope=3, eastus",
            extra=("excludeFromLatest: true\nendOfLifeDate: 2031-01-31\ntags: {stage: canary}"),
        ),
        definition_extra="description: ubuntu, updated",
        gallery_extra="description: changed",
    )
    plan = run.plan_json(path)
    assert changed(plan) == {"gal": "update", "gal/ubuntu": "update", "gal/ubuntu/1.0.0": "update"}
    run("apply", "--auto-approve", path)
    after = read_version(run)
    assert regions_of(after) == {"West Europe": (3, default_type), "East US": (1, default_type)}
    pub = after["properties"]["publishingProfile"]
    assert pub["excludeFromLatest"] is True
    assert pub["endOfLifeDate"].startswith("2031-01-31")
    digest = after["tags"].pop("gallery-reconciler-digest")  # what apply stamped, for telling drift apart
    assert len(digest) == 16
    assert after["tags"] == {"stage": "canary", "gallery-reconciler": "managed"}
    assert after["properties"]["storageProfile"]["source"]["id"].endswith("/images/ubuntu-base")
    compute = run.compute()
    assert compute.gallery_images.get(RG, "gal", "ubuntu").description == "ubuntu, updated"
    assert compute.galleries.get(RG, "gal").description == "changed"
    assert changed(run.plan_json(path)) == {}


def test_replica_count_change_keeps_each_regions_storage_type(run: Cli) -> None:
    """A peer bug (user-asks #13): an update resent the global storage type and Azure refused it."""
    path = estate(
        run.workdir,
        version_yaml(regions="westeurope=1=standard_zrs, northeurope", extra="storageAccountType: Premium_LRS"),
    )
    run("apply", "--auto-approve", path)
    path = estate(
        run.workdir,
        version_yaml(regions="westeurope=4=standard_zrs, northeurope=2", extra="storageAccountType: Premium_LRS"),
    )
    run("apply", "--auto-approve", path)
    assert regions_of(read_version(run)) == {"West Europe": (4, "Standard_ZRS"), "North Europe": (2, "Premium_LRS")}


PROMOTION = """\
apiVersion: gallery-reconciler/v1
scope: {resourceGroup: platform-images, location: westeurope}
galleries:
  staging:
    definitions:
      app:
        identifier: {publisher: acme, offer: app, sku: stage}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        versions:
          "1.0.0":
            source: {managedImage: {resourceGroup: platform-images, name: ubuntu-base}}
            targetRegions: [westeurope, northeurope, eastus]
  production:
    definitions:
      app:
        identifier: {publisher: acme, offer: app, sku: prod}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        versions:
          "1.0.0":
            source: {galleryImageVersion: {address: staging/app/1.0.0}}
            targetRegions: [westeurope]
"""


def test_promotion_waits_for_the_source_version_to_replicate(emulated: Any, tmp_path: Path) -> None:
    with emulated(replication_seconds=0.3) as run:
        emu = run.emu
        path = tmp_path / "promotion.yaml"
        path.write_text(PROMOTION, encoding="utf-8")
        run("apply", "--auto-approve", "--journal", "journal.jsonl", str(path))
        events = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
        order = [e["resource"] for e in events]
        assert order.index("staging/app/1.0.0") < order.index("production/app/1.0.0")
        staging = next(e for e in events if e["resource"] == "staging/app/1.0.0")
        assert staging["seconds"] >= 0.8  # three regions at 0.3 s each: it really waited for replication
        production = make_compute_client(emu).gallery_image_versions.get(RG, "production", "app", "1.0.0").as_dict()
        assert (
            production["properties"]["storageProfile"]["source"]["id"]
            .lower()
            .endswith("/galleries/staging/images/app/versions/1.0.0")
        )
        assert all(e["outcome"] == "succeeded" for e in events)
        assert all(e["requestIds"] for e in events)


def test_replace_runs_only_with_opt_in_and_recreates_children(run: Cli) -> None:
    path = estate(run.workdir, version_yaml())
    run("apply", "--auto-approve", path)
    path = estate(run.workdir, version_yaml())
    text = Path(path).read_text().replace("sku: jammy", "sku: noble")
    Path(path).write_text(text)
    run("apply", "--auto-approve", path)
    assert run.compute().gallery_images.get(RG, "gal", "ubuntu").identifier.sku == "jammy"
    run("apply", "--auto-approve", "--allow-replace", path)
    assert run.compute().gallery_images.get(RG, "gal", "ubuntu").identifier.sku == "noble"
    assert read_version(run)["properties"]["provisioningState"] == "Succeeded"
    assert changed(run.plan_json(path)) == {}


def test_saved_plan_applies_exactly_and_a_stale_one_is_refused(run: Cli) -> None:
    path = estate(run.workdir, version_yaml())
    run("plan", "--out", "create.json", path)
    run("apply", "create.json")  # a saved plan needs no prompt: it was reviewed
    assert changed(run.plan_json(path)) == {}

    path = estate(run.workdir, version_yaml(regions="westeurope, northeurope"))
    run("plan", "--out", "update.json", path)
    run.compute().galleries.begin_update(RG, "gal", {"properties": {"description": "someone else"}}).result()
    result = run("apply", "update.json", expect=1)
    assert "stale" in result.output and "gal: changed in Azure since the plan was made" in result.output
    assert len(regions_of(read_version(run))) == 1  # nothing was applied

    run("plan", "--out", "update.json", path)
    estate(run.workdir, version_yaml(regions="westeurope, eastus"))  # the manifest moves on after the plan
    result = run("apply", "update.json", expect=1)
    assert "manifests" in result.output and "changed since the plan was made" in result.output


def test_apply_without_a_terminal_or_auto_approve_refuses(run: Cli) -> None:
    result = run("apply", estate(run.workdir, version_yaml()), expect=1)
    assert "--auto-approve" in result.output
    assert run.admin.requests()["byOperation"].get("Galleries_CreateOrUpdate", 0) == 0


@pytest.mark.parametrize(
    "faults",
    [{"next429": 3}, {"next500": 2, "next503": 1}, {"nextDrop": 2}],
    ids=["429 burst", "5xx", "dropped connections"],
)
def test_transient_faults_are_retried_by_azure_core(run: Cli, faults: dict[str, Any]) -> None:
    path = estate(run.workdir, version_yaml(regions="westeurope, northeurope"))
    run.admin.faults(retryAfter=1, **faults)
    run("apply", "--auto-approve", path)
    run.admin.clear_faults()
    assert changed(run.plan_json(path)) == {}


def test_under_random_faults_apply_succeeds_or_names_what_failed_and_a_rerun_converges(run: Cli) -> None:
    path = estate(run.workdir, version_yaml(regions="westeurope, northeurope") + version_yaml("1.1.0"))
    run.admin.faults(retryAfter=1, rate429=0.25, rate503=0.1, dropRate=0.05, seed=7)
    result = run("apply", "--auto-approve", "--json", path, expect=None)
    data = json.loads(result.stdout.strip().splitlines()[-1] if "error" in result.stdout else result.stdout)
    if "error" in data:  # throttled past every retry while reading: it says so, and changed nothing
        assert "reading live state (nothing was changed)" in data["error"]
        data = {"results": []}
    statuses = {r["address"]: r["status"] for r in data["results"]}
    assert not statuses or set(statuses) == {"gal", "gal/ubuntu", "gal/ubuntu/1.0.0", "gal/ubuntu/1.1.0"}
    assert (result.exit_code == 0) == all(s == "succeeded" for s in statuses.values())
    for r in data["results"]:
        assert r["status"] in ("succeeded", "failed", "skipped")
        assert r["status"] == "succeeded" or r["message"]
    run.admin.clear_faults()
    run("apply", "--auto-approve", path)
    assert changed(run.plan_json(path)) == {}


def test_a_failure_fails_its_resource_only_and_dependents_are_skipped(run: Cli) -> None:
    two = estate(run.workdir, version_yaml())
    text = (
        Path(two).read_text()
        + """\
  broken:
    definitions:
      child:
        identifier: {publisher: acme, offer: child, sku: one}
        osType: Linux
        osState: Generalized
"""
    )
    Path(two).write_text(text)
    # A refusal azure-core does not retry (RBAC, 403) for one gallery's creation.
    run.admin.faults(next403=1, match=r"^PUT .*/galleries/broken$")
    result = run("apply", "--auto-approve", "--json", two, expect=1)
    data = json.loads(result.stdout)
    status = {r["address"]: r["status"] for r in data["results"]}
    assert status["broken"] == "failed"
    assert status["broken/child"] == "skipped"
    assert status["gal/ubuntu/1.0.0"] == "succeeded"
    assert data["summary"]["failed"] == 1 and data["summary"]["skipped"] == 1
    assert "Microsoft.Compute/galleries/write" in next(
        r["message"] for r in data["results"] if r["address"] == "broken"
    )
    run("apply", "--auto-approve", two)
    assert changed(run.plan_json(two)) == {}


def test_parent_delete_is_retried_while_azure_still_sees_children(emulated: Any, tmp_path: Path) -> None:
    with emulated(delete_consistency_seconds=1.5) as run:
        emu = run.emu
        path = estate(tmp_path, version_yaml())
        run("apply", "--auto-approve", path)
        Path(path).write_text(
            "apiVersion: gallery-reconciler/v1\n"
            f"scope: {{resourceGroup: {RG}, location: westeurope}}\ngalleries: {{}}\n"
        )
        result = run("apply", "--auto-approve", "--prune", path)
        assert "3 succeeded" in result.stdout
        assert [g.name for g in make_compute_client(emu).galleries.list_by_resource_group(RG)] == []
        assert admin(emu).requests()["byOperation"].get("GalleryImages_Delete", 0) >= 2  # refused, then retried


def test_no_wait_then_status_and_status_wait(emulated: Any, tmp_path: Path) -> None:
    with emulated(replication_seconds=0.5) as run:
        path = estate(tmp_path, version_yaml(regions="westeurope, northeurope, eastus"))
        result = run("apply", "--auto-approve", "--no-wait", "--json", path)
        outcome = {r["address"]: r["status"] for r in json.loads(result.stdout)["results"]}
        assert outcome["gal/ubuntu/1.0.0"] == "accepted"
        status = json.loads(run("status", "--json", path).stdout)
        row = status["versions"][0]
        assert row["state"] in ("Creating", "Updating") and not status["settled"]
        assert {r["region"] for r in row["regions"]} == {"westeurope", "northeurope", "eastus"}
        waited = json.loads(run("status", "--wait", "--json", path).stdout)
        assert waited["settled"] and waited["versions"][0]["state"] == "Succeeded"
        assert all(r["state"] == "Completed" and r["progress"] == 100 for r in waited["versions"][0]["regions"])
        assert "Completed" in run("status", path).stdout


def test_operation_timeout_names_what_was_still_running(emulated: Any, tmp_path: Path) -> None:
    with emulated(replication_seconds=5) as run:
        result = run("apply", "--auto-approve", "--operation-timeout", "1s", estate(tmp_path, version_yaml()), expect=1)
        assert "timed-out: create version gal/ubuntu/1.0.0" in result.stdout
        assert "per-operation timeout" in result.stdout


def test_bad_flags_get_a_clear_message(run: Cli) -> None:
    path = estate(run.workdir, version_yaml())
    assert "not a duration" in run("apply", "--timeout", "soon", "--auto-approve", path, expect=1).output
    assert "Invalid value for '--parallelism'" in run("apply", "--parallelism", "0", path, expect=1).output


def test_sigkill_in_the_middle_of_an_apply_then_rerun_converges(tmp_path: Path) -> None:
    with emulator_server(seed=DEMO_SEED, replication_seconds=1.0) as emu:
        path = estate(
            tmp_path,
            version_yaml(regions="westeurope, northeurope, eastus")
            + version_yaml("1.1.0", regions="westeurope, northeurope"),
        )
        argv = [
            sys.executable,
            "-m",
            "reconciler",
            "apply",
            "--endpoint",
            emu.url,
            "--ca-bundle",
            str(emu.ca_path),
            "--auto-approve",
            path,
        ]
        env = {k: v for k, v in os.environ.items() if k not in ("AZURE_SUBSCRIPTION_ID", "RECONCILE_TARGET")}
        proc = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        client = make_compute_client(emu)
        while time.monotonic() < deadline:  # kill once a version is on its way, mid-replication
            with contextlib.suppress(ResourceNotFoundError):
                if any(True for _ in client.gallery_image_versions.list_by_gallery_image(RG, "gal", "ubuntu")):
                    break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert proc.returncode == -signal.SIGKILL
        rerun = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        versions = {
            v.name: v.provisioning_state
            for v in client.gallery_image_versions.list_by_gallery_image(RG, "gal", "ubuntu")
        }
        assert versions == {"1.0.0": "Succeeded", "1.1.0": "Succeeded"}


def test_apply_names_the_target_first_and_the_overall_timeout_names_what_ran(emulated: Any, tmp_path: Path) -> None:
    with emulated(replication_seconds=5) as run:
        result = run("apply", "--auto-approve", "--timeout", "2s", estate(tmp_path, version_yaml()), expect=1)
        assert result.stdout.splitlines()[0].startswith("Target: emulator at https://127.0.0.1:")
        assert "timed-out: create version gal/ubuntu/1.0.0: the overall --timeout ran out" in result.stdout
        assert "1 timed out" in result.stdout


def test_removing_an_end_of_life_date_replaces_the_version_only_with_opt_in(run: Cli) -> None:
    run("apply", "--auto-approve", estate(run.workdir, version_yaml(extra="endOfLifeDate: 2031-01-31")))
    path = estate(run.workdir, version_yaml(extra="endOfLifeDate: null"))
    change = next(r for r in run.plan_json(path)["resources"] if r["address"] == "gal/ubuntu/1.0.0")
    assert change["action"] == "replace" and change["blocked"]
    assert change["changes"][0]["reason"] == {
        "code": "end-of-life-removal",
        "message": "Azure cannot remove an end-of-life date in place",
    }
    run("apply", "--auto-approve", "--allow-replace", path)
    assert "endOfLifeDate" not in read_version(run)["properties"]["publishingProfile"]
    assert changed(run.plan_json(path)) == {}


def test_a_refused_rbac_action_is_named_and_fails_only_that_resource(run: Cli) -> None:
    path = estate(run.workdir, version_yaml())
    run.admin.faults(next403=1, match=r"PUT .*/images/ubuntu$")
    result = run("apply", "--auto-approve", path, expect=1)
    assert "permission denied: the signed-in identity lacks the RBAC action " in result.stdout
    assert "'Microsoft.Compute/galleries/images/write'" in result.stdout
    assert "create version gal/ubuntu/1.0.0: skipped because create definition gal/ubuntu failed" in result.stdout
    run.admin.faults(next403=1, match=r"GET .*/galleries$")
    result = run("plan", path, expect=1)
    assert "reading live state (nothing was changed): permission denied" in result.output
    assert "'Microsoft.Compute/galleries/read'" in result.output


def test_definition_features_update_in_place_with_allow_update_image(run: Cli) -> None:
    path = estate(
        run.workdir, version_yaml(), definition_extra="features: {acceleratedNetworking: false, hibernation: true}"
    )
    run("apply", "--auto-approve", path)
    path = estate(run.workdir, version_yaml(), definition_extra="features: {acceleratedNetworking: true}")
    change = next(r for r in run.plan_json(path)["resources"] if r["address"] == "gal/ubuntu")
    assert change["action"] == "update"
    assert change["changes"] == [
        {"path": "features[IsAcceleratedNetworkSupported]", "before": "False", "after": "True"}
    ]
    run("apply", "--auto-approve", path)
    features = {f.name: f.value for f in run.compute().gallery_images.get(RG, "gal", "ubuntu").features}
    assert features["IsAcceleratedNetworkSupported"].lower() == "true"
    assert features["IsHibernateSupported"].lower() == "true"  # no longer in the manifest: left as Azure has it
    assert changed(run.plan_json(path)) == {}


def test_additional_replica_sets_are_created_updated_in_place_and_read_back(run: Cli) -> None:
    def with_sets(replicas: int) -> str:
        region = (
            "{name: westeurope, additionalReplicaSets: "
            f"[{{storageAccountType: PremiumV2_LRS, replicas: {replicas}}}]}}"
        )
        return estate(run.workdir, version_yaml(regions=region))

    run("apply", "--auto-approve", with_sets(1))
    (region,) = read_version(run)["properties"]["publishingProfile"]["targetRegions"]
    assert region["additionalReplicaSets"] == [{"storageAccountType": "PremiumV2_LRS", "regionalReplicaCount": 1}]
    assert changed(run.plan_json(with_sets(1))) == {}
    plan = run.plan_json(with_sets(2))
    version = next(r for r in plan["resources"] if r["address"] == "gal/ubuntu/1.0.0")
    assert version["action"] == "update"
    assert [c["path"] for c in version["changes"]] == [
        "publishingProfile.targetRegions[westeurope].additionalReplicaSets[PremiumV2_LRS].regionalReplicaCount"
    ]
    run("apply", "--auto-approve", with_sets(2))
    (region,) = read_version(run)["properties"]["publishingProfile"]["targetRegions"]
    assert region["additionalReplicaSets"] == [{"storageAccountType": "PremiumV2_LRS", "regionalReplicaCount": 2}]
    assert changed(run.plan_json(with_sets(2))) == {}


def test_null_and_empty_lists_clear_fields_in_place_and_the_next_plan_is_empty(run: Cli) -> None:
    full = (
        "description: ubuntu\n        releaseNoteUri: https://example.com/notes\n"
        "        disallowedDiskTypes: [Standard_LRS, Premium_LRS]\n"
        "        recommended: {vCPUs: {min: 2, max: 8}, memory: {min: 4, max: 32}}"
    )
    run("apply", "--auto-approve", estate(run.workdir, version_yaml(), definition_extra=full))
    cleared = (
        "description: null\n        releaseNoteUri: null\n        disallowedDiskTypes: []\n"
        "        recommended: {vCPUs: null, memory: {min: 4, max: 32}}"
    )
    path = estate(run.workdir, version_yaml(), definition_extra=cleared, gallery_extra="description: null")
    plan = run.plan_json(path)
    assert changed(plan) == {"gal": "update", "gal/ubuntu": "update"}
    definition = next(r for r in plan["resources"] if r["address"] == "gal/ubuntu")
    assert sorted(c["path"] for c in definition["changes"]) == [
        "description",
        "disallowed.diskTypes",
        "recommended.vCPUs",
        "releaseNoteUri",
    ]
    run("apply", "--auto-approve", path)
    props = run.compute().gallery_images.get(RG, "gal", "ubuntu").as_dict()["properties"]
    for gone in ("description", "releaseNoteUri"):
        assert gone not in props
    assert not (props.get("disallowed") or {}).get("diskTypes")
    assert "vCPUs" not in (props.get("recommended") or {}) and props["recommended"]["memory"] == {"min": 4, "max": 32}
    assert "description" not in run.compute().galleries.get(RG, "gal").as_dict()["properties"]
    assert changed(run.plan_json(path)) == {}


def test_switching_on_region_removal_and_removing_a_replicated_region_is_done_in_place(run: Cli) -> None:
    def regions(names: str, allow: str) -> str:
        return estate(
            run.workdir, version_yaml(regions=names).replace("allowDeletionOfReplicatedLocations: true", allow)
        )

    run("apply", "--auto-approve", regions("westeurope, northeurope", "allowDeletionOfReplicatedLocations: false"))
    path = regions("westeurope", "allowDeletionOfReplicatedLocations: true")
    version = next(r for r in run.plan_json(path)["resources"] if r["address"] == "gal/ubuntu/1.0.0")
    assert version["action"] == "update" and version["blocked"] is None
    result = run("apply", "--auto-approve", path)
    assert "allowing the removal of replicated regions first" in result.stdout
    body = read_version(run)
    assert body["properties"]["safetyProfile"]["allowDeletionOfReplicatedLocations"] is True
    assert list(regions_of(body)) == ["West Europe"]
    assert changed(run.plan_json(path)) == {}
