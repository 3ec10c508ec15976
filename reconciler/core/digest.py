"""The digest of what the manifests manage on a resource, stamped by apply to tell drift from manifest edits."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def managed_digest(resource: Any) -> str:
    """A short digest (16 hex digits) of every managed field and the tags of a model resource."""
    managed: dict[str, Any] = {path: f.value for path, f in sorted(resource.kind.fields(resource).items())}
    managed["tags"] = dict(resource.tags)
    text = json.dumps(managed, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
