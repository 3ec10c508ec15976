"""Promotion and end of life by rule against the emulator, through the CLI: apply-then-plan stays empty."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconciler.core.arm_json import parse_datetime
from reconciler.render.wording import day
from tests.e2e.conftest import Cli, changed
from tests.e2e.lifecycle_estate import NOW, RG, listed, publish, resources, version_id, write_estate

pytestmark = pytest.mark.e2e

STAGED = """\
apiVersion: gallery-reconciler/v1
scope: {{resourceGroup: platform-images, location: westeurope}}
galleries:
  staging:
    definitions:
      app:
        identifier: {{publisher: acme, offer: app, sku: jammy}}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        versions:
          "2.0.0":
            source: {{managedImage: {{resourceGroup: platform-images, name: ubuntu-base}}}}
            targetRegions: [westeurope]
  gal:
    definitions:
      app:
        identifier: {{publisher: acme, offer: app, sku: jammy}}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        lifecycle: {{promotion: whenReplicated}}
        versions:
          "1.0.0":
            source: {{managedImage: {{resourceGroup: platform-images, name: ubuntu-base}}}}
            targetRegions: [westeurope, northeurope]
{promoted}"""
PROMOTED = """\
          "2.0.0":
            source: {galleryImageVersion: {address: staging/app/2.0.0}}
            targetRegions: [westeurope, northeurope]
"""


def staged(workdir: Path, *, with_copy: bool) -> str:
    path = workdir / "estate.yaml"
    path.write_text(STAGED.format(promoted=PROMOTED if with_copy else ""), encoding="utf-8")
    return str(path)


def flag(run: Cli, name: str) -> bool:
    body = run.compute().gallery_image_versions.get(RG, "gal", "app", name).as_dict()
    return bool(body["properties"]["publishingProfile"]["excludeFromLatest"])


def latest_of(plan: dict[str, Any]) -> tuple[str | None, str | None]:
    (entry,) = [lc for lc in plan["latest"] if lc["definition"] == "gal/app"]
    return entry["before"], entry["after"]


def test_a_promoted_copy_is_published_excluded_and_promoted_once_replicated(run: Cli) -> None:
    run("apply", "--auto-approve", staged(run.workdir, with_copy=False))
    assert not flag(run, "1.0.0")  # already in Azure: the rule never hides a version that `latest` serves
    path = staged(run.workdir, with_copy=True)

    plan = run.plan_json(path)
    copy = resources(plan)["gal/app/2.0.0"]
    assert copy["action"] == "create"
    assert {"path": "publishingProfile.excludeFromLatest", "before": None, "after": True} in copy["changes"]
    assert [n["code"] for n in copy["notes"]] == ["promote-when-replicated"]
    assert latest_of(plan) == ("1.0.0", "2.0.0")  # where `latest` settles once the apply has promoted it
    text = run("plan", path).stdout
    assert "      note: promote when replicated: published excluded from latest; apply clears" in text

    result = run("apply", "--auto-approve", "--json", path)
    steps = {r["address"]: r for r in json.loads(result.stdout)["results"]}
    assert steps["gal/app/2.0.0"]["message"] == (
        "replicated to every target region, then promoted (excludeFromLatest cleared)"
    )
    assert not flag(run, "2.0.0")
    settled = run.plan_json(path)
    assert changed(settled) == {} and latest_of(settled) == ("2.0.0", "2.0.0")


def test_without_waiting_the_next_plan_promotes_and_says_why(run: Cli) -> None:
    run("apply", "--auto-approve", staged(run.workdir, with_copy=False))
    path = staged(run.workdir, with_copy=True)
    result = run("apply", "--auto-approve", "--no-wait", "--json", path)
    steps = {r["address"]: r for r in json.loads(result.stdout)["results"]}
    assert steps["gal/app/2.0.0"]["message"].endswith("the next apply promotes it once replicated")
    run("status", "--wait", path)
    assert flag(run, "2.0.0")

    plan = run.plan_json(path)
    assert changed(plan) == {"gal/app/2.0.0": "update"}
    update = resources(plan)["gal/app/2.0.0"]
    assert update["reason"]["code"] == "promote"
    assert [c["path"] for c in update["changes"]] == ["publishingProfile.excludeFromLatest"]
    assert latest_of(plan) == ("1.0.0", "2.0.0")
    assert "~ version gal/app/2.0.0  # promotion rule: replicated to every target region" in run("plan", path).stdout
    run("apply", "--auto-approve", path)
    assert not flag(run, "2.0.0") and changed(run.plan_json(path)) == {}


def test_a_version_that_has_not_replicated_everywhere_is_not_promoted(run: Cli) -> None:
    run("apply", "--auto-approve", staged(run.workdir, with_copy=False))
    path = staged(run.workdir, with_copy=True)
    run.admin.faults(failRegions=["northeurope"])
    result = run("apply", "--auto-approve", "--json", path, expect=1)
    steps = {r["address"]: r for r in json.loads(result.stdout)["results"]}
    assert steps["gal/app/2.0.0"]["status"] == "failed"
    assert flag(run, "2.0.0")  # replication failed in northeurope: still excluded

    plan = run.plan_json(path)
    repair = resources(plan)["gal/app/2.0.0"]
    assert repair["reason"]["code"] == "replication-failed"
    assert "publishingProfile.excludeFromLatest" not in {c["path"] for c in repair["changes"]}
    assert [n["code"] for n in repair["notes"]] == ["promote-when-replicated"]
    run.admin.clear_faults()
    run("apply", "--auto-approve", path)  # repairs, waits for the replication, then promotes
    assert not flag(run, "2.0.0") and changed(run.plan_json(path)) == {}


def _end_of_life(run: Cli, name: str) -> datetime | None:
    body = run.compute().gallery_image_versions.get(RG, "gal", "app", name).as_dict()
    return parse_datetime(body["properties"]["publishingProfile"].get("endOfLifeDate"))


def test_end_of_life_by_rule_from_the_apply_then_from_the_published_date(run: Cli) -> None:
    rules = "{endOfLifeAfterDays: 30, retention: {deleteAfterEndOfLife: true}}"
    path = write_estate(run.workdir, rules, listed("1.0.0"))
    plan = run.plan_json(path)
    (line,) = [c for c in resources(plan)["gal/app/1.0.0"]["changes"] if c["path"].endswith("endOfLifeDate")]
    planned = parse_datetime(line["after"])
    assert planned is not None and abs(planned - (NOW + timedelta(days=30))) < timedelta(hours=1)
    text = run("plan", path).stdout
    assert f"note: end of life by rule: {day(line['after'])}, 30 days from this apply (when Azure publishes" in text

    run("apply", "--auto-approve", path)
    created = _end_of_life(run, "1.0.0")
    assert created is not None and abs(created - (NOW + timedelta(days=30))) < timedelta(hours=1)
    assert changed(run.plan_json(path)) == {}  # the published date is within the apply: no change

    # Published ten days ago (as Azure would report a version published then): 20 days are left.
    run.admin.set_published_date(version_id("1.0.0"), NOW - timedelta(days=10))
    plan = run.plan_json(path)
    (line,) = resources(plan)["gal/app/1.0.0"]["changes"]
    assert line["path"] == "publishingProfile.endOfLifeDate"
    assert parse_datetime(line["after"]) == (NOW - timedelta(days=10)).replace(microsecond=0) + timedelta(days=30)
    assert ", 30 days after it was published (" in run("plan", path).stdout
    run("apply", "--auto-approve", path)
    assert changed(run.plan_json(path)) == {}

    # Published 40 days ago: the rule's date has passed. It is never set (Azure refuses a past date): the version
    # is a retention candidate instead, kept because the manifests list it.
    run.admin.set_published_date(version_id("1.0.0"), NOW - timedelta(days=40))
    plan = run.plan_json(path, extra=("--show-unchanged",))
    assert changed(plan) == {}
    (report,) = plan["retention"]
    (entry,) = report["kept"]
    assert entry["rule"]["subjects"][:2] == ["end-of-life-by-rule", "30"]
    assert entry["guard"]["code"] == "listed-in-manifests"
    notes = [n["code"] for n in resources(plan)["gal/app/1.0.0"]["notes"]]
    assert notes == ["end-of-life-by-rule-passed"]
    text = run("plan", "--show-unchanged", path).stdout
    assert "1.0.0: its end of life by rule (30 days after publishing) passed on " in text
    assert "; kept: listed in the manifests" in text

    # Unlisted, the date Azure has is the one that counts (20 days ahead): neither retention nor pruning deletes
    # it. An unlisted version with no date of its own goes once the rule's date has passed.
    path = write_estate(run.workdir, rules, listed("2.0.0"))
    run("apply", "--auto-approve", "--prune", path)
    assert changed(run.plan_json(path, extra=("--prune",))) == {}
    assert _end_of_life(run, "1.0.0") is not None
    publish(run, "0.9.0", 60)  # no date of its own: the rule's (30 days after publishing) has passed
    gone = {a: r["reason"]["subjects"][0] for a, r in resources(run.plan_json(path)).items() if r["action"] == "delete"}
    assert gone == {"gal/app/0.9.0": "end-of-life-by-rule"}


def test_a_saved_plan_with_a_rule_is_applied_exactly(run: Cli) -> None:
    path = write_estate(run.workdir, "{endOfLifeAfterDays: 365}", listed("1.0.0"))
    run("plan", "--out", "plan.json", path)
    saved = json.loads((run.workdir / "plan.json").read_text())
    planned = next(
        c["after"] for c in resources(saved)["gal/app/1.0.0"]["changes"] if c["path"].endswith("endOfLifeDate")
    )
    run("apply", "plan.json")  # planned again at the saved plan's time, so not stale
    assert _end_of_life(run, "1.0.0") == parse_datetime(planned)
    assert changed(run.plan_json(path)) == {}
