"""Saved plans: writing them (`plan --out`), reading them back, and refusing one that no longer holds."""

from __future__ import annotations

import json
import os
from pathlib import Path

from reconciler.core.changes import Action, ResourceChange
from reconciler.core.plan import Plan
from reconciler.core.target_info import TargetInfo
from reconciler.errors import UserError
from reconciler.render import wording
from reconciler.render.plan_json import plan_document
from reconciler.render.values import show


def write_plan_file(plan: Plan, out: str) -> None:
    """Write the plan atomically (a crash never leaves half a plan file), readable by the owner only."""
    path = Path(out)
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a temporary file left by a crash keeps its mode through O_CREAT
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(plan_document(plan), indent=2) + "\n")
        tmp.replace(path)
    except OSError as err:
        raise UserError(f"cannot write the plan to {out}: {err.strerror or err}") from err


def read_saved_plan(paths: tuple[str, ...]) -> Plan | None:
    """The saved plan when the only argument is a plan file (`reconcile plan --out`); None for manifests.

    Raises UserError for a file that claims to be a plan (has `formatVersion`) but cannot be read as one.
    """
    if len(paths) != 1 or not paths[0].endswith(".json") or not Path(paths[0]).is_file():
        return None
    path = paths[0]
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None  # not a plan: the manifest loader reports what is wrong with it
    if not isinstance(data, dict) or "formatVersion" not in data:
        return None  # a manifest written as JSON
    try:
        return Plan.from_json(data)
    except UserError as err:
        raise UserError(f"{path}: {err}") from err
    except (ValueError, KeyError, TypeError) as err:
        raise UserError(f"{path} is not a plan saved by `reconcile plan --out` ({err})") from err


def stale_reasons(saved: Plan, fresh: Plan) -> list[str]:
    """Why a saved plan no longer describes what apply would do, each saying what differs; empty when it holds.

    A reason may span several lines (the first names the resource, the rest the fields, indented).
    """
    reasons: list[str] = []
    target = _target_differences(saved.target, fresh.target)
    if target:
        # Everything else follows from reading another target: say only this.
        return [
            "the plan was made for another target; apply it with the target flags it was made with:"
            + "".join(f"\n      {line}" for line in target)
        ]
    manifests_changed = saved.manifest_digest != fresh.manifest_digest
    if manifests_changed:
        reasons.append("the manifests (or the environment variables they use) changed since the plan was made")
    old = {c.address.lower(): c for c in saved.changes}
    new = {c.address.lower(): c for c in fresh.changes}
    keys = list(old) + [k for k in new if k not in old]
    for key in keys:
        a, b = old.get(key), new.get(key)
        if a is None and b is not None:
            reasons.append(f"{b.address}: not in the saved plan; now {_action(b)}")
        elif b is None and a is not None:
            reasons.append(f"{a.address}: in the saved plan ({_action(a)}), now neither in Azure nor in the manifests")
        elif a is not None and b is not None:
            reason = _resource_difference(a, b, manifests_changed)
            if reason:
                reasons.append(reason)
    return reasons


def _target_differences(saved: TargetInfo, fresh: TargetInfo) -> list[str]:
    """The target fields that differ, as `name: plan's → this run's` (ids and names compared case-insensitively)."""

    def same(x: str | None, y: str | None, exact: bool = False) -> bool:
        return x == y if exact else (x or "").lower() == (y or "").lower()

    fields = (
        ("kind", saved.kind, fresh.kind, False),
        ("endpoint", saved.endpoint, fresh.endpoint, True),
        ("subscription", saved.subscription_id, fresh.subscription_id, False),
        ("cloud", saved.cloud, fresh.cloud, False),
    )
    return [
        f"{name}: {before or '(none)'} (plan) → {after or '(none)'} (this run)"
        for name, before, after, exact in fields
        if not same(before, after, exact)
    ]


def _action(change: ResourceChange) -> str:
    return change.action.value + (" (blocked)" if change.blocked else "")


def _planned(change: ResourceChange) -> str:
    if change.action is Action.NOOP:
        return "the plan left it as it was"
    return f"the plan would {change.action.value} it" + (" once allowed" if change.blocked else "")


def _resource_difference(a: ResourceChange, b: ResourceChange, manifests_changed: bool) -> str | None:
    """What differs for one resource between the saved plan (a) and a fresh one (b), or None."""
    if a.fingerprint is None and b.fingerprint is not None:
        return f"{a.address}: created in Azure since the plan was made ({_planned(a)})"
    if a.fingerprint is not None and b.fingerprint is None:
        return f"{a.address}: deleted from Azure since the plan was made ({_planned(a)})"
    if a.fingerprint != b.fingerprint:
        head = f"{a.address}: changed in Azure since the plan was made"
        lines = _live_differences(a, b) if not manifests_changed else _planned_differences(a, b)
        if not lines:
            lines = ["(in properties this plan does not compare)"]
    elif (a.action, a.changes, a.blocked) != (b.action, b.changes, b.blocked):
        head = f"{a.address}: the planned change is no longer as saved"
        lines = _planned_differences(a, b)
    else:
        return None
    if a.action is not b.action or bool(a.blocked) != bool(b.blocked):
        lines.insert(0, f"planned: {_action(a)}; now: {_action(b)}")
    if a.blocked != b.blocked and b.blocked is not None:
        lines.append(f"now blocked: {wording.blocker_text(b.blocked)}")
    return head + ":" + "".join(f"\n      {line}" for line in lines)


def _live_differences(a: ResourceChange, b: ResourceChange) -> list[str]:
    """Field by field, the live value when the plan was made → the live value now (manifests unchanged).

    With the same manifests a field is either listed (its `before` is the live value) or not (the live value
    was what the manifests ask for, the listed change's `after` on the other side).
    """
    saved = {c.path: c for c in a.changes}
    fresh = {c.path: c for c in b.changes}
    lines: list[str] = []
    for path in list(saved) + [p for p in fresh if p not in saved]:
        was = saved[path].before if path in saved else fresh[path].after
        now = fresh[path].before if path in fresh else saved[path].after
        if was != now:
            lines.append(f"{path}: {show(was)} → {show(now)}")
    return lines


def _planned_differences(a: ResourceChange, b: ResourceChange) -> list[str]:
    """Field by field, the change the saved plan makes → the change a plan makes now."""
    saved = {c.path: c for c in a.changes}
    fresh = {c.path: c for c in b.changes}
    lines: list[str] = []
    for path in list(saved) + [p for p in fresh if p not in saved]:
        x, y = saved.get(path), fresh.get(path)
        if x is not None and y is not None and (x.before, x.after) == (y.before, y.after):
            continue
        planned = f"{show(x.before)} → {show(x.after)}" if x else "no change"
        now = f"{show(y.before)} → {show(y.after)}" if y else "no change"
        lines.append(f"{path}: planned {planned}; now {now}")
    return lines
