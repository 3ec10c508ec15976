"""`reconcile emulator serve|seed` as users run them: output, seeding, Ctrl-C, and one-line errors."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from reconciler.commands.emulator import emulator
from reconciler.emulator.testing import emulator_server


def test_serve_prints_instructions_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "emulator",
            "serve",
            "--data",
            str(tmp_path),
            "--replication-seconds",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    try:
        while True:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            lines.append(line)
            if "Ctrl-C" in line or not line:
                break
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    text = "".join(lines)
    assert "listening on https://127.0.0.1:" in text
    assert str(tmp_path / "ca.pem") in text
    assert "reconcile plan --endpoint https://127.0.0.1:" in text and "az login --identity" in text
    assert proc.returncode == 0 and "Traceback" not in err
    assert (tmp_path / "state.sqlite").exists()


def test_serve_rejects_remote_host_and_bad_flags() -> None:
    runner = CliRunner()
    result = runner.invoke(emulator, ["serve", "--host", "0.0.0.0", "--data", ":memory:"])
    assert result.exit_code != 0 and "allow_remote" in result.output and result.exception is not None
    assert "Traceback" not in result.output
    result = runner.invoke(emulator, ["serve", "--port", "99999"])
    assert result.exit_code == 2 and "99999" in result.output
    result = runner.invoke(emulator, ["serve", "--seed", "/no/such/file.yaml", "--data", ":memory:"])
    assert result.exit_code == 1 and "seed file not found" in result.output


def test_seed_into_data_dir_and_running_server(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "resourceGroups": [{"name": "rg1", "location": "eastus"}],
                "disks": [{"resourceGroup": "rg1", "name": "d1", "location": "eastus"}],
            }
        )
    )
    runner = CliRunner()
    result = runner.invoke(emulator, ["seed", str(seed), "--data", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    assert "seeded 2 resource(s)" in result.output
    with emulator_server() as srv:
        result = runner.invoke(emulator, ["seed", str(seed), "--endpoint", srv.url, "--ca-bundle", str(srv.ca_path)])
        assert result.exit_code == 0, result.output
        assert srv.backend is not None and srv.backend.store.get(
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.Compute/disks/d1"
        )


def test_seed_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.yaml"
    bad.write_text("resourceGroups: [{name: rg1}]\n")
    result = runner.invoke(emulator, ["seed", str(bad), "--data", str(tmp_path / "d")])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: resourceGroups[0]: 'location' is required and must be a string"
    result = runner.invoke(emulator, ["seed", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 1 and "cannot read seed file" in result.output
    result = runner.invoke(emulator, ["seed", str(bad), "--endpoint", "https://127.0.0.1:1"])
    assert result.exit_code == 2 and "--ca-bundle" in result.output


def test_seeding_a_fresh_data_dir_keeps_the_demo_sources(tmp_path: Path) -> None:
    from reconciler.emulator.store import Store

    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"resourceGroups": [{"name": "rg1", "location": "eastus"}]}))
    result = CliRunner().invoke(emulator, ["seed", str(seed), "--data", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    store = Store(tmp_path / "data" / "state.sqlite")
    try:
        vm = (
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myGalleryRG/providers/"
            "Microsoft.Compute/virtualMachines/myVM"
        )
        assert store.get(vm) is not None  # the demo seed the embedded target would have given it
    finally:
        store.close()
