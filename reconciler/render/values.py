"""Short, stable text for field values in plans (shared by the text and Markdown renderers)."""

from __future__ import annotations

import json
import re
from typing import Any

from reconciler.core.redact import redact_text

_SHARED = re.compile(r"^sharingProfile\.groups\[(Subscriptions|AADTenants)\]\[(.+)\]$")
_GROUP = {"Subscriptions": "subscription", "AADTenants": "tenant"}


def show(value: Any) -> str:
    """A field value as plans print it: JSON-like, `(none)` for None, secrets (a SAS, a token) redacted."""
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return json.dumps(redact_text(value))
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items() if v is not None) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return json.dumps(value)


def field_line(path: str, before: Any, after: Any) -> tuple[str, str]:
    """(glyph, text) for one field change; a gallery's sharing membership reads as a sentence."""
    shared = _SHARED.match(path)
    if shared:
        who = f"{_GROUP[shared.group(1)]} {shared.group(2)}"
        return ("+", f"share with {who}") if before is None else ("-", f"stop sharing with {who}")
    if before is None:
        return "+", f"{path}: {show(after)}"
    if after is None:
        return "-", f"{path}: {show(before)}"
    return "~", f"{path}: {show(before)} → {show(after)}"
