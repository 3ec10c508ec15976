"""End-to-end fixtures: an emulator per test (demo sources seeded) and the `reconcile` CLI pointed at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.emulator import DEMO_SEED, EmulatorServer
from reconciler.emulator.testing import Admin, admin, emulator_server, make_compute_client

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = REPO / "manifests"
TARGETED = {"plan", "apply", "status", "export"}


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with emulator_server(seed=DEMO_SEED, replication_seconds=0.02) as server:
        yield server


@dataclass
class Cli:
    emu: EmulatorServer
    workdir: Path

    def __call__(self, *args: str, expect: int | None = 0, env: dict[str, str] | None = None) -> Result:
        """Run reconcile; `expect` is the exit code (None: 0 or 1, for outcomes a test inspects itself)."""
        argv = list(args)
        command = next((i for i, a in enumerate(argv) if a in TARGETED), None)
        if command is not None and "--target" not in argv:
            argv[command + 1 : command + 1] = ["--endpoint", self.emu.url, "--ca-bundle", str(self.emu.ca_path)]
        result = CliRunner().invoke(cli, argv, env=env, catch_exceptions=False)
        allowed = (0, 1) if expect is None else (expect,)
        assert result.exit_code in allowed, f"reconcile {' '.join(argv)} exited {result.exit_code}:\n{result.output}"
        assert "Traceback" not in result.output
        return result

    def plan_json(self, *paths: str, extra: tuple[str, ...] = ()) -> dict[str, Any]:
        return json.loads(self("plan", "--json", *extra, *paths).stdout)

    @property
    def admin(self) -> Admin:
        return admin(self.emu)

    def compute(self) -> Any:
        return make_compute_client(self.emu)


@pytest.fixture
def run(emu: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.chdir(tmp_path)
    for var in ("AZURE_SUBSCRIPTION_ID", "RECONCILE_TARGET", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    return Cli(emu, tmp_path)


@pytest.fixture
def emulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """For tests that need their own emulator settings: `with emulated(replication_seconds=5) as run: ...`."""

    @contextmanager
    def start(**settings: Any) -> Iterator[Cli]:
        with emulator_server(seed=DEMO_SEED, **settings) as server:
            monkeypatch.chdir(tmp_path)
            for var in ("AZURE_SUBSCRIPTION_ID", "RECONCILE_TARGET"):
                monkeypatch.delenv(var, raising=False)
            yield Cli(server, tmp_path)

    return start


def actions(plan: dict[str, Any]) -> dict[str, str]:
    return {r["address"]: r["action"] for r in plan["resources"]}


def changed(plan: dict[str, Any]) -> dict[str, str]:
    return {a: act for a, act in actions(plan).items() if act != "no-op"}
