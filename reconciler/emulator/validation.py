"""Request bodies checked against the REST spec's definitions: types, enums, required; read-only dropped."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from .errors import ArmError, bad_request, invalid_parameter

_INT32 = (-(2**31), 2**31 - 1)


@cache
def _definitions() -> dict[str, Any]:
    raw = resources.files("reconciler.emulator.data").joinpath("spec.json").read_text("utf-8")
    return json.loads(raw)["definitions"]


@cache
def _merged(name: str) -> dict[str, Any]:
    """A definition with its allOf parents folded in (properties and required lists united)."""
    node = _definitions()[name]
    props: dict[str, Any] = {}
    required: list[str] = []
    for parent in node.get("allOf", []):
        base = _merged(parent["$ref"].rsplit("/", 1)[-1])
        props.update(base.get("properties", {}))
        required += base.get("required", [])
    props.update(node.get("properties", {}))
    required += node.get("required", [])
    merged = {k: v for k, v in node.items() if k not in ("allOf", "properties", "required")}
    if props:
        merged["properties"] = props
        merged["lower"] = {k.lower(): k for k in props}
    merged["required"] = required
    return merged


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        ref = schema["$ref"].rsplit("/", 1)[-1]
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**_merged(ref), **{k: v for k, v in extra.items() if k == "readOnly"}}
    return schema


def _type_name(schema: dict[str, Any]) -> str:
    return {"integer": "System.Int32", "boolean": "System.Boolean", "number": "System.Double"}.get(
        schema.get("type", "object"), "System.String" if schema.get("type") == "string" else "Object"
    )


def _convert_error(value: Any, schema: dict[str, Any], path: str) -> ArmError:
    shown = json.dumps(value) if not isinstance(value, str) else value
    return bad_request(
        "BadRequest",
        f"Error converting value {shown!r} to type '{_type_name(schema)}'. Path '{path}'.",
        path,
    )


def _check(value: Any, schema: dict[str, Any], path: str, prefix: str) -> Any:
    schema = _resolve(schema)
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    if "enum" in schema:
        if not isinstance(value, str):
            raise _convert_error(value, schema, path)
        canonical = {e.lower(): e for e in schema["enum"]}.get(value.lower())
        if canonical is None:
            if schema.get("modelAsString"):
                allowed = ", ".join(schema["enum"])
                raise invalid_parameter(
                    f"The value '{value}' of parameter '{prefix}.{path}' is not valid. Allowed values: {allowed}.",
                    f"{prefix}.{path}",
                )
            raise _convert_error(value, schema, path)
        return canonical
    if kind == "string":
        if not isinstance(value, str):
            raise _convert_error(value, schema, path)
        if schema.get("format") == "date-time":
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise _convert_error(value, schema, path) from None
        return value
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int) or not _INT32[0] <= value <= _INT32[1]:
            raise _convert_error(value, schema, path)
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _convert_error(value, schema, path)
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _convert_error(value, schema, path)
        return value
    if kind == "array":
        if not isinstance(value, list):
            raise _convert_error(value, schema, path)
        items = schema.get("items", {})
        return [_check(v, items, f"{path}[{i}]", prefix) for i, v in enumerate(value) if v is not None]
    if kind == "object":
        return _check_object(value, schema, path, prefix)
    return value


def _check_object(value: Any, schema: dict[str, Any], path: str, prefix: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _convert_error(value, schema, path)
    props = schema.get("properties", {})
    lower = schema.get("lower", {})
    extra = schema.get("additionalProperties")
    out: dict[str, Any] = {}
    for key, sub in value.items():
        if sub is None:
            continue
        name = key if key in props else lower.get(key.lower())
        sub_path = f"{path}.{name or key}" if path else (name or key)
        if name is not None:
            prop = props[name]
            if prop.get("readOnly") or _resolve(prop).get("readOnly"):
                continue
            out[name] = _check(sub, prop, sub_path, prefix)
        elif isinstance(extra, dict):
            out[key] = _check(sub, extra, sub_path, prefix)
        # unknown properties are ignored, as the service's deserialiser does
    for name in schema.get("required", []):
        prop = props.get(name, {})
        if name not in out and not prop.get("readOnly"):
            target = f"{prefix}.{path}.{name}" if path else f"{prefix}.{name}"
            raise invalid_parameter(f"Required parameter '{target}' is missing (null).", target)
    return out


def clean_body(body: Any, definition: str, prefix: str) -> dict[str, Any]:
    """Validate `body` against spec `definition`; return a copy without read-only and unknown properties.

    :param prefix: the service's name for the body in error targets, e.g. "galleryImage".
    """
    if not isinstance(body, dict):
        raise invalid_parameter(f"Required parameter '{prefix}' is missing (null).", prefix)
    return _check_object(body, _merged(definition), "", prefix)
