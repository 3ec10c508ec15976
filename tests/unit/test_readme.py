"""The README stays true to the code: its manifest sample validates and CI runs its test command."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.manifest import load_manifests

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_manifest_sample_validates(tmp_path: Path) -> None:
    samples = [b for b in re.findall(r"```yaml\n(.*?)```", README, re.S) if "apiVersion:" in b]
    assert samples
    for i, sample in enumerate(samples):
        path = tmp_path / f"sample{i}.yaml"
        path.write_text(sample, encoding="utf-8")
        _, diags = load_manifests([path])
        assert not diags.has_errors, [str(d) for d in diags]


def test_ci_runs_the_readme_commands() -> None:
    commands = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    setup, tests = commands[0], commands[1]
    assert "reconcile plan manifests/" in setup and "reconcile apply --auto-approve manifests/" in setup
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install --quiet -e '.[test]'" in ci and "pip install -e '.[test]'" in setup
    assert tests.strip() in ci
