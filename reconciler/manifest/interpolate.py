"""`${VAR}` substitution from the environment in string values; the only outside input a manifest gets."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from reconciler.diagnostics import Diagnostics
from reconciler.manifest.yaml_source import KeyPath, SourceDocument

# $${ is a literal "${"; ${NAME} and ${NAME:-default} substitute; any other "${" is an error.
_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def interpolate_string(value: str, env: Mapping[str, str]) -> tuple[str, list[tuple[str, str | None]]]:
    """Substitute one string. Returns the result and problems as (message, hint) pairs."""
    problems: list[tuple[str, str | None]] = []

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$${":
            return "${"
        body = match.group(1)
        if body is None:
            problems.append(("unterminated '${' in value", "close it with '}', or write '$${' for a literal '${'"))
            return token
        name, sep, default = body.partition(":-")
        if not _NAME.fullmatch(name):
            problems.append((f"invalid variable name '{name}' in '${{{body}}}'", "names are letters, digits and '_'"))
            return token
        if name in env:
            return env[name]
        if sep:
            return default
        problems.append(
            (
                f"environment variable '{name}' is not set",
                f"export {name}=..., or give a default: ${{{name}:-value}}",
            )
        )
        return token

    return _TOKEN.sub(substitute, value), problems


def interpolate_document(document: SourceDocument, env: Mapping[str, str]) -> tuple[SourceDocument, Diagnostics]:
    """A copy of the document with every string value interpolated (mapping keys are names and stay literal)."""
    diags = Diagnostics()

    def walk(value: Any, path: KeyPath) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and "$" in value:
            result, problems = interpolate_string(value, env)
            line, column = document.pos(path)
            for message, hint in problems:
                diags.error(
                    message,
                    file=document.file,
                    line=line,
                    column=column,
                    path=".".join(map(str, path)) or None,
                    hint=hint,
                )
            return result
        return value

    data = walk(document.data, ())
    return replace(document, data=data), diags
