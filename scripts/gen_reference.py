"""Generate docs/reference.md, the manifest field reference, from schemas/manifest.schema.json.

    python scripts/gen_reference.py            # rewrite docs/reference.md
    python scripts/gen_reference.py --check    # exit 1 (and say so) when docs/reference.md is out of date

Standalone on purpose (standard library only, nothing from `reconciler`): the schema is the single source
of the field list, its types, constraints and descriptions; this only lays them out. Every object in the
schema (the document, each `$defs` entry, and objects nested inline in them) gets a section with a table;
the remaining `$defs` (names, dates, enums) are listed under "Value types".
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schemas" / "manifest.schema.json"
REFERENCE = ROOT / "docs" / "reference.md"

Schema = dict[str, Any]


def anchor(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation other than '-' and '_' dropped."""
    return re.sub(r"[^a-z0-9 _-]", "", title.lower()).replace(" ", "-")


def cell(text: str) -> str:
    """Text made safe for a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


class Reference:
    """Walks the schema once and collects the Markdown sections in reading order."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.defs: dict[str, Schema] = schema.get("$defs", {})
        self.sections: list[str] = []
        self.done: set[str] = set()
        self.queue: list[str] = []  # definitions in the order the document first refers to them

    def is_object(self, node: Schema) -> bool:
        return node.get("type") == "object" and "properties" in node

    def link(self, name: str) -> str:
        return f"[{name}](#{anchor(name)})"

    def type_of(self, node: Schema, title: str) -> str:
        """A short type description; inline objects get their own section named `title`."""
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in self.queue:
                self.queue.append(name)
            return self.link(name)
        if "anyOf" in node:
            # An inline mapping among the alternatives gets its own section, apart from the value's own row.
            return " or ".join(
                self.type_of(alt, f"{title} mapping" if self.is_object(alt) else title) for alt in node["anyOf"]
            )
        if "enum" in node:
            return " | ".join(code(json.dumps(v)) for v in node["enum"])
        kind = node.get("type")
        if kind == "object" and "properties" in node:
            self.object_section(title, node)
            return self.link(title)
        if kind == "object":
            values = node.get("additionalProperties")
            keys = node.get("propertyNames", {})
            key_type = self.type_of(keys, f"{title} key") if "$ref" in keys else "name"
            value_type = self.type_of(values, f"{title} value") if isinstance(values, dict) else "any"
            return f"map of {key_type} → {value_type}"
        if kind == "array":
            return "list of " + self.type_of(node.get("items", {}), f"{title} item")
        if kind == "null":
            return "`null`"
        if isinstance(kind, list):
            return " or ".join(kind)
        return kind or "any"

    def constraints(self, node: Schema) -> str:
        parts: list[str] = []
        if "pattern" in node:
            parts.append(f"pattern {code(node['pattern'])}")
        low, high = node.get("minLength"), node.get("maxLength")
        if low is not None or high is not None:
            if high is not None:
                parts.append(f"{low or 0} to {high} characters")
            elif low == 1:
                parts.append("not empty")
            else:
                parts.append(f"at least {low} characters")
        low, high = node.get("minimum"), node.get("maximum")
        if low is not None or high is not None:
            if low is not None and high is not None:
                parts.append(f"{low} to {high}")
            else:
                parts.append(f"at least {low}" if high is None else f"at most {high}")
        if "minItems" in node:
            parts.append(f"at least {node['minItems']} item(s)")
        if node.get("uniqueItems"):
            parts.append("no duplicates")
        if "maxProperties" in node:
            parts.append(f"at most {node['maxProperties']} entries")
        if "minProperties" in node:
            parts.append(f"at least {node['minProperties']} entry")
        return "; ".join(parts)

    def describe(self, node: Schema) -> str:
        text = node.get("description", "")
        if "$ref" in node and not text:
            text = self.defs.get(node["$ref"].rsplit("/", 1)[-1], {}).get("description", "")
        extra = self.constraints(node)
        return f"{text} ({extra})" if extra else text

    def object_section(self, title: str, node: Schema) -> None:
        if title in self.done:
            return
        self.done.add(title)
        index = len(self.sections)
        self.sections.append("")  # placeholder: nested sections found while rendering go after this one
        required = set(node.get("required", []))
        rows = []
        for name, prop in node["properties"].items():
            kind = self.type_of(prop, f"{title}.{name}")
            mark = "yes" if name in required else ""
            rows.append(f"| {code(name)} | {cell(kind)} | {mark} | {cell(self.describe(prop))} |")
        lines = [f"### {title}", "", node.get("description", ""), ""]
        if node.get("additionalProperties") is False:
            lines += ["Other keys are errors.", ""]
        lines += ["| Field | Type | Required | Description |", "|---|---|---|---|", *rows, ""]
        self.sections[index] = "\n".join(lines)

    def value_types(self) -> str:
        rows = []
        for name, node in self.defs.items():
            if self.is_object(node):
                continue
            kind = self.type_of(node, name)
            rows.append(f'| <a id="{anchor(name)}"></a>{code(name)} | {cell(kind)} | {cell(self.describe(node))} |')
        return "\n".join(["## Value types", "", "| Name | Type | Description |", "|---|---|---|", *rows, ""])

    def render(self) -> str:
        top = self.schema
        self.object_section("document", top)
        # Objects in the order a reader meets them from the top, then any the document never refers to.
        i = 0
        while i < len(self.queue):
            node = self.defs.get(self.queue[i], {})
            if self.is_object(node):
                self.object_section(self.queue[i], node)
            i += 1
        for name, node in self.defs.items():
            if self.is_object(node):
                self.object_section(name, node)
        header = [
            "# Manifest reference",
            "",
            "<!-- Generated by scripts/gen_reference.py from schemas/manifest.schema.json; do not edit. -->",
            "",
            f"Every field of a manifest, generated from `schemas/manifest.schema.json` ({top.get('title', '')}): "
            "run `python scripts/gen_reference.py` after changing the schema (`tests/docs/test_reference.py` "
            "fails while the two differ). How the pieces fit together, merging, interpolation and what "
            "`reconcile validate` checks beyond the schema: [manifests.md](manifests.md).",
            "",
            "## Objects",
            "",
            "A manifest file holds one or more YAML documents; each is a [document](#document).",
            "",
        ]
        values = self.value_types()  # first: a value type may add a section for an inline mapping
        return "\n".join([*header, *self.sections, values])


def generate(schema_path: Path = SCHEMA) -> str:
    """The reference as Markdown text for the schema at `schema_path`."""
    return Reference(json.loads(schema_path.read_text(encoding="utf-8"))).render()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when docs/reference.md is out of date")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        current = REFERENCE.read_text(encoding="utf-8") if REFERENCE.exists() else ""
        if current != text:
            print(f"{REFERENCE.relative_to(ROOT)} is out of date: run python scripts/gen_reference.py", file=sys.stderr)
            return 1
        return 0
    REFERENCE.write_text(text, encoding="utf-8")
    print(f"wrote {REFERENCE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
