"""${VAR} interpolation: substitution, defaults, escapes, and clear errors for unset variables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconciler.manifest import build_desired_state, load_manifests
from reconciler.manifest.interpolate import interpolate_string

from .conftest import NOW

ENV = {"SUB": "11111111-1111-1111-1111-111111111111", "BUILD": "42", "EMPTY": ""}


def test_whole_and_embedded_substitution() -> None:
    assert interpolate_string("${BUILD}", ENV) == ("42", [])
    assert (
        interpolate_string("/subscriptions/${SUB}/x", ENV)[0] == "/subscriptions/11111111-1111-1111-1111-111111111111/x"
    )
    assert interpolate_string("${BUILD}-${BUILD}", ENV)[0] == "42-42"


def test_defaults_apply_only_when_unset() -> None:
    assert interpolate_string("${MISSING:-local}", ENV) == ("local", [])
    assert interpolate_string("${BUILD:-local}", ENV) == ("42", [])
    assert interpolate_string("${EMPTY:-x}", ENV) == ("", []), "set-but-empty counts as set"
    assert interpolate_string("${MISSING:-}", ENV) == ("", [])


def test_double_dollar_escapes() -> None:
    assert interpolate_string("$${BUILD} costs $5", ENV) == ("${BUILD} costs $5", [])


def test_unset_and_malformed_references_are_problems() -> None:
    _, problems = interpolate_string("${NOPE}", ENV)
    assert problems[0][0] == "environment variable 'NOPE' is not set"
    assert "${NOPE:-value}" in (problems[0][1] or "")
    assert interpolate_string("${9X}", ENV)[1][0][0] == "invalid variable name '9X' in '${9X}'"
    assert interpolate_string("${OPEN", ENV)[1][0][0] == "unterminated '${' in value"


MANIFEST = """apiVersion: gallery-reconciler/v1
scope:
  subscription: ${SUB}
  resourceGroup: rg
  location: westeurope
  tags: {build: "b-${BUILD}", "${KEY}": literal}
galleries:
  g:
    definitions:
      d:
        identifier: {publisher: p, offer: o, sku: s}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        versions:
          "1.0.0":
            source: {managedImage: {name: "${IMAGE}"}}
            targetRegions: [westeurope]
"""


def test_interpolated_values_reach_the_model(write: Callable[[str, str], Path]) -> None:
    path = write("m.yaml", MANIFEST)
    bundle, diags = load_manifests([path], env={**ENV, "IMAGE": "img"}, now=NOW)
    assert not diags
    state, _ = build_desired_state(bundle)
    (version,) = state.versions
    assert version.subscription_id == ENV["SUB"]
    assert version.source is not None and version.source.id is not None
    assert version.source.id.endswith("/Microsoft.Compute/images/img")
    assert ("build", "b-42") in version.tags
    assert ("${KEY}", "literal") in version.tags, "mapping keys are names and never interpolated"


def test_unset_variable_names_the_variable_file_and_line(write: Callable[[str, str], Path]) -> None:
    path = write("m.yaml", MANIFEST)
    _, diags = load_manifests([path], env=ENV, now=NOW)
    (d,) = diags
    assert str(d).startswith(f"{path}:17:43: galleries.g.definitions.d.versions.1.0.0.source.managedImage.name: ")
    assert "environment variable 'IMAGE' is not set" in d.message


def test_the_process_environment_is_the_default(write: Callable[[str, str], Path], monkeypatch) -> None:
    monkeypatch.setenv("IMAGE", "from-env")
    monkeypatch.setenv("SUB", ENV["SUB"])
    monkeypatch.setenv("BUILD", "1")
    _, diags = load_manifests([write("m.yaml", MANIFEST)], now=NOW)
    assert not diags
