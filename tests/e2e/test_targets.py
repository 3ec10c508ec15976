"""The embedded emulator as the default target: no flags, no subscription, state in ./.reconcile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from tests.e2e.conftest import MANIFESTS

pytestmark = pytest.mark.e2e

SUB = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for var in ("AZURE_SUBSCRIPTION_ID", "RECONCILE_TARGET"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_without_a_subscription_the_target_is_the_embedded_emulator(workdir: Path) -> None:
    result = CliRunner().invoke(cli, ["plan", str(MANIFESTS / "quickstart")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith(
        "Target: local emulator (embedded; nothing in Azure is touched)  (subscription 00000000-0000-0000-0000-"
    )
    assert "Plan: 3 to add" in result.stdout
    assert (workdir / ".reconcile" / "emulator" / "state.sqlite").is_file()


def test_target_local_runs_a_manifest_written_for_a_real_subscription(workdir: Path) -> None:
    manifest = workdir / "estate.yaml"
    manifest.write_text(
        "apiVersion: gallery-reconciler/v1\n"
        f"scope: {{subscription: {SUB}, resourceGroup: images, location: westeurope, createResourceGroup: true}}\n"
        "galleries:\n  corp: {description: made locally}\n",
        encoding="utf-8",
    )
    # (Without --target local this manifest would target Azure; tests never reach for real credentials.)
    result = CliRunner().invoke(cli, ["plan", "--target", "local", "--json", str(manifest)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["target"]["kind"] == "local" and plan["target"]["subscriptionId"] == SUB
    assert [(r["kind"], r["action"]) for r in plan["resources"]] == [("resourceGroup", "create"), ("gallery", "create")]
    applied = CliRunner().invoke(
        cli, ["apply", "--target", "local", "--auto-approve", str(manifest)], catch_exceptions=False
    )
    assert applied.exit_code == 0, applied.output
    again = json.loads(CliRunner().invoke(cli, ["plan", "--target", "local", "--json", str(manifest)]).stdout)
    assert {r["action"] for r in again["resources"]} == {"no-op"}
