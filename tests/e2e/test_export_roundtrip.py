"""Property: an estate made through the SDK, exported, plans to no change (owned) or to adoption only (unowned)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from reconciler.cli import cli
from reconciler.emulator import DEMO_SEED, EmulatorServer
from reconciler.emulator.testing import admin, emulator_server
from tests.e2e.sdk_estates import SOURCES_SEED, count, create_with_sdk, estates

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    with emulator_server(seed=DEMO_SEED) as server:
        admin(server).seed(SOURCES_SEED)
        yield server


def reconcile(emu: EmulatorServer, *args: str) -> Any:
    target = ["--endpoint", emu.url, "--ca-bundle", str(emu.ca_path)]
    result = CliRunner().invoke(cli, [args[0], *target, *args[1:]], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(estate=estates())
def test_an_exported_estate_plans_to_no_change_but_adoption(
    emu: EmulatorServer, tmp_path_factory: Any, estate: dict[str, Any]
) -> None:
    create_with_sdk(emu, estate)
    out = Path(tmp_path_factory.mktemp("export")) / "manifests"
    adopt = [] if estate["owned"] else ["--adopt"]
    layout = ["--layout", "definition"] if len(estate["definitions"]) > 1 else []
    reconcile(emu, "export", "-g", estate["group"], "-o", str(out), *adopt, *layout)
    validated = CliRunner().invoke(cli, ["validate", str(out)], catch_exceptions=False)
    assert validated.exit_code == 0, validated.output
    plan = json.loads(reconcile(emu, "plan", "--json", str(out)).stdout)
    changes = {r["address"]: r for r in plan["resources"] if r["action"] != "no-op"}
    if estate["owned"]:
        assert changes == {}
        assert plan["summary"]["noop"] == count(estate)
        return
    # Made by hand: every resource is adopted, and the ownership tag is all that changes.
    assert len(changes) == count(estate) and plan["summary"]["blocked"] == 0
    for change in changes.values():
        assert change["action"] == "update" and change["reason"]["code"] == "adopt"
        assert change["changes"] == [{"path": "tags.gallery-reconciler", "before": None, "after": "managed"}]
