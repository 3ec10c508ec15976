"""Build data/spec.json: the request-body definitions the validator needs, pruned from the 2026-03-03 GalleryRP spec."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOTS = (
    "Gallery",
    "GalleryUpdate",
    "GalleryImage",
    "GalleryImageUpdate",
    "GalleryImageVersion",
    "GalleryImageVersionUpdate",
    "SharingUpdate",
)
KEEP = (
    "type",
    "properties",
    "items",
    "required",
    "enum",
    "readOnly",
    "allOf",
    "$ref",
    "additionalProperties",
    "format",
)


def _inline_external(defs: dict[str, Any], types: dict[str, Any]) -> None:
    # The only external ref is common-types TrackedResource (-> Resource); copy both in under local names.
    defs["TrackedResource"] = types["TrackedResource"]
    resource = json.loads(json.dumps(types["Resource"]))
    # systemData is read-only; the validator strips it, so its shape is not needed.
    resource["properties"]["systemData"] = {"type": "object", "readOnly": True}
    defs["Resource"] = resource


def _slim(node: Any) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref":
                out[key] = "#/definitions/" + value.rsplit("/", 1)[-1]
            elif key == "x-ms-enum":
                out["modelAsString"] = bool(value.get("modelAsString", False))
            elif key == "properties" and isinstance(value, dict):
                out[key] = {name: _slim(sub) for name, sub in value.items()}
            elif key in KEEP:
                out[key] = _slim(value)
        return out
    if isinstance(node, list):
        return [_slim(item) for item in node]
    return node


def _reachable(defs: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    stack = list(ROOTS)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        text = json.dumps(defs[name])
        for part in text.split('"$ref": "#/definitions/')[1:]:
            stack.append(part.split('"', 1)[0])
    return seen


def main(spec_dir: str) -> None:
    root = Path(spec_dir)
    spec = json.loads((root / "2026-03-03" / "GalleryRP.json").read_text())
    types = json.loads((root / "common-types" / "resource-management-v3" / "types.json").read_text())["definitions"]
    defs = dict(spec["definitions"])
    _inline_external(defs, types)
    slim = {name: _slim(body) for name, body in defs.items()}
    keep = _reachable(slim)
    out = {"_source": "Azure/azure-rest-api-specs 2026-03-03 GalleryRP.json (pruned by specprune.py)"}
    out["definitions"] = {name: slim[name] for name in sorted(keep)}
    target = Path(__file__).parent / "data" / "spec.json"
    target.write_text(json.dumps(out, indent=0, sort_keys=True) + "\n")
    print(f"wrote {target} ({len(keep)} definitions)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/azure-api")
