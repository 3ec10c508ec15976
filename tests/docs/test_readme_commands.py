"""Every `reconcile` command in the README's code blocks runs as written against the emulator.

Each block runs in a fresh copy of the repository's manifests, through bash, with `reconcile` (and
`.venv/bin/reconcile`) being this checkout's. What is not run, and why, is listed here and asserted, so a new
command cannot slip past: the install and test commands (CI runs those), the benchmark (about five minutes;
tests/bench runs a smoke of it, and its line here is parsed by the benchmark's own argument parser, whose
defaults must be what the README's comment says), the az CLI lines (placeholders; docs/getting-started.md's az
lines run in test_getting_started_az.py) and the Python sample. One change is made: `reconcile emulator serve
--port 8443` and the commands pointed at it use a free port instead, since 8443 may be taken on a shared
machine.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.docs.markdown import Block, blocks
from tests.docs.shell import is_reconcile, logical_lines, simple_commands

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
NOT_RUN = re.compile(r"^(python3 -m venv|\.venv/bin/pip install|\.venv/bin/python -m pytest|pip install)")
BENCH = re.compile(r"^\.venv/bin/python -m bench ")


def _commands(block: Block) -> list[str]:
    """The shell lines of a block that call reconcile; a GitHub Actions snippet gives its `run:` lines."""
    if block.language == "yaml":
        doc = yaml.safe_load(block.text)
        if not isinstance(doc, list):
            return []  # a manifest, validated by tests/unit/test_readme.py
        lines = [step["run"] for step in doc if isinstance(step, dict) and "run" in step]
    elif block.language in ("sh", "console"):
        lines = logical_lines(block.text)
    elif block.language == "text":  # sample output, or command lines shown as text
        lines = [line for line in logical_lines(block.text) if re.match(r"(\.venv/bin/)?reconcile |az |export ", line)]
    else:
        return []
    found = []
    for line in lines:
        # Chains such as `python3 -m venv .venv && ... && .venv/bin/reconcile plan manifests/`: keep the part
        # from the first reconcile call; what comes before must be installation.
        parts = line.split(" && ")
        first = next((i for i, p in enumerate(parts) if any(is_reconcile(c) for c in simple_commands(p))), None)
        if first is None:
            assert not any(is_reconcile(c) for c in simple_commands(line)), line
            continue
        assert all(NOT_RUN.match(p) for p in parts[:first]), f"README runs something unexpected: {line}"
        found.append(" && ".join(parts[first:]))
    return found


README_BLOCKS = [b for b in blocks(README) if _commands(b)]


def test_the_readme_blocks_with_reconcile_commands_are_these() -> None:
    """A new block with commands needs a look here (and is then run by the test below)."""
    assert [(b.language, len(_commands(b))) for b in README_BLOCKS] == [("sh", 1), ("sh", 4), ("yaml", 2), ("sh", 2)]
    skipped = [b for b in blocks(README) if b.language in ("sh", "console") and not _commands(b)]
    for block in skipped:
        assert all(NOT_RUN.match(line) or BENCH.match(line) for line in logical_lines(block.text)), block.text


def test_the_benchmark_line_is_what_the_benchmark_accepts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not run (minutes); parsed as `python -m bench` parses it, and its comment checked against the defaults."""
    from bench.run import parse_args

    [line] = [ln for b in blocks(README) for ln in logical_lines(b.text) if BENCH.match(ln)]
    [argv] = [c for c in simple_commands(line) if c[:3] == [".venv/bin/python", "-m", "bench"]]
    monkeypatch.chdir(tmp_path)  # --json is relative to where it runs
    opts = parse_args(argv[3:])
    comment = line.split("#", 1)[1]
    match = re.fullmatch(r"\s*estates (\w+) and (\w+), (\d+) ms per request, medians of (\d+) runs\s*", comment)
    assert match, f"the README's benchmark comment changed: {comment!r}"
    assert [e.name for e in opts.estates] == [match.group(1), match.group(2)]
    assert (opts.latency_ms, opts.runs) == (int(match.group(3)), int(match.group(4)))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AZURE_SUBSCRIPTION_ID", "RECONCILE_TARGET")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["GITHUB_STEP_SUMMARY"] = str(workdir / "step-summary.md")
    return env


def _scratch(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "manifests", tmp_path / "manifests")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "reconcile").symlink_to(Path(sys.executable).parent / "reconcile")
    return tmp_path


def _bash(command: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", command],
        cwd=workdir,
        env=_env(workdir),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in done.stdout + done.stderr
    return done


def _run_block(block: Block, workdir: Path) -> list[str]:
    outputs = []
    commands = _commands(block)
    server = None
    port = str(_free_port())
    try:
        for command in commands:
            if " emulator serve" in command:
                command = command.replace("8443", port)
                server = subprocess.Popen(
                    ["bash", "-c", f"exec {command}"],
                    cwd=workdir,
                    env=_env(workdir),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    start_new_session=True,
                )
                assert server.stdout is not None
                first = server.stdout.readline()
                assert f"listening on https://127.0.0.1:{port}" in first, first
                outputs.append(first)
                continue
            if server is not None:
                command = command.replace("8443", port)
            done = _bash(command, workdir)
            assert done.returncode == 0, f"`{command}` exited {done.returncode}:\n{done.stdout}{done.stderr}"
            outputs.append(done.stdout + done.stderr)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGINT)  # Ctrl-C, as the README says
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
    return outputs


def test_quickstart_runs_and_then_plans_no_changes(tmp_path: Path) -> None:
    workdir = _scratch(tmp_path)
    quickstart = README_BLOCKS[0]
    outputs = _run_block(quickstart, workdir)
    assert "Target: local emulator" in outputs[0] and "Apply:" in outputs[0]
    claim = re.search(r"After the apply, `([^`]+)` reports `([^`]+)`", README)
    assert claim, "the README's claim about the plan after the quickstart moved"
    done = _bash(claim.group(1), workdir)
    assert done.returncode == 0 and claim.group(2) in done.stdout, done.stdout + done.stderr


def test_the_emulator_server_block_runs(tmp_path: Path) -> None:
    workdir = _scratch(tmp_path)
    outputs = _run_block(README_BLOCKS[3], workdir)
    assert "Target: emulator at https://127.0.0.1:" in outputs[1]
    assert re.search(r"Plan: \d+ to add", outputs[1])


def test_the_cd_snippet_plans_to_the_step_summary_and_applies_the_saved_plan(tmp_path: Path) -> None:
    workdir = _scratch(tmp_path)
    outputs = _run_block(README_BLOCKS[2], workdir)  # each command must exit 0: the saved plan is not stale
    summary = (workdir / "step-summary.md").read_text(encoding="utf-8")
    assert summary.startswith("### Gallery Reconciler plan:")
    assert re.search(r"Apply: [1-9]\d* succeeded", outputs[1]), outputs[1]
    done = _bash(".venv/bin/reconcile plan manifests/", workdir)
    assert done.returncode == 0 and "No changes." in done.stdout, done.stdout + done.stderr


def _hand_made_gallery(state_dir: Path) -> None:
    """A gallery, definition and version in the embedded emulator's myGalleryRG, made without reconcile."""
    from reconciler.emulator import start_embedded
    from reconciler.emulator.testing import make_compute_client

    server = start_embedded(state_dir=state_dir, replication_seconds=0)
    try:
        client = make_compute_client(server)
        client.galleries.begin_create_or_update("myGalleryRG", "handmade", {"location": "eastus"}).result()
        definition = {
            "location": "eastus",
            "properties": {
                "osType": "Linux",
                "osState": "Specialized",
                "hyperVGeneration": "V2",
                "identifier": {"publisher": "me", "offer": "by-hand", "sku": "1"},
            },
        }
        client.gallery_images.begin_create_or_update("myGalleryRG", "handmade", "base", definition).result()
        group = f"/subscriptions/{server.default_subscription}/resourceGroups/myGalleryRG"
        vm = f"{group}/providers/Microsoft.Compute/virtualMachines/myVM"
        version = {
            "location": "eastus",
            "tags": {"build": "7"},
            "properties": {
                "publishingProfile": {"targetRegions": [{"name": "eastus"}]},
                "storageProfile": {"source": {"virtualMachineId": vm}},
            },
        }
        client.gallery_image_versions.begin_create_or_update(
            "myGalleryRG", "handmade", "base", "1.0.0", version
        ).result()
    finally:
        server.stop()


def test_adopting_an_existing_gallery_runs(tmp_path: Path) -> None:
    workdir = _scratch(tmp_path)
    _hand_made_gallery(workdir / ".reconcile")
    exported, adopting, applied, after = _run_block(README_BLOCKS[1], workdir)
    assert "3 resources carry no gallery-reconciler tag; settings.adopt: true is written" in exported
    assert adopting.count('+ tags.gallery-reconciler: "managed"') == 3 and "Plan: 0 to add, 3 to change" in adopting
    assert "Apply: 3 succeeded" in applied
    assert "No changes." in after
