"""Simulated replication: regions replicate one after another, each taking `replication_seconds`.

State is a schedule of timestamps stored with the version and evaluated lazily when read, so no
background thread is needed and a restart resumes exactly where the clock says it should be.
"""

from __future__ import annotations

from typing import Any

from . import regions

FAILED_CODE = "CrpPirReplicationJobsNotCompleted"


def schedule(
    old: dict[str, dict[str, Any]],
    targets: list[str],
    now: float,
    seconds: float,
    failing: set[str],
    error: dict[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Plan replication of `targets` (folded names, in order): completed or running regions are kept,
    new and previously failed regions are queued after the last running one.

    :param failing: regions whose new replication ends Failed (fault injection).
    :param error: when given, every newly queued region fails with this error (a source the service cannot copy).
    """
    plan: dict[str, dict[str, Any]] = {}
    for region in targets:
        slot = old.get(region)
        if slot and (not slot["fail"] or slot["end"] > now):
            plan[region] = slot
    cursor = max([now, *(s["end"] for s in plan.values())])
    for region in targets:
        if region not in plan:
            slot: dict[str, Any] = {"start": cursor, "end": cursor + seconds, "fail": region in failing}
            if error is not None:
                slot.update(fail=True, error=error)
            plan[region] = slot
            cursor += seconds
    return {region: plan[region] for region in targets}


def region_state(slot: dict[str, Any], now: float) -> tuple[str, int]:
    if now >= slot["end"]:
        return ("Failed", 0) if slot["fail"] else ("Completed", 100)
    if now <= slot["start"]:
        return "Replicating", 0
    return "Replicating", int(100 * (now - slot["start"]) / (slot["end"] - slot["start"]))


def provisioning_state(plan: dict[str, dict[str, Any]], running_label: str, now: float) -> str:
    states = [region_state(slot, now)[0] for slot in plan.values()]
    if "Replicating" in states:
        return running_label
    return "Failed" if "Failed" in states else "Succeeded"


def finished_at(plan: dict[str, dict[str, Any]]) -> float:
    return max((slot["end"] for slot in plan.values()), default=0.0)


def _error(region: str, slot: dict[str, Any]) -> dict[str, str]:
    return slot.get("error") or {"code": FAILED_CODE, "message": f"Replication job not completed at region: {region}"}


def first_failure(plan: dict[str, dict[str, Any]]) -> dict[str, str] | None:
    for region, slot in plan.items():
        if slot["fail"]:
            return _error(region, slot)
    return None


def status(plan: dict[str, dict[str, Any]], now: float) -> dict[str, Any]:
    """The `replicationStatus` object returned with $expand=ReplicationStatus."""
    summary = []
    for region, slot in plan.items():
        state, progress = region_state(slot, now)
        details = _error(region, slot)["message"] if state == "Failed" else ""
        summary.append({"region": regions.display(region), "state": state, "details": details, "progress": progress})
    states = {s["state"] for s in summary}
    aggregated = "InProgress" if "Replicating" in states else ("Failed" if "Failed" in states else "Completed")
    return {"aggregatedState": aggregated, "summary": summary}
