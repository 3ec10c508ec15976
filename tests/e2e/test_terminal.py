"""`reconcile apply` on a real (pseudo-)terminal: it asks before changing anything and shows live progress."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli
from tests.e2e.test_apply import estate, version_yaml

pytestmark = pytest.mark.e2e


def _read_until(fd: int, needle: str, timeout: float = 30.0) -> str:
    seen, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
            if needle.encode() in seen:
                break
    return seen.decode(errors="replace")


def _apply_on_a_terminal(run: Cli, path: str, answer: str) -> tuple[int, str]:
    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("AZURE_SUBSCRIPTION_ID", "RECONCILE_TARGET", "NO_COLOR")}
    env["COLUMNS"] = "160"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "apply",
            "--endpoint",
            run.emu.url,
            "--ca-bundle",
            str(run.emu.ca_path),
            path,
        ],
        cwd=run.workdir,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        close_fds=True,
    )
    os.close(secondary)
    try:
        before = _read_until(primary, "Only 'yes' is accepted")
        os.write(primary, answer.encode() + b"\n")
        after = _read_until(primary, "\x00", timeout=60)  # read to the end
        return proc.wait(30), before + after
    finally:
        os.close(primary)


def test_apply_on_a_terminal_asks_and_shows_progress(run: Cli, tmp_path: Path) -> None:
    path = estate(tmp_path, version_yaml(regions="westeurope, northeurope"))
    code, output = _apply_on_a_terminal(run, path, "no")
    assert code == 1 and "apply cancelled; nothing was changed" in output
    assert run.admin.requests()["byOperation"].get("Galleries_CreateOrUpdate", 0) == 0
    code, output = _apply_on_a_terminal(run, path, "yes")
    assert code == 0, output
    assert "Plan: 3 to add" in output
    assert "create version gal/ubuntu/1.0.0" in output and "succeeded" in output
    assert "\x1b[" in output  # colour and cursor control: the live view, not log lines
    assert "Apply: 3 succeeded" in output
