"""docs/reference.md is generated from the manifest JSON Schema and must not drift from it."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_reference.py"


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_reference", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _properties(node: Any, path: str = "") -> set[tuple[str, str]]:
    """(owner path, property name) for every property in the schema."""
    found: set[tuple[str, str]] = set()
    if isinstance(node, dict):
        for name, child in (node.get("properties") or {}).items():
            found.add((path, name))
            found |= _properties(child, f"{path}.{name}")
        for key, child in node.items():
            if key != "properties":
                found |= _properties(child, path)
    elif isinstance(node, list):
        for child in node:
            found |= _properties(child, path)
    return found


def test_reference_is_up_to_date() -> None:
    generated = _generator().generate()
    current = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert current == generated, "docs/reference.md is out of date: run python scripts/gen_reference.py"


def test_every_schema_field_and_definition_is_in_the_reference() -> None:
    schema = json.loads((ROOT / "schemas" / "manifest.schema.json").read_text(encoding="utf-8"))
    text = _generator().generate()
    names = {name for _, name in _properties(schema)}
    assert len(names) > 50
    for name in names:
        assert f"| `{name}` |" in text, f"field {name} is missing from the reference"
    for definition in schema["$defs"]:
        assert f"### {definition}\n" in text or f"`{definition}` |" in text, definition


def test_check_mode_fails_on_a_changed_schema(tmp_path: Path) -> None:
    schema = json.loads((ROOT / "schemas" / "manifest.schema.json").read_text(encoding="utf-8"))
    schema["$defs"]["version"]["properties"]["replicaCount"]["description"] = "Changed for the test."
    changed = tmp_path / "schema.json"
    changed.write_text(json.dumps(schema), encoding="utf-8")
    generator = _generator()
    assert "Changed for the test." in generator.generate(changed)
    assert generator.generate(changed) != (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
