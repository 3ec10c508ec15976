"""Retention rules against the emulator, through the CLI: each rule, each guard, the cap, and soft delete.

Versions are published outside the manifests (as pipelines do) over simulated time: `publish` dates them with
the emulator's `set_published_date`. Every test applies and plans again: after the apply, the plan is empty.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from reconciler.core.arm_json import parse_datetime
from reconciler.render.wording import day
from tests.e2e.conftest import Cli, changed
from tests.e2e.lifecycle_estate import (
    NOW,
    RG,
    kept,
    listed,
    live_versions,
    publish,
    resources,
    retention_deletions,
    write_estate,
)

pytestmark = pytest.mark.e2e


def converge(run: Cli, path: str, *flags: str) -> None:
    """Apply with the pruning opt-in, then check that a plan has nothing left to do."""
    run("apply", "--auto-approve", "--prune", *flags, path)
    assert changed(run.plan_json(path, extra=("--prune",))) == {}


def monthly(run: Cli, count: int, *, prefix: str = "1.0", **kw: object) -> list[str]:
    """`count` versions published a month apart, the newest 10 days ago: prefix.0 is the oldest."""
    names = [f"{prefix}.{i}" for i in range(count)]
    for i, name in enumerate(names):
        publish(run, name, 10 + 30 * (count - 1 - i), **kw)  # type: ignore[arg-type]
    return names


def test_keep_newest_deletes_the_rest_only_with_the_pruning_opt_in(run: Cli) -> None:
    path = write_estate(run.workdir, "{retention: {keepNewest: 3}}")
    run("apply", "--auto-approve", path)
    monthly(run, 8)

    plan = run.plan_json(path)
    gone = retention_deletions(plan)
    assert sorted(gone) == ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4"]
    assert gone["1.0.0"]["reason"]["subjects"] == ["keep-newest", "3", ""]
    assert all(r["blocked"]["code"] == "needs-prune" for r in gone.values())
    text = run("plan", path).stdout
    assert "  - version gal/app/1.0.0  # retention: not among the newest 3 versions\n" in text
    assert "  gal/app: 1.0.7 (unchanged)\n" in text  # the preview shows `latest` stays
    assert run("plan", "--detailed-exitcode", path, expect=3)

    run("apply", "--auto-approve", path)  # without the opt-in nothing goes
    assert len(live_versions(run)) == 8
    converge(run, path)
    # The newest three stay: not pruned, although the manifests do not list them.
    assert live_versions(run) == ["1.0.5", "1.0.6", "1.0.7"]


def test_max_age_keeps_the_newest_n_however_old(run: Cli) -> None:
    path = write_estate(run.workdir, "{retention: {maxAgeDays: 100, keepNewest: 4}}")
    run("apply", "--auto-approve", path)
    monthly(run, 6)  # published 160, 130, 100, 70, 40 and 10 days ago

    gone = retention_deletions(run.plan_json(path))
    assert sorted(gone) == ["1.0.0", "1.0.1"]  # 1.0.2 is past 100 days too, but among the newest 4
    subjects = gone["1.0.0"]["reason"]["subjects"]
    assert subjects[:2] == ["max-age", "100"] and subjects[2].startswith((NOW - timedelta(days=160)).date().isoformat())
    assert f"# retention: published {(NOW - timedelta(days=160)).date().isoformat()}" in run("plan", path).stdout
    converge(run, path)
    assert live_versions(run) == ["1.0.2", "1.0.3", "1.0.4", "1.0.5"]


def test_keep_newest_per_major_version(run: Cli) -> None:
    path = write_estate(run.workdir, "{retention: {keepNewest: 2, perMajorVersion: true}}")
    run("apply", "--auto-approve", path)
    monthly(run, 4, prefix="1.0")
    monthly(run, 4, prefix="2.0")

    gone = retention_deletions(run.plan_json(path))
    assert sorted(gone) == ["1.0.0", "1.0.1", "2.0.0", "2.0.1"]
    assert gone["1.0.0"]["reason"]["subjects"] == ["keep-newest", "2", "1"]
    assert "# retention: not among the newest 2 versions of major version 2" in run("plan", path).stdout
    converge(run, path)
    assert live_versions(run) == ["1.0.2", "1.0.3", "2.0.2", "2.0.3"]


def test_end_of_life_passed_and_end_of_life_by_rule(run: Cli) -> None:
    path = write_estate(
        run.workdir,
        "{retention: {deleteAfterEndOfLife: true}, endOfLifeAfterDays: 90}",
        listed("3.0.0"),
    )
    run("apply", "--auto-approve", path)
    # 1.0.0 was given an end of life 200 days ago for 20 days ago; 1.1.0 has none, and 90 days after its
    # publishing have passed; 1.2.0 was published 30 days ago (the rule gives it 60 more days).
    publish(run, "1.0.0", 200, end_of_life=NOW - timedelta(days=20))
    publish(run, "1.1.0", 120)
    publish(run, "1.2.0", 30)
    publish(run, "2.0.0", 200, end_of_life=NOW + timedelta(days=100))  # its own date wins over the rule's

    plan = run.plan_json(path)
    gone = retention_deletions(plan)
    assert sorted(gone) == ["1.0.0", "1.1.0"]
    assert gone["1.0.0"]["reason"]["subjects"][0] == "end-of-life"
    assert gone["1.1.0"]["reason"]["subjects"][:2] == ["end-of-life-by-rule", "90"]
    text = run("plan", path).stdout
    expired = (NOW - timedelta(days=30)).date().isoformat()
    assert f"# retention: its end of life by rule (90 days after publishing) passed on {expired}" in text
    converge(run, path)
    assert live_versions(run) == ["1.2.0", "2.0.0", "3.0.0"]


def test_unowned_versions_only_with_the_opt_in_and_never_another_estates(run: Cli) -> None:
    path = write_estate(run.workdir, "{retention: {keepNewest: 1}}")
    run("apply", "--auto-approve", path)
    publish(run, "0.1.0", 300, tags={})
    publish(run, "0.2.0", 290, tags={"team": "packer"})
    publish(run, "0.5.0", 200, tags={"gallery-reconciler": "team-b"})
    publish(run, "1.0.0", 100)
    publish(run, "1.1.0", 50)

    assert sorted(retention_deletions(run.plan_json(path))) == ["1.0.0"]
    path = write_estate(run.workdir, "{retention: {keepNewest: 1, includeUnowned: true}}")
    plan = run.plan_json(path)
    gone = retention_deletions(plan)
    assert sorted(gone) == ["0.1.0", "0.2.0", "1.0.0"]
    assert [n["code"] for n in gone["0.1.0"]["notes"]] == ["not-created-by-tool"]
    converge(run, path)
    assert live_versions(run) == ["0.5.0", "1.1.0"]  # another estate's version is never weighed


def test_gallery_default_and_a_definition_opting_out(run: Cli) -> None:
    path = write_estate(run.workdir, "", gallery_lifecycle="{retention: {keepNewest: 1}}")
    run("apply", "--auto-approve", path)
    monthly(run, 3)
    assert sorted(retention_deletions(run.plan_json(path))) == ["1.0.0", "1.0.1"]
    out = write_estate(run.workdir, "{retention: null}", gallery_lifecycle="{retention: {keepNewest: 1}}")
    # Without a rule, pruning decides again: every unlisted version of ours goes, with the usual reason.
    plan = run.plan_json(out, extra=("--prune",))
    assert retention_deletions(plan) == {}
    assert {a: r["reason"]["code"] for a, r in resources(plan).items() if r["action"] == "delete"} == {
        f"gal/app/1.0.{i}": "not-in-manifests" for i in range(3)
    }


# ---------------------------------------------------------------- guards


def test_a_rule_that_would_delete_everything_keeps_what_the_guards_protect(run: Cli) -> None:
    path = write_estate(run.workdir, "{retention: {maxAgeDays: 1}}", listed("0.7.0", extra="tags: {pinned: 'yes'}"))
    run("apply", "--auto-approve", path)
    run.admin.set_published_date(
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/platform-images/providers/"
        "Microsoft.Compute/galleries/gal/images/app/versions/0.7.0",
        NOW - timedelta(days=400),
    )
    publish(run, "0.8.0", 390, block_deletion=True, end_of_life=NOW + timedelta(days=30))
    publish(run, "0.9.0", 380, tags={"gallery-reconciler": "managed", "gallery-reconciler-protected": "false"})
    publish(run, "1.0.0", 370, regions=("westeurope", "northeurope"))
    publish(run, "1.1.0", 360, regions=("westeurope", "northeurope"))  # latest in northeurope
    publish(run, "1.2.0", 350)  # latest in westeurope
    publish(run, "1.3.0", 340, regions=("westeurope", "northeurope"), exclude=True)

    plan = run.plan_json(path)
    assert sorted(retention_deletions(plan)) == ["1.0.0", "1.3.0"]
    assert kept(plan) == {
        "0.7.0": "listed-in-manifests",
        "0.8.0": "safety-blocks-deletion",
        "0.9.0": "protection-tag",
        "1.1.0": "latest",
        "1.2.0": "latest",
    }
    report = plan["retention"][0]
    assert report["rule"] == {"maxAgeDays": 1}
    latest_guard = {k["version"]: k["guard"]["subjects"] for k in report["kept"] if k["guard"]["code"] == "latest"}
    assert latest_guard == {"1.1.0": ["northeurope"], "1.2.0": ["westeurope"]}
    text = run("plan", path).stdout
    assert "Retention: versions the rules select that guards keep:\n  gal/app (maxAgeDays 1)\n" in text
    assert "      1.1.0: published " in text and "; kept: 'latest' resolves to it in northeurope\n" in text
    assert "; kept: it carries the protection tag gallery-reconciler-protected\n" in text
    assert "; kept: its safety profile blocks deletion before its end-of-life date " in text
    assert "'latest' will resolve to:\n  gal/app: differs by region\n" in text
    assert "      northeurope: 1.1.0 (unchanged)\n      westeurope: 1.2.0 (unchanged)\n" in text
    markdown = run("plan", "--markdown", path).stdout
    assert "**Retention: versions the rules select that guards keep:**\n\n- `gal/app` (maxAgeDays 1)\n" in markdown

    converge(run, path)
    assert live_versions(run) == ["0.7.0", "0.8.0", "0.9.0", "1.1.0", "1.2.0"]


def test_a_definition_keeps_a_version_when_every_one_is_excluded_from_latest(run: Cli) -> None:
    path = write_estate(run.workdir, "{retention: {maxAgeDays: 30}}")
    run("apply", "--auto-approve", path)
    for i in range(4):
        publish(run, f"1.0.{i}", 100 - i, exclude=True)

    plan = run.plan_json(path)
    assert sorted(retention_deletions(plan)) == ["1.0.0", "1.0.1", "1.0.2"]
    assert kept(plan) == {"1.0.3": "last-version"}
    assert "; kept: the definition would be left without any version\n" in run("plan", path).stdout
    converge(run, path)
    assert live_versions(run) == ["1.0.3"]


def test_the_cap_spreads_deletions_over_runs_oldest_first(run: Cli) -> None:
    path = write_estate(run.workdir, "{retention: {keepNewest: 1}}")
    run("apply", "--auto-approve", path)
    names = monthly(run, 14)

    plan = run.plan_json(path, extra=("--prune",))
    gone = retention_deletions(plan)
    assert len(gone) == 13
    capped = sorted((n for n, r in gone.items() if (r["blocked"] or {}).get("code") == "retention-cap"), key=len)
    allowed = [n for n, r in gone.items() if r["blocked"] is None]
    assert sorted(allowed, key=lambda n: int(n.split(".")[2])) == names[:10]  # the oldest ten
    assert sorted(capped, key=lambda n: int(n.split(".")[2])) == names[10:13]
    assert gone["1.0.12"]["blocked"]["subjects"] == ["10"]
    text = run("plan", "--prune", path).stdout
    assert "blocked: retention deletes at most 10 versions per run, older ones first; a later run deletes it" in text
    assert run("plan", "--prune", "--detailed-exitcode", path, expect=2)

    run("apply", "--auto-approve", "--prune", path)
    assert live_versions(run) == names[10:]
    second = retention_deletions(run.plan_json(path, extra=("--prune",)))
    assert sorted(second) == names[10:13] and all(r["blocked"] is None for r in second.values())
    converge(run, path)
    assert live_versions(run) == names[13:]


def test_the_cap_is_a_setting(run: Cli) -> None:
    path = write_estate(run.workdir, "{retention: {keepNewest: 1}}", settings="{maxRetentionDeletions: 2, prune: true}")
    run("apply", "--auto-approve", path)
    names = monthly(run, 5)
    gone = retention_deletions(run.plan_json(path))
    assert sorted(n for n, r in gone.items() if r["blocked"] is None) == names[:2]
    run("apply", "--auto-approve", path)  # settings.prune is the same opt-in as --prune
    assert live_versions(run) == names[2:]


def test_soft_delete_says_until_when_a_deletion_is_restorable(run: Cli) -> None:
    path = write_estate(run.workdir, "{retention: {keepNewest: 1}}")
    run("apply", "--auto-approve", path)
    monthly(run, 2)
    assert retention_deletions(run.plan_json(path))["1.0.0"]["notes"] == []  # soft delete off: nothing to say

    run.compute().galleries.begin_update(
        RG,
        "gal",
        {
            "properties": {
                "softDeletePolicy": {"isSoftDeleteEnabled": True, "retentionPeriodInDays": 7, "gracePeriodInDays": 3}
            }
        },
    ).result()
    plan = run.plan_json(path)
    (note,) = retention_deletions(plan)["1.0.0"]["notes"]
    assert note["code"] == "soft-delete"
    usable, purged = note["subjects"]
    restorable = parse_datetime(usable)
    assert restorable is not None and abs(restorable - (NOW + timedelta(days=7))) < timedelta(hours=1)
    assert parse_datetime(purged) == restorable + timedelta(days=3)
    text = run("plan", path).stdout
    assert f"note: soft delete: it goes to the gallery's recycle bin, restorable until {day(usable)}, then " in text
