"""Issue 9 §3: Ctrl-C during apply names the operations Azure had accepted, how to follow them, and journals them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.emulator import DEMO_SEED
from reconciler.emulator.testing import admin, emulator_server
from tests.e2e.test_apply import estate, version_yaml

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def test_ctrl_c_during_apply_names_and_journals_what_azure_accepted(tmp_path: Path) -> None:
    with emulator_server(seed=DEMO_SEED, replication_seconds=60) as emu:
        path = estate(tmp_path, version_yaml())
        argv = [sys.executable, "-m", "reconciler", "apply", "--endpoint", emu.url, "--ca-bundle", str(emu.ca_path)]
        argv += ["--auto-approve", "--journal", "journal.jsonl", path]
        env = {k: v for k, v in os.environ.items() if k not in ("AZURE_SUBSCRIPTION_ID", "RECONCILE_TARGET")}
        proc = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Interrupt once apply follows the version's replication: its create has been accepted (apply reads
        # the version's replication status only after Azure answered the PUT).
        deadline = time.monotonic() + 60
        while admin(emu).requests()["byOperation"].get("GalleryImageVersions_Get", 0) == 0:
            assert proc.poll() is None and time.monotonic() < deadline, "apply ended before it could be interrupted"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Interrupted.\nAzure had already accepted these operations and carries on with them:\n" in stderr
    assert "  create version gal/ubuntu/1.0.0 (request id " in stderr
    assert "Follow them with `reconcile status` on the same manifests" in stderr
    assert "They are recorded in the journal journal.jsonl." in stderr
    assert "Traceback" not in stderr
    entries = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    version = [e for e in entries if e["resource"] == "gal/ubuntu/1.0.0"]
    assert len(version) == 1 and version[0]["outcome"] == "accepted"
    assert version[0]["requestIds"], "the journal keeps Azure's request id to follow the operation"
