"""The manifest JSON Schema, the examples that must satisfy it, and the validate/schema commands."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.manifest.interpolate import interpolate_document
from reconciler.manifest.schema import manifest_schema, validate_document
from reconciler.manifest.yaml_source import load_yaml_file

from .conftest import REPO

CANONICAL = REPO / "schemas" / "manifest.schema.json"
PACKAGED = REPO / "reconciler" / "schemas" / "manifest.schema.json"
EXAMPLES = sorted((REPO / "manifests").rglob("*.yaml"))


def _schemas(node: Any, where: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _schemas(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _schemas(value, f"{where}[{i}]")


def test_the_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(CANONICAL.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"]


def test_the_packaged_copy_is_byte_identical() -> None:
    assert PACKAGED.read_bytes() == CANONICAL.read_bytes(), "copy schemas/manifest.schema.json to reconciler/schemas/"
    assert manifest_schema() == json.loads(CANONICAL.read_text())


def test_every_property_and_definition_has_a_description() -> None:
    schema = json.loads(CANONICAL.read_text())
    missing = [
        f"{where}.properties.{name}"
        for where, node in _schemas(schema)
        if isinstance(node.get("properties"), dict) and not where.endswith(".properties")
        for name, sub in node["properties"].items()
        if not sub.get("description")
    ]
    missing += [f"$defs.{name}" for name, sub in schema["$defs"].items() if not sub.get("description")]
    assert missing == []


def test_every_object_with_properties_forbids_unknown_keys() -> None:
    schema = json.loads(CANONICAL.read_text())
    lax = [
        where
        for where, node in _schemas(schema)
        if isinstance(node.get("properties"), dict)
        and not where.endswith(".properties")
        and node.get("additionalProperties") is not False
    ]
    assert lax == []


@pytest.mark.parametrize("path", EXAMPLES, ids=[str(p.relative_to(REPO)) for p in EXAMPLES])
def test_every_example_validates_and_points_editors_at_the_schema(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, "examples start with a yaml-language-server $schema comment"
    assert (path.parent / match.group(1)).resolve() == CANONICAL.resolve()
    # a single file of a multi-file estate may refer to others; on its own, YAML and schema must be clean
    documents, diags = load_yaml_file(path, str(path))
    assert not diags and documents
    for document in documents:
        assert not validate_document(interpolate_document(document, {})[0])


def test_the_whole_examples_tree_is_valid_with_no_env() -> None:
    result = CliRunner().invoke(cli, ["validate", str(REPO / "manifests")], env={"BUILD_ID": None})
    assert result.exit_code == 0, result.output
    assert "Valid: 7 file(s), 3 galleries, 7 definitions, 9 versions." in result.output


def test_schema_command_prints_the_schema() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert result.output == CANONICAL.read_text()


def test_validate_reports_every_problem_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: gallery-reconciler/v1\nscope: {resourceGroup: rg, locaton: westeurope}\ngalleries:\n  a-b: {}\n"
    )
    result = CliRunner().invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:2:28: scope.locaton: unknown property 'locaton' (did you mean 'location'?)" in result.output
    assert f"{bad}:4:3: galleries.a-b: 'a-b': Gallery name is invalid." in result.output
    assert "Invalid: 2 errors." in result.output


def test_validate_json_output(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", "--json", str(tmp_path)])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["valid"] is False
    assert report["diagnostics"] == [
        {
            "severity": "error",
            "message": f"no manifests found in directory '{tmp_path}'",
            "file": str(tmp_path),
            "line": None,
            "column": None,
            "path": None,
            "hint": "manifest files end in .yaml or .yml",
        }
    ]


def test_validate_json_success() -> None:
    result = CliRunner().invoke(cli, ["validate", "--json", str(REPO / "manifests" / "quickstart")])
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["valid"] is True and report["versions"] == 1 and report["diagnostics"] == []


def test_the_command_module_imports_no_yaml_or_jsonschema() -> None:
    code = (
        "import sys, reconciler.cli, reconciler.commands.validate;"
        "print(sorted(m for m in ('yaml', 'jsonschema', 'azure') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_the_reference_example_in_the_docs_validates(tmp_path: Path) -> None:
    text = (REPO / "docs" / "manifests.md").read_text()
    example = re.search(r"## A complete small example\n\n```yaml\n(.*?)```", text, re.S)
    assert example
    (tmp_path / "doc.yaml").write_text(example.group(1))
    result = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output


def test_null_for_a_value_that_cannot_be_cleared_is_one_error_that_says_so(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "apiVersion: gallery-reconciler/v1\n"
        "scope: {resourceGroup: rg, location: eastus}\n"
        "galleries:\n"
        "  g:\n"
        "    definitions:\n"
        "      d:\n"
        "        identifier: {publisher: p, offer: o, sku: s}\n"
        "        osType: Linux\n"
        "        osState: Generalized\n"
        "        hyperVGeneration: null\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if "hyperVGeneration" in line]
    # Quoting would make it the string "null", and Python's None is no spelling a manifest author wrote.
    assert errors == [
        f"{path}:10:27: galleries.g.definitions.d.hyperVGeneration: expected a string, got null "
        "(null is not accepted here: give a value, or leave the line out)"
    ]
