"""Saved plans on every kind of target, stale plans that say what differs, and the exit codes CI relies on."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from tests.e2e.conftest import Cli
from tests.e2e.test_apply import RG, estate, read_version, regions_of, version_yaml

pytestmark = pytest.mark.e2e

SMALL = """\
apiVersion: gallery-reconciler/v1
scope: {resourceGroup: myGalleryRG, location: eastus}
galleries:
  corp:
    description: DESCRIPTION
    definitions:
      base:
        identifier: {publisher: acme, offer: base, sku: one}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
"""


def hint_of(output: str) -> list[str]:
    """The apply command `plan --out` prints, as argv (without the program name)."""
    line = next(ln for ln in output.splitlines() if "Apply exactly this plan with:" in ln)
    return shlex.split(line.split("Apply exactly this plan with: ", 1)[1])[1:]


def reconcile(*argv: str) -> Result:
    return CliRunner().invoke(cli, list(argv), catch_exceptions=False)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for var in ("AZURE_SUBSCRIPTION_ID", "RECONCILE_TARGET"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def _small(workdir: Path, description: str = "first") -> str:
    path = workdir / "small.yaml"
    path.write_text(SMALL.replace("DESCRIPTION", description), encoding="utf-8")
    return str(path)


def test_saved_plan_round_trip_on_the_default_embedded_target(workdir: Path) -> None:
    path = _small(workdir)
    planned = reconcile("plan", "--out", "p.json", path)
    assert planned.exit_code == 0, planned.output
    # Each run starts the embedded emulator on a new port; the plan names it by its state directory instead.
    assert hint_of(planned.output) == ["apply", "p.json"]
    applied = reconcile(*hint_of(planned.output))
    assert applied.exit_code == 0, applied.output
    assert "Apply: 2 succeeded" in applied.output
    again = reconcile("plan", "--detailed-exitcode", path)
    assert again.exit_code == 0, again.output


def test_a_plan_for_another_state_dir_names_the_flag_and_is_refused_without_it(workdir: Path) -> None:
    path = _small(workdir)
    planned = reconcile("plan", "--state-dir", "other", "--out", "p.json", path)
    assert hint_of(planned.output) == ["apply", "p.json", "--state-dir", "other"]
    refused = reconcile("apply", "p.json")
    assert refused.exit_code == 1
    assert "the plan was made for another target" in refused.output
    other, default = (workdir / "other").resolve().as_uri(), (workdir / ".reconcile").resolve().as_uri()
    assert f"endpoint: {other} (plan) → {default} (this run)" in refused.output
    assert not (workdir / ".reconcile" / "journal.jsonl").exists()  # nothing ran
    applied = reconcile(*hint_of(planned.output))
    assert applied.exit_code == 0, applied.output


def test_the_hint_names_the_endpoint_flags_and_runs_as_printed(run: Cli) -> None:
    path = estate(run.workdir, version_yaml())
    planned = run("plan", "--out", "p.json", path)
    argv = hint_of(planned.output)
    assert argv == ["apply", "p.json", "--endpoint", run.emu.url, "--ca-bundle", str(run.emu.ca_path)]
    assert reconcile(*argv).exit_code == 0
    # With --json the plan document owns stdout: the hint goes to stderr.
    as_json = run("plan", "--json", "--out", "q.json", path)
    assert "Apply exactly" not in as_json.stdout and "reconcile apply q.json --endpoint" in as_json.stderr


def test_stale_plan_says_which_fields_changed_in_azure(run: Cli) -> None:
    path = estate(run.workdir, version_yaml())
    run("apply", "--auto-approve", path)
    path = estate(run.workdir, version_yaml(regions="westeurope, northeurope"))
    run("plan", "--out", "update.json", path)
    run.compute().galleries.begin_update(RG, "gal", {"properties": {"description": "someone else"}}).result()
    result = run("apply", "update.json", expect=1)
    assert "  - gal: changed in Azure since the plan was made:\n" in result.output
    assert '      planned: no-op; now: update\n      description: "base" → "someone else"\n' in result.output
    assert len(regions_of(read_version(run))) == 1  # nothing was applied


def test_stale_plan_says_how_the_planned_change_moved_with_the_manifests(run: Cli) -> None:
    path = estate(run.workdir, version_yaml())
    run("apply", "--auto-approve", path)
    path = estate(run.workdir, version_yaml(regions="westeurope, northeurope"))
    run("plan", "--out", "update.json", path)
    estate(run.workdir, version_yaml(regions="westeurope, northeurope=3"))
    result = run("apply", "update.json", expect=1)
    assert "the manifests (or the environment variables they use) changed" in result.output
    assert "  - gal/ubuntu/1.0.0: the planned change is no longer as saved:\n" in result.output
    assert (
        "      publishingProfile.targetRegions[northeurope]: planned (none) → {regionalReplicaCount: 1}; "
        "now (none) → {regionalReplicaCount: 3}"
    ) in result.output


def test_a_usage_error_exits_1_never_2(run: Cli) -> None:
    result = run("plan", "--detailed-exitcode", expect=1)
    assert "Missing argument 'PATHS...'" in result.output
    assert run("plan", "--no-such-flag", "x", expect=1).exit_code == 1
    assert run("apply", "--parallelism", "0", "x", expect=1).exit_code == 1


def test_detailed_exit_codes_tell_no_changes_changes_and_only_blocked_apart(run: Cli) -> None:
    two = estate(run.workdir, version_yaml() + version_yaml("1.1.0"))
    assert run("plan", "--detailed-exitcode", two, expect=2).exit_code == 2
    run("apply", "--auto-approve", two)
    run("plan", "--detailed-exitcode", two, expect=0)
    # Dropping a version without --prune: the only change is a blocked delete, which apply would not make.
    one = estate(run.workdir, version_yaml())
    blocked = run("plan", "--detailed-exitcode", one, expect=3)
    assert "1 blocked" in blocked.output
    run("plan", "--detailed-exitcode", "--prune", one, expect=2)
    # A blocked change next to one apply would make: apply has work, so 2.
    mixed = estate(run.workdir, version_yaml(), gallery_extra="description: edited")
    run("plan", "--detailed-exitcode", mixed, expect=2)
    run("apply", "--auto-approve", mixed)
    run("plan", "--detailed-exitcode", mixed, expect=3)
