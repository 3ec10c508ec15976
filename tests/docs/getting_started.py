"""docs/getting-started.md as data: its steps, the files each step copies, its REST requests, and the check
that what another tool built is what the manifests declare."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reconciler.cli import cli
from tests.docs.markdown import Section, sections
from tests.docs.shell import logical_lines

ROOT = Path(__file__).resolve().parents[2]
DOC_PATH = ROOT / "docs" / "getting-started.md"
DOC = DOC_PATH.read_text(encoding="utf-8")
SECTIONS = sections(DOC)
BEFORE = next(s for s in SECTIONS if s.title == "Before you begin")
STEPS = [s for s in SECTIONS if s.title.startswith("Step ")]
SEED = ROOT / "docs" / "getting-started" / "seed.yaml"
CLAIM = "# → "
OWNERSHIP_TAG = "tags.gallery-reconciler"


@dataclass(frozen=True)
class Request:
    method: str
    url: str  # with {subscriptionId} as written
    body: Any


def split_claim(line: str) -> tuple[str, str | None]:
    """`command   # → text` -> (command, text the output must contain)."""
    if CLAIM in line:
        command, claim = line.split(CLAIM, 1)
        return command.rstrip(), claim.strip()
    return line, None


def requests_of(section: Section) -> list[Request]:
    found = []
    for block in section.of("http"):
        head, _, body = block.text.partition("\n\n")
        method, url = head.splitlines()[0].split(" ", 1)
        found.append(Request(method, url.strip(), json.loads(body) if body.strip() else None))
    return found


def copy_sources(workdir: Path) -> None:
    """What the reader has: a clone of the repository (for the docs' files)."""
    shutil.copytree(ROOT / "docs", workdir / "docs")


def prepare_manifests(workdir: Path, upto: Section) -> Path:
    """Run the file commands (mkdir, cp) of the page up to and including `upto`; returns my-gallery/."""
    for section in [BEFORE, *STEPS[: STEPS.index(upto) + 1]]:
        for block in section.of("sh"):
            for line in logical_lines(block.text):
                argv = shlex.split(split_claim(line)[0], comments=True)
                if argv[0] in ("mkdir", "cp"):
                    subprocess.run(argv, cwd=workdir, check=True)
                elif argv[0] != "reconcile":
                    raise AssertionError(f"unexpected command in {section.title}: {line}")
    return workdir / "my-gallery"


def assert_manifests_match(url: str, ca: str, manifests: Path, step: str) -> None:
    """The live estate is what the manifests declare: a plan adds or changes nothing but the ownership tag."""
    result = CliRunner().invoke(
        cli, ["plan", "--json", "--endpoint", url, "--ca-bundle", ca, str(manifests)], catch_exceptions=False
    )
    assert result.exit_code == 0, f"{step}: plan failed:\n{result.output}"
    plan = json.loads(result.stdout)
    for resource in plan["resources"]:
        where = f"{step}: {resource['kind']} {resource['address']}"
        assert resource["action"] in ("no-op", "update"), f"{where}: {resource['action']} ({resource['reason']})"
        paths = {change["path"] for change in resource["changes"]}
        assert paths <= {OWNERSHIP_TAG}, f"{where} differs from the manifests: {resource['changes']}"


def subscription_placeholder(text: str, subscription: str) -> str:
    return re.sub(r"\{subscriptionId\}", subscription, text)
