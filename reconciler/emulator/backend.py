"""The emulator's state holder: store, runtime config, faults, request counters and lookups shared by handlers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from .errors import resource_group_not_found, subscription_not_found
from .faults import Faults
from .store import Record, Store
from .tokens import DEFAULT_TENANT

DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
DEFAULT_SUBSCRIPTION_NAME = "Emulator subscription"


@dataclass
class Config:
    """Runtime knobs; all can be changed through POST /_emulator/config."""

    replication_seconds: float = 0.0
    page_size: int = 100
    latency_ms: int = 0
    retry_after: int = 1
    delete_consistency_seconds: float = 0.0


def subscription_record(sub: str, name: str, tenant: str = DEFAULT_TENANT) -> Record:
    sid = f"/subscriptions/{sub}"
    body = {
        "id": sid,
        "subscriptionId": sub,
        "tenantId": tenant,
        "displayName": name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
        "authorizationSource": "RoleBased",
    }
    return Record(sid, "subscription", "", sub, sub, body)


class Backend:
    """State shared by all handlers of one emulator instance."""

    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self.faults = Faults()
        self.clock = time.time
        self._counts: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        # parent id (lower) -> (time, child id) of its last child delete, for the eventual-consistency window
        self.recent_child_delete: dict[str, tuple[float, str]] = {}
        with store.transaction():
            if store.get(f"/subscriptions/{DEFAULT_SUBSCRIPTION}") is None:
                store.put(subscription_record(DEFAULT_SUBSCRIPTION, DEFAULT_SUBSCRIPTION_NAME))

    def count(self, operation: str) -> None:
        with self._count_lock:
            self._counts[operation] += 1

    def request_counts(self) -> dict[str, Any]:
        with self._count_lock:
            return {"total": sum(self._counts.values()), "byOperation": dict(sorted(self._counts.items()))}

    def reset_counts(self) -> None:
        with self._count_lock:
            self._counts.clear()

    def subscription(self, sub: str) -> Record:
        rec = self.store.get(f"/subscriptions/{sub}")
        if rec is None:
            raise subscription_not_found(sub)
        return rec

    def resource_group(self, sub: str, rg: str) -> Record:
        self.subscription(sub)
        rec = self.store.get(f"/subscriptions/{sub}/resourceGroups/{rg}")
        if rec is None:
            raise resource_group_not_found(rg)
        return rec

    def note_child_deleted(self, parent_id: str, child_id: str) -> None:
        if self.config.delete_consistency_seconds > 0:
            self.recent_child_delete[parent_id.lower()] = (self.clock(), child_id)

    def recently_emptied(self, parent_id: str) -> str | None:
        """The id of a child deleted within the consistency window, if any (parent DELETE then gets 409)."""
        entry = self.recent_child_delete.get(parent_id.lower())
        if entry and self.clock() - entry[0] < self.config.delete_consistency_seconds:
            return entry[1]
        return None
