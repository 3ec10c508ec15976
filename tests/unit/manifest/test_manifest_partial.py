"""Every problem in one run: Azure's rules still check the parts of a file that passed the schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.manifest import build_desired_state, load_manifests

from .conftest import NOW

HEAD = """apiVersion: gallery-reconciler/v1
scope: {resourceGroup: rg, location: westeurope}
galleries:
  corp:
    definitions:
      ubuntu:
        identifier: {publisher: p, offer: o, sku: s}
        osType: Linux
        osState: Generalized
        versions:
"""
GOOD = """          "{name}":
            source: {{managedImage: {{name: base}}}}
            targetRegions: [westeurope]
"""
# Rule errors (not schema errors), each in a version of its own, and the fragment each must report.
RULES = {
    "int32": ('          "1.0.2147483648":\n', "must be at most 2147483647"),
    "eol": ("            endOfLifeDate: 2020-01-01\n", "EndOfLifeDate must be set to a future date"),
    "duplicate": ("            targetRegions: [westeurope, West Europe]\n", "Duplicate regions are not allowed"),
    "shorthand": ("            targetRegions: [westeurope=101]\n", "replica count 101 in 'westeurope=101'"),
}
# Schema errors in a sibling version.
SCHEMA = {
    "unknown key": "            colour: blue\n",
    "float": "            replicaCount: 2.0\n",
    "octal": "            replicaCount: 010\n",
    "enum": "            replicationMode: full\n",
    "bad source": "            source: {managedImage: {name: base}, snapshot: {name: s}}\n",
}


def _version(name: str, extra: str = "") -> str:
    """A valid version `name`, with `extra` as its name line, in place of its regions or source, or added."""
    text = GOOD.format(name=name)
    if extra.startswith('          "'):  # a name of its own
        return extra + text.split("\n", 1)[1]
    if "targetRegions" in extra or "source" in extra:
        key = "targetRegions" if "targetRegions" in extra else "source"
        lines = [line for line in text.splitlines(keepends=True) if key not in line]
        return "".join(lines) + extra
    return text + extra


@pytest.mark.parametrize("schema", list(SCHEMA))
@pytest.mark.parametrize("rule", list(RULES))
def test_rule_errors_are_reported_next_to_schema_errors_elsewhere(
    write: Callable[[str, str], Path], rule: str, schema: str
) -> None:
    snippet, fragment = RULES[rule]
    text = HEAD + _version("1.0.0", snippet) + _version("2.0.0", SCHEMA[schema])
    bundle, diags = load_manifests([write("m.yaml", text)], env={}, now=NOW)
    errors = [str(d) for d in diags.errors]
    assert any(fragment in e for e in errors), errors
    assert any(".versions.2.0.0." in e for e in errors), errors
    assert bundle.has_errors
    assert not build_desired_state(bundle)[0].versions, "a bundle with errors is never built"


def test_a_broken_definition_skips_its_own_rules_but_not_its_versions(write: Callable[[str, str], Path]) -> None:
    text = HEAD.replace("osType: Linux", "osType: linux") + _version("1.0.0", RULES["duplicate"][0])
    more = """apiVersion: gallery-reconciler/v1
galleries:
  corp:
    definitions:
      ubuntu:
        versions:
""" + _version("1.1.0", RULES["eol"][0])
    _, diags = load_manifests([write("a.yaml", text), write("b.yaml", more)], env={}, now=NOW)
    messages = sorted(d.message.split(":")[0] for d in diags.errors)
    assert messages == [
        "'linux' is not one of",
        "Duplicate regions are not allowed in target publishing regions",
        "EndOfLifeDate must be set to a future date (2020-01-01 has passed)",
    ], [str(d) for d in diags.errors]
    assert not any("missing required property" in d.message for d in diags), "osType was cut, not forgotten"


def test_a_badly_named_version_is_cut_out_without_follow_up_errors(write: Callable[[str, str], Path]) -> None:
    source = "            source: {galleryImageVersion: {address: corp/ubuntu/1.0}}\n"
    text = HEAD + _version("1.0") + _version("2.0.0", source)
    _, diags = load_manifests([write("m.yaml", text)], env={}, now=NOW)
    (only,) = diags.errors
    assert "The image version name is invalid" in only.message and only.line == 11


def test_a_document_with_a_scope_error_leaves_no_follow_up_errors_in_other_files(
    write: Callable[[str, str], Path],
) -> None:
    broken = HEAD.replace("resourceGroup: rg,", "resourceGroup: 'rg/../x',") + _version("1.0.0")
    versions_only = """apiVersion: gallery-reconciler/v1
galleries:
  corp:
    definitions:
      ubuntu:
        versions:
""" + _version("1.1.0")
    _, diags = load_manifests([write("a.yaml", broken), write("b.yaml", versions_only)], env={}, now=NOW)
    (only,) = diags.errors
    assert only.path == "scope.resourceGroup" and only.file.endswith("a.yaml")


def test_what_passed_is_still_merged_across_files(write: Callable[[str, str], Path]) -> None:
    one = HEAD + _version("1.0.0") + _version("2.0.0", SCHEMA["unknown key"])
    other = """apiVersion: gallery-reconciler/v1
galleries:
  corp:
    definitions:
      ubuntu:
        osType: Linux
"""
    _, diags = load_manifests([write("a.yaml", one), write("b.yaml", other)], env={}, now=NOW)
    assert sorted(d.message.split(" ")[0] for d in diags.errors) == ["'osType'", "unknown"]
