"""Offline, an unknown region is a warning: validate prints it and still exits 0."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli

MANIFEST = """apiVersion: gallery-reconciler/v1
scope: {{resourceGroup: rg, location: centralus}}
galleries:
  corp:
    definitions:
      ubuntu:
        identifier: {{publisher: p, offer: o, sku: s}}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        versions:
          "1.0.0":
            source: {{managedImage: {{name: base}}}}
            targetRegions: [centralus, {regions}]
"""


def test_the_az_cli_example_region_validates_without_a_word(write: Callable[[str, str], Path]) -> None:
    path = write("m.yaml", MANIFEST.format(regions="centraluseuap=1=premium_lrs, eastus2euap"))
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Valid: 1 file(s), 1 galleries, 1 definitions, 1 versions."


def test_an_unknown_region_is_printed_as_a_warning_and_validate_exits_0(write: Callable[[str, str], Path]) -> None:
    path = write("m.yaml", MANIFEST.format(regions="brazilnorth2"))
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        f"{path}:14:40: warning: galleries.corp.definitions.ubuntu.versions.1.0.0.targetRegions.1: "
        "unknown Azure region 'brazilnorth2' (not in reconcile's table of regions)"
    ) in result.output
    assert "Valid: 1 file(s), 1 galleries, 1 definitions, 1 versions (0 errors, 1 warning)." in result.output


def test_json_output_marks_the_warning_and_stays_valid(write: Callable[[str, str], Path]) -> None:
    path = write("m.yaml", MANIFEST.format(regions="westeurop"))
    result = CliRunner().invoke(cli, ["validate", "--json", str(path)])
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["valid"] is True
    (warning,) = report["diagnostics"]
    assert warning["severity"] == "warning" and warning["hint"] == "did you mean 'westeurope' (West Europe)?"
    assert (warning["line"], warning["column"]) == (14, 40)


def test_warnings_do_not_hide_errors(write: Callable[[str, str], Path]) -> None:
    path = write("m.yaml", MANIFEST.format(regions="westeurop, centralus"))
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert "warning: " in result.output and "Duplicate regions are not allowed" in result.output
    assert "Invalid: 1 error, 1 warning." in result.output
