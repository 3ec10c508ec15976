"""What a plan records about its target: enough to name it on every output and to refuse a mismatched apply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TargetInfo:
    kind: str
    """local (embedded emulator), endpoint (an emulator or ARM endpoint given by URL) or azure."""
    name: str
    """What the first line of every plan and apply says the target is."""
    endpoint: str
    subscription_id: str
    cloud: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "endpoint": self.endpoint,
            "subscriptionId": self.subscription_id,
            "cloud": self.cloud,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TargetInfo:
        return cls(data["kind"], data["name"], data["endpoint"], data["subscriptionId"], data.get("cloud"))
