"""Loading trees of manifests: file discovery, multi-file merging, conflicts with both locations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconciler.manifest import build_desired_state, load_manifests

from .conftest import NOW

GALLERY = """apiVersion: gallery-reconciler/v1
scope: {resourceGroup: rg, location: westeurope, tags: {env: prod}}
galleries:
  corp:
    description: Corporate images
"""
TEAM = """apiVersion: gallery-reconciler/v1
scope: {tags: {team: linux}}
galleries:
  corp:
    definitions:
      ubuntu:
        identifier: {publisher: p, offer: o, sku: s}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        versions:
          "1.0.0":
            source: {managedImage: {name: base}}
            targetRegions: [westeurope]
"""
MORE_VERSIONS = """apiVersion: gallery-reconciler/v1
galleries:
  corp:
    definitions:
      ubuntu:
        versions:
          "1.1.0":
            source: {managedImage: {name: base}}
            targetRegions: [westeurope]
"""


def test_a_tree_of_files_merges_into_one_estate(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    write("gallery.yaml", GALLERY)
    write("teams/linux/ubuntu.yml", TEAM)
    write("teams/linux/more.yaml", MORE_VERSIONS)
    write("teams/.hidden/ignored.yaml", "not: [valid")
    write("notes.txt", "ignored")
    bundle, diags = load_manifests([tmp_path], env={}, now=NOW)
    assert not diags
    assert len(bundle.files) == 3
    state, _ = build_desired_state(bundle)
    assert [v.address for v in state.versions] == ["corp/ubuntu/1.0.0", "corp/ubuntu/1.1.0"]
    (definition,) = state.definitions
    assert definition.resource_group == "rg" and definition.location == "westeurope"
    assert dict(definition.tags) == {"env": "prod", "team": "linux", "gallery-reconciler": "managed"}
    assert definition.origin is not None and definition.origin.file.endswith("ubuntu.yml")
    later = state.versions[1]
    assert dict(later.tags) == {"env": "prod", "team": "linux", "gallery-reconciler": "managed"}


def test_argument_order_does_not_matter(write: Callable[[str, str], Path]) -> None:
    paths = [write("a.yaml", GALLERY), write("b.yaml", TEAM), write("c.yaml", MORE_VERSIONS)]
    one, _ = build_desired_state(load_manifests(paths, env={}, now=NOW)[0])
    two, _ = build_desired_state(load_manifests(paths[::-1], env={}, now=NOW)[0])
    assert one == two


def test_the_same_file_twice_is_loaded_once(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    path = write("a.yaml", GALLERY)
    bundle, diags = load_manifests([path, tmp_path, str(path)], env={}, now=NOW)
    assert not diags and len(bundle.files) == 1


def test_a_property_set_in_two_files_names_both(write: Callable[[str, str], Path]) -> None:
    a = write("a.yaml", GALLERY)
    b = write("b.yaml", GALLERY.replace("scope: {resourceGroup: rg, location: westeurope, tags: {env: prod}}\n", ""))
    _, diags = load_manifests([a, b], env={}, now=NOW)
    (d,) = diags
    assert str(d) == (
        f"{b}:4:5: galleries.corp.description: 'description' of gallery 'corp' is also set at {a}:5:5 "
        "(set each property in one file only)"
    )


def test_a_version_defined_in_two_files_names_both(write: Callable[[str, str], Path]) -> None:
    a = write("a.yaml", GALLERY)
    b = write("b.yaml", TEAM)
    c = write("c.yaml", MORE_VERSIONS.replace("1.1.0", "1.0.0"))
    _, diags = load_manifests([a, b, c], env={}, now=NOW)
    (d,) = diags
    assert (d.file, d.line, d.column) == (str(c), 7, 11)
    assert d.message == f"version 'corp/ubuntu/1.0.0' is already defined at {b}:12:11"


def test_a_definition_only_extended_is_incomplete(write: Callable[[str, str], Path]) -> None:
    _, diags = load_manifests([write("a.yaml", GALLERY), write("b.yaml", MORE_VERSIONS)], env={}, now=NOW)
    assert sorted(d.message for d in diags) == [
        "missing required property 'identifier' (not set in any file)",
        "missing required property 'osState' (not set in any file)",
        "missing required property 'osType' (not set in any file)",
    ]


def test_every_problem_is_reported_in_one_run(write: Callable[[str, str], Path]) -> None:
    bad = TEAM.replace("osType: Linux", "osType: linux").replace("[westeurope]", "[westeurope, westeurope]")
    a = write("a.yaml", GALLERY.replace("westeurope", "atlantis"))
    b = write("b.yaml", bad)
    c = write("c.yaml", MORE_VERSIONS.replace("1.1.0", "1.1"))
    _, diags = load_manifests([a, b, c], env={}, now=NOW)
    assert {d.file for d in diags} == {str(a), str(b), str(c)}
    assert len(diags) >= 3
