"""The manifest JSON Schema: loading it and turning its errors into positioned, helpful diagnostics."""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from typing import Any

from reconciler.diagnostics import Diagnostics
from reconciler.manifest.yaml_source import KeyPath, SourceDocument

SCHEMA_RESOURCE = "schemas/manifest.schema.json"
"""Inside the `reconciler` package; a byte-identical copy of the repository's `schemas/manifest.schema.json`."""

_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def schema_text() -> str:
    return resources.files("reconciler").joinpath(SCHEMA_RESOURCE).read_text("utf-8")


@cache
def manifest_schema() -> dict[str, Any]:
    return json.loads(schema_text())


_INT_FORM_REASONS = {
    "octal": "YAML 1.1 reads a leading 0 as octal",
    "hexadecimal": "YAML 1.1 reads 0x as hexadecimal",
    "binary": "YAML 1.1 reads 0b as binary",
    "sexagesimal (base 60)": "YAML 1.1 reads a:b as base 60",
    "digits with '_' separators": "YAML 1.1 drops '_' between digits",
}


@cache
def _validator() -> Any:
    import jsonschema  # deferred: keeps `reconcile --help` fast

    # JSON Schema counts 2.0 as an integer; Azure's int32 fields refuse it, so only real ints pass.
    checker = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
    )
    strict = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=checker)
    return strict(_inline_refs(manifest_schema()))


_DISPLAY_KEYS = {"description", "x-errorMessage", "title"}


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with each local `$ref` replaced by what it names (the manifest schema has no recursion).

    Validation then never resolves a reference: jsonschema's `$ref` lookups were a third of the time to
    validate an estate of 1,000 versions. A `$ref` with sibling keywords other than annotations keeps its
    meaning through `allOf`.
    """
    defs = schema.get("$defs", {})

    def walk(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [walk(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and ref not in seen:
            target = walk(defs[ref.removeprefix("#/$defs/")], (*seen, ref))
            siblings = {k: walk(v, seen) for k, v in node.items() if k != "$ref"}
            if set(siblings) <= _DISPLAY_KEYS | set():
                return {**target, **{k: v for k, v in siblings.items() if k not in target or k != "description"}}
            return {**siblings, "allOf": [target]}
        return {k: (walk(v, seen) if k != "$defs" else v) for k, v in node.items()}

    return walk(schema, ())


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return f"a decimal number ({value!r})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _best_branch(error: Any) -> list[Any]:
    """For anyOf/oneOf: the errors of the branch the value was evidently meant for (its type matched).

    Not jsonschema's `best_match`: it ranks shallower errors first, so for `replicas: 101` in a region
    mapping it picks the string branch's type error over the mapping branch's range error, and it
    returns one error where the branch may hold several (tested by the negative corpus).
    """
    branches: dict[int, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    typed = [
        errs
        for errs in branches.values()
        if not any(e.validator == "type" and len(e.relative_schema_path) == 2 for e in errs)
    ]
    # A $ref branch reports its type error one level deeper; treat that the same way.
    typed = [errs for errs in typed if not any(e.validator == "type" and not e.relative_path for e in errs)] or typed
    return typed[0] if len(typed) == 1 else []


class _Reporter:
    def __init__(self, document: SourceDocument, diags: Diagnostics) -> None:
        self.doc, self.diags = document, diags

    def add(self, message: str, path: KeyPath, *, at_key: bool = False, hint: str | None = None) -> None:
        line, column = self.doc.key_pos(path) if at_key else self.doc.pos(path)
        dotted = ".".join(str(p) for p in path) or None
        self.diags.error(message, file=self.doc.file, line=line, column=column, path=dotted, hint=hint)

    def report(self, error: Any) -> None:
        path: KeyPath = tuple(error.absolute_path)
        schema = error.schema if isinstance(error.schema, dict) else {}
        validator = error.validator
        custom = schema.get("x-errorMessage")
        if validator in ("anyOf", "oneOf"):
            chosen = _best_branch(error)
            if chosen:
                for sub in chosen:
                    self.report(sub)
                return
            kinds = " or ".join(
                sorted({_TYPE_NAMES.get(str(b.get("type")), "a mapping") for b in error.validator_value})
            )
            self.add(f"expected {kinds}, got {_describe(error.instance)}", path)
        elif validator == "additionalProperties":
            known = list(schema.get("properties", {}))
            for key in error.instance:
                if key in known:
                    continue
                guess = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                guess = guess or [k for k in known if k.lower() == key.lower()]
                hint = f"did you mean '{guess[0]}'?" if guess else f"expected one of: {', '.join(known)}"
                self.add(f"unknown property '{key}'", (*path, key), at_key=True, hint=hint)
        elif validator == "required":
            missing = [k for k in error.validator_value if k not in error.instance]
            for key in missing:
                self.add(f"missing required property '{key}'", path, at_key=True)
        elif validator == "enum":
            options = [str(o) for o in error.validator_value]
            text = str(error.instance)
            guess = [o for o in options if o.lower() == text.lower()] or difflib.get_close_matches(text, options, n=1)
            hint = f"did you mean '{guess[0]}'?" if guess else None
            self.add(f"'{text}' is not one of: {', '.join(options)}", path, hint=hint)
        elif validator == "type":
            expected = error.validator_value
            names = [expected] if isinstance(expected, str) else list(expected)
            wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
            hint = "quote the value" if "string" in names and not isinstance(error.instance, (dict, list)) else None
            if "integer" in names and isinstance(error.instance, float) and error.instance.is_integer():
                hint = f"write {int(error.instance)}"
            self.add(f"expected {wanted}, got {_describe(error.instance)}", path, hint=hint)
        elif validator == "pattern":
            self.add(f"'{error.instance}' is invalid: {custom}" if custom else error.message, path)
        elif validator in ("minProperties", "maxProperties") and custom:
            self.add(custom, path, at_key=True)
        elif validator in ("minimum", "maximum"):
            bound = "at least" if validator == "minimum" else "at most"
            self.add(f"{error.instance} is out of range: must be {bound} {error.validator_value}", path)
        elif validator in ("minLength", "maxLength"):
            if validator == "minLength" and error.validator_value == 1:
                self.add("must not be empty", path)
            else:
                bound = "at least" if validator == "minLength" else "at most"
                self.add(f"'{error.instance}' is too long: {bound} {error.validator_value} characters allowed", path)
        elif validator == "maxProperties":
            self.add(f"too many entries: at most {error.validator_value}", path, at_key=True)
        elif validator == "minItems":
            self.add(f"must have at least {error.validator_value} item(s)", path, at_key=True)
        elif validator == "uniqueItems":
            self.add("items must be unique", path)
        else:
            self.add(error.message, path)


def _report_int_spellings(document: SourceDocument, reporter: _Reporter) -> None:
    for path, spelling in document.int_spellings.items():
        reporter.add(
            f"'{spelling.text}' would mean {spelling.value} ({_INT_FORM_REASONS[spelling.form]}); "
            "numbers must be written in plain decimal",
            path,
            hint=f"write {spelling.value} if that is what you mean, or quote '{spelling.text}' where text is meant",
        )


def schema_errors(document: SourceDocument) -> list[Any]:
    """The raw jsonschema errors of a document, in a stable order (paths, then messages)."""
    return sorted(_validator().iter_errors(document.data), key=lambda e: (list(map(str, e.absolute_path)), e.message))


def validate_document(document: SourceDocument) -> Diagnostics:
    """Every schema violation in one document, each at the key or value it concerns.

    Integers written in a YAML 1.1 form other than plain decimal (`010` is 8, `0x0a` 10, `0b11` 3,
    `1_0` 10, `1:0` 60) are errors wherever they appear, with the value they would have meant; the type
    error a string field would add for the same value is left out.
    """
    diags = Diagnostics()
    reporter = _Reporter(document, diags)
    _report_int_spellings(document, reporter)
    for error in schema_errors(document):
        if tuple(error.absolute_path) in document.int_spellings and error.validator in ("type", "anyOf", "oneOf"):
            continue
        if "propertyNames" in error.schema_path:
            reporter.add(
                f"'{error.instance}': {error.schema.get('x-errorMessage') or error.message}",
                (*tuple(error.absolute_path), error.instance),
                at_key=True,
            )
            continue
        reporter.report(error)
    return diags
