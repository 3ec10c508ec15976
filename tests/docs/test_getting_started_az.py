"""docs/getting-started.md's az CLI lines, run as written with the real Azure CLI against the emulator; after
each step, what az built is what the step's manifests declare (a plan changes nothing but the ownership tag).

Marked `azcli` and deselected by default, like tests/emulator/test_az_cli.py, whose installation it uses
(`tests/emulator/install_az.sh`, or RECONCILE_AZ_CLI); `.ci/run` runs it. A missing az is a failure.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from reconciler.emulator.testing import emulator_server
from tests.docs.getting_started import (
    BEFORE,
    SEED,
    STEPS,
    assert_manifests_match,
    copy_sources,
    prepare_manifests,
)
from tests.emulator.test_az_cli import _az_path

pytestmark = pytest.mark.azcli


def test_the_az_lines_build_what_the_manifests_declare(tmp_path: Path) -> None:
    az = _az_path()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "az").symlink_to(az)
    copy_sources(tmp_path)
    with emulator_server(seed=SEED, retry_after=1, replication_seconds=0.05) as srv:
        env = dict(
            os.environ,
            PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            AZURE_CONFIG_DIR=str(tmp_path / "azconfig"),
            REQUESTS_CA_BUNDLE=str(srv.ca_path),
            IDENTITY_ENDPOINT=f"{srv.url}/msi/token",
            IDENTITY_HEADER="emulator",
            AZURE_CORE_COLLECT_TELEMETRY="false",
            AZURE_CORE_ONLY_SHOW_ERRORS="true",
            AZURE_CORE_OUTPUT="none",
        )

        def bash(script: str, what: str) -> None:
            done = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-c", script],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert done.returncode == 0, f"{what}: az failed:\n{done.stderr}"

        # Point az at the emulator, as docs/emulator.md says; then the page's own lines.
        bash(
            f"az cloud register -n AzureEmulator --endpoint-resource-manager {srv.url}/ && "
            "az cloud set -n AzureEmulator && az login --identity",
            "signing in to the emulator",
        )
        [prelude] = [b.text for b in BEFORE.of("azurecli")]
        assert "SUBSCRIPTION=" in prelude
        for step in STEPS[:-1]:
            for block in step.of("azurecli"):
                bash(prelude + block.text, step.title)  # the prelude sets $SUBSCRIPTION, as in one shell
            manifests = prepare_manifests(tmp_path, step)
            assert_manifests_match(srv.url, str(srv.ca_path), manifests, step.title)
