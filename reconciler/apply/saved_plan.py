"""Saved plans: writing them (`plan --out`), reading them back, and refusing one that no longer holds."""

from __future__ import annotations

import json
import os
from pathlib import Path

from reconciler.core.plan import Plan
from reconciler.errors import UserError
from reconciler.render.plan_json import plan_document


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
    """Why a saved plan no longer describes what apply would do; empty when it still does."""
    reasons: list[str] = []
    if saved.target.endpoint != fresh.target.endpoint or saved.target.subscription_id != fresh.target.subscription_id:
        reasons.append(
            f"the plan was made for {saved.target.name} (subscription {saved.target.subscription_id}), "
            f"this run targets {fresh.target.name} (subscription {fresh.target.subscription_id})"
        )
    if saved.manifest_digest != fresh.manifest_digest:
        reasons.append("the manifests (or the environment variables they use) changed since the plan was made")
    old = {c.address.lower(): c for c in saved.changes}
    new = {c.address.lower(): c for c in fresh.changes}
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a is None or b is None:
            address = (a or b).address  # type: ignore[union-attr]  # the key came from one of the two
            reasons.append(f"{address}: {'appeared in' if a is None else 'disappeared from'} the live state")
        elif a.fingerprint != b.fingerprint:
            reasons.append(f"{a.address}: changed in Azure since the plan was made")
        elif (a.action, a.changes, a.blocked) != (b.action, b.changes, b.blocked):
            reasons.append(f"{a.address}: the planned change is no longer {a.action.value} as saved")
    return reasons
