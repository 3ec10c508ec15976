"""Fault and load controls: injected 429/500/503/drops, latency, failing regions and ARM token buckets."""

from __future__ import annotations

import json
import math
import random
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from .common import Response
from .corruption import RuleError, parse_rule
from .errors import ArmError

# API-FACTS §8.1: ARM's regional token buckets per subscription: (bucket size, refill per second).
BUCKETS = {"reads": (250, 25.0), "writes": (200, 10.0), "deletes": (200, 10.0)}
_FLOAT_KEYS = ("rate429", "rate500", "rate503", "dropRate")
_INT_KEYS = ("next403", "next429", "next500", "next503", "nextDrop", "latencyMs", "retryAfter")


@dataclass
class FaultConfig:
    """The admin-settable fault knobs; names are the JSON keys of POST /_emulator/faults."""

    rate429: float = 0.0
    rate500: float = 0.0
    rate503: float = 0.0
    dropRate: float = 0.0
    next429: int = 0
    next500: int = 0
    next503: int = 0
    nextDrop: int = 0
    next403: int = 0
    """The next N matching requests are refused as ARM refuses a missing RBAC permission."""
    failRegions: list[str] = field(default_factory=list)
    throttle: bool = False
    latencyMs: int = 0
    retryAfter: int = 1
    match: str | None = None
    seed: int | None = None
    corrupt: list[dict[str, Any]] = field(default_factory=list)
    """Response corruption rules (`corruption.parse_rule`), each with its own `match` and `count`; a rule
    whose count runs out is removed. The global `match` does not apply to them."""


def op_class(method: str) -> str:
    if method in ("GET", "HEAD"):
        return "reads"
    return "deletes" if method == "DELETE" else "writes"


_RESOURCES_TYPES = {"resourcegroups": "resourceGroups"}
"""Microsoft.Resources type segments whose action spelling is not the lower case the SDKs send."""


def authorization_error(method: str, path: str) -> ArmError:
    """ARM's 403 for a caller whose role lacks the action, naming the action and scope as ARM does."""
    scope = path.split("?", 1)[0].rstrip("/")
    parts = scope.split("/")
    lowered = [p.lower() for p in parts]
    if "providers" in lowered:
        rest = parts[lowered.index("providers") + 1 :]
        resource_type = "/".join([rest[0], *rest[1::2]])
    else:
        # Microsoft.Resources' own types, named by the path's type segments: /subscriptions/{id}/locations
        # is 'Microsoft.Resources/subscriptions/locations', a resource group '.../subscriptions/resourceGroups'.
        types = [_RESOURCES_TYPES.get(t, t) for t in lowered[1::2]]
        resource_type = "/".join(["Microsoft.Resources", *types])
    verb = {"GET": "read", "HEAD": "read", "DELETE": "delete"}.get(method, "write")
    client = "00000000-0000-0000-0000-0000000000aa"
    return ArmError(
        403,
        "AuthorizationFailed",
        f"The client '{client}' with object id '{client}' does not have authorization to perform action "
        f"'{resource_type}/{verb}' over scope '{scope}' or the scope is invalid. If access was recently granted, "
        "please refresh your credentials.",
    )


def throttled_error(target: str, retry_after: int, allowed: int) -> ArmError:
    """The Compute RP 429 body of API-FACTS §8.2, with Retry-After."""
    window = {"operationGroup": target, "startTime": "", "endTime": "", "allowedRequestCount": allowed}
    return ArmError(
        429,
        "OperationNotAllowed",
        "The server rejected the request because too many requests have been received for this subscription.",
        details=[{"code": "TooManyRequests", "target": target, "message": json.dumps(window)}],
        headers={"Retry-After": str(retry_after)},
    )


class Faults:
    """Thread-safe fault state; `decide` is called once per ARM request before it is handled."""

    def __init__(self) -> None:
        self.cfg = FaultConfig()
        self._lock = threading.Lock()
        self._rng = random.Random()
        self._match: re.Pattern[str] | None = None
        self._buckets: dict[tuple[str, str], list[float]] = {}
        # the token buckets' clock; tests freeze it to drain a bucket without racing the refill
        self.clock = time.monotonic

    @property
    def active(self) -> bool:
        c = self.cfg
        return bool(
            c.rate429
            or c.rate500
            or c.rate503
            or c.dropRate
            or c.next429
            or c.next500
            or c.next503
            or c.nextDrop
            or c.next403
        ) or bool(c.throttle or c.latencyMs)

    def update(self, doc: Any) -> dict[str, Any]:
        if not isinstance(doc, dict):
            raise ArmError(400, "InvalidRequestContent", "The fault document must be a JSON object.")
        with self._lock:
            current = asdict(self.cfg)
            for key, value in doc.items():
                if key not in current:
                    raise ArmError(400, "InvalidParameter", f"Unknown fault setting '{key}'.", key)
                current[key] = _coerce(key, value)
            self.cfg = FaultConfig(**current)
            self._match = re.compile(self.cfg.match) if self.cfg.match else None
            if "seed" in doc and self.cfg.seed is not None:
                self._rng = random.Random(self.cfg.seed)
            if not self.cfg.throttle:
                self._buckets.clear()
            return asdict(self.cfg)

    def clear(self) -> None:
        with self._lock:
            self.cfg = FaultConfig()
            self._match = None
            self._buckets.clear()

    def corruptions(self, method: str, path: str) -> list[dict[str, Any]]:
        """The corruption rules for one ARM request, in order; counts are used up as they apply."""
        if not self.cfg.corrupt:
            return []
        target = f"{method} {path}"
        with self._lock:
            chosen: list[dict[str, Any]] = []
            for rule in self.cfg.corrupt:
                if rule["match"] is None or re.search(rule["match"], target):
                    chosen.append(dict(rule))
                    if rule["count"] is not None:
                        rule["count"] -= 1
            self.cfg.corrupt = [r for r in self.cfg.corrupt if r["count"] is None or r["count"] > 0]
            return chosen

    def fail_regions(self) -> set[str]:
        from . import regions

        return {regions.fold(r) for r in self.cfg.failRegions}

    def latency_ms(self, method: str, path: str) -> int:
        c = self.cfg
        if not c.latencyMs or (self._match and not self._match.search(f"{method} {path}")):
            return 0
        return c.latencyMs

    def decide(self, method: str, path: str, sub: str | None) -> tuple[Response | ArmError | None, dict[str, str]]:
        """Return (fault to answer with or None, rate-limit headers to add)."""
        with self._lock:
            c = self.cfg
            headers: dict[str, str] = {}
            if c.throttle and sub:
                err, headers = self._take_token(sub.lower(), op_class(method))
                if err is not None:
                    return err, headers
            if self._match and not self._match.search(f"{method} {path}"):
                return None, headers
            if c.next403 > 0:
                c.next403 -= 1
                return authorization_error(method, path), headers
            for kind in ("Drop", "429", "500", "503"):
                attr = f"next{kind}"
                if getattr(c, attr) > 0:
                    setattr(c, attr, getattr(c, attr) - 1)
                    return self._fault(kind), headers
            for kind, rate in (("Drop", c.dropRate), ("429", c.rate429), ("500", c.rate500), ("503", c.rate503)):
                if rate and self._rng.random() < rate:
                    return self._fault(kind), headers
            return None, headers

    def _fault(self, kind: str) -> Response | ArmError:
        retry = max(0, int(self.cfg.retryAfter))
        if kind == "Drop":
            return Response(0, drop=True)
        if kind == "429":
            return throttled_error("HighCostGet", retry, 300)
        if kind == "500":
            return ArmError(500, "InternalServerError", "An internal execution error occurred. Please retry later.")
        err = ArmError(503, "ServiceUnavailable", "The service is temporarily unavailable. Please retry later.")
        if retry:
            err.headers["Retry-After"] = str(retry)
        return err

    def _take_token(self, sub: str, klass: str) -> tuple[ArmError | None, dict[str, str]]:
        size, rate = BUCKETS[klass]
        now = self.clock()
        bucket = self._buckets.setdefault((sub, klass), [float(size), now])
        bucket[0] = min(size, bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        header = f"x-ms-ratelimit-remaining-subscription-{klass}"
        if bucket[0] < 1.0:
            wait = max(1, math.ceil((1.0 - bucket[0]) / rate))
            err = throttled_error(f"Subscription{klass.capitalize()}", wait, size)
            return err, {header: "0"}
        bucket[0] -= 1.0
        return None, {header: str(int(bucket[0]))}


def _coerce(key: str, value: Any) -> Any:
    try:
        if key in _FLOAT_KEYS:
            number = float(value)
            if not 0.0 <= number <= 1.0:
                raise ValueError
            return number
        if key in _INT_KEYS:
            if isinstance(value, bool) or int(value) < 0:
                raise ValueError
            return int(value)
        if key == "failRegions":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError
            return list(value)
        if key == "throttle":
            if not isinstance(value, bool):
                raise ValueError
            return value
        if key == "match":
            if value is not None:
                re.compile(str(value))
            return None if value is None else str(value)
        if key == "seed":
            return None if value is None else int(value)
        if key == "corrupt":
            if not isinstance(value, list):
                raise RuleError("corrupt must be a list of rules")
            return [parse_rule(rule) for rule in value]
    except RuleError as err:
        raise ArmError(400, "InvalidParameter", f"Invalid fault setting 'corrupt': {err}", key) from None
    except (TypeError, ValueError, re.error):
        raise ArmError(400, "InvalidParameter", f"Invalid value {value!r} for fault setting '{key}'.", key) from None
    return value
