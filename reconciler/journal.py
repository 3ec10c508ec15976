"""The audit journal: one JSON line per finished step, appended (time, resource, operation, outcome, request ids)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


class Journal:
    def __init__(self, path: Path, target: dict[str, Any]) -> None:
        self.path = path
        self.target = target
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, entry: dict[str, Any]) -> None:
        record = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "target": self.target.get("name"),
            "subscriptionId": self.target.get("subscriptionId"),
            **entry,
        }
        line = json.dumps(record, sort_keys=False) + "\n"
        # One write per line with O_APPEND: concurrent appliers never interleave within a line.
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
