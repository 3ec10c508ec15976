"""`latest` region by region against the emulator: the example of issue 14, applied and read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, changed

pytestmark = pytest.mark.e2e

ESTATE = """\
apiVersion: gallery-reconciler/v1
scope: {{resourceGroup: platform-images, location: eastus}}
galleries:
  gal:
    definitions:
      ubuntu:
        identifier: {{publisher: acme, offer: ubuntu, sku: jammy}}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        versions:
          "1.9.0":
            source: {{managedImage: {{resourceGroup: platform-images, name: ubuntu-eastus}}}}
            targetRegions: [eastus]
          "1.10.0":
            source: {{managedImage: {{resourceGroup: platform-images, name: ubuntu-eastus}}}}
            targetRegions:
              - {{name: eastus{flag}}}
              - {{name: westus2{flag}}}
"""
EXCLUDED = ", excludeFromLatest: true"


def _write(workdir: Path, flag: str) -> str:
    path = workdir / "estate.yaml"
    path.write_text(ESTATE.format(flag=flag), encoding="utf-8")
    return str(path)


@pytest.fixture
def eastus_image(run: Cli) -> None:
    run.admin.seed(
        {
            "images": [
                {
                    "resourceGroup": "platform-images",
                    "name": "ubuntu-eastus",
                    "location": "eastus",
                    "osType": "Linux",
                    "osState": "Generalized",
                    "hyperVGeneration": "V2",
                }
            ]
        }
    )


@pytest.mark.usefixtures("eastus_image")
def test_issue_example_latest_per_region_is_previewed_applied_and_read_back(run: Cli) -> None:
    path = _write(run.workdir, "")
    created = run.plan_json(path)
    (latest,) = created["latest"]
    # 1.10.0 is in both regions and outranks 1.9.0 (numerically), so the regions agree: one line.
    assert (latest["before"], latest["after"], latest["uniform"]) == (None, "1.10.0", True)
    assert "  gal/ubuntu: (none) → 1.10.0\n" in run("plan", path).stdout
    assert latest["regions"] == [
        {"region": "eastus", "before": None, "after": "1.10.0"},
        {"region": "westus2", "before": None, "after": "1.10.0"},
    ]
    run("apply", "--auto-approve", path)

    path = _write(run.workdir, EXCLUDED)
    plan = run.plan_json(path)
    assert changed(plan) == {"gal/ubuntu/1.10.0": "update"}
    assert plan["latest"] == [
        {
            "definition": "gal/ubuntu",
            "before": "1.10.0",
            "after": None,
            "uniform": False,
            "regions": [
                {"region": "eastus", "before": "1.10.0", "after": "1.9.0"},
                {"region": "westus2", "before": "1.10.0", "after": None},
            ],
        }
    ]
    text = run("plan", path).stdout
    assert "'latest' will resolve to:\n  gal/ubuntu: differs by region\n" in text
    assert "      eastus: 1.10.0 → 1.9.0\n      westus2: 1.10.0 → (none)\n" in text
    markdown = run("plan", "--markdown", path).stdout
    assert "- `gal/ubuntu`: differs by region\n  - eastus: 1.10.0 → 1.9.0\n  - westus2: 1.10.0 → (none)\n" in markdown

    run("apply", "--auto-approve", path)
    settled = run.plan_json(path)
    assert changed(settled) == {}
    # Read back from Azure: the per-region flags hold, and `latest` now stays where the preview said.
    assert [(r["region"], r["before"], r["after"]) for r in settled["latest"][0]["regions"]] == [
        ("eastus", "1.9.0", "1.9.0"),
        ("westus2", None, None),
    ]
    quiet = run("plan", path).stdout
    assert "'latest'" not in quiet  # nothing touched, nothing moves
    full = run("plan", "--show-unchanged", path).stdout
    assert (
        "  gal/ubuntu: differs by region\n      eastus: 1.9.0 (unchanged)\n      westus2: (none) (unchanged)\n" in full
    )
    # Numeric order in the unchanged list: 1.9.0 before 1.10.0.
    assert full.index("version gal/ubuntu/1.9.0") < full.index("version gal/ubuntu/1.10.0")


@pytest.mark.usefixtures("eastus_image")
def test_pruned_definition_is_previewed(run: Cli) -> None:
    path = _write(run.workdir, "")
    run("apply", "--auto-approve", path)
    Path(path).write_text(
        "apiVersion: gallery-reconciler/v1\n"
        "scope: {resourceGroup: platform-images, location: eastus}\n"
        "galleries:\n  gal: {}\n",
        encoding="utf-8",
    )
    blocked = run("plan", path).stdout
    assert "  gal/ubuntu: 1.10.0 (unchanged)\n" in blocked
    pruned = run("plan", "--prune", path).stdout
    assert "  gal/ubuntu: 1.10.0 → (none)  (the definition is deleted)\n" in pruned
