"""The audit journal: one JSON line per finished step, appended (time, resource, operation, outcome, request ids)."""

from __future__ import annotations

import contextlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from reconciler.core.redact import redact_json


class Journal:
    """An append-only JSON-lines file; each line names the target, so one file can serve several."""

    def __init__(self, path: Path, target: dict[str, Any]) -> None:
        self.path = path
        self.target = target
        path.parent.mkdir(parents=True, exist_ok=True)

    def record(self, result: dict[str, Any]) -> None:
        """Append a step result (`StepResult.to_json()`) with the time and the target."""
        self.write(
            {
                "resource": result["address"],
                "kind": result["kind"],
                "operation": result["operation"],
                "outcome": result["status"],
                "message": result["message"],
                "requestIds": result["requestIds"],
                "seconds": result["seconds"],
            }
        )

    def write(self, entry: dict[str, Any]) -> None:
        """Append one entry as a line."""
        record = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "target": self.target.get("name"),
            "subscriptionId": self.target.get("subscriptionId"),
            **entry,
        }
        # Azure's messages quote request bodies (a source URI with its SAS): redacted like every output.
        line = json.dumps(redact_json(record), sort_keys=False) + "\n"
        # One write per line with O_APPEND: concurrent appliers never interleave within a line. 0600: the
        # journal holds Azure's messages, which are for the operator only (also when an older version of
        # the tool, or a umask, left the file readable by others).
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            if os.fstat(fd).st_mode & 0o077:
                with contextlib.suppress(OSError):  # another user's file we may append to: theirs to restrict
                    os.fchmod(fd, 0o600)
            os.write(fd, line.encode())
        finally:
            os.close(fd)
