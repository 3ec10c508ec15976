"""Medians over runs, ratios to the baselines, the lower bound and the ideal schedule, and the Markdown table."""

from __future__ import annotations

import statistics
from typing import Any

MEDIAN_KEYS = ("wallSeconds", "cpuSeconds", "peakRssMB", "requests", "load1", "getSeconds", "idealSeconds")

LABELS = {
    "help": "`reconcile --help`",
    "validate": "`reconcile validate`",
    "plan": "no-change `reconcile plan`",
    "noop": "`reconcile apply` with nothing to do",
    "baselineSerial": "baseline: serial SDK GETs",
    "baselineParallel": "baseline: SDK GETs, 10 in parallel",
    "apply": "`reconcile apply` from empty",
}


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """{"runs": [...], "median": {...}}: the median of each numeric figure over the runs."""
    median: dict[str, Any] = {}
    for key in MEDIAN_KEYS:
        values = [r[key] for r in runs if key in r]
        if values:
            median[key] = round(statistics.median(values), 4)
    if "requests" in median:
        median["requestsPerRun"] = [r["requests"] for r in runs]
    if runs and "byOperation" in runs[-1]:
        median["byOperation"] = runs[-1]["byOperation"]  # deterministic for these scenarios; see requestsPerRun
    return {"runs": runs, "median": median}


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 2)


def add_ratios(result: dict[str, Any], lower_bound_s: float) -> None:
    """Ratios on the plan and no-op apply (to each baseline and the lower bound) and on apply (to the ideal).

    speedupVs*: baseline wall / ours (above 1: ours is faster). requestsRatioVs*: baseline requests / ours.
    overLowerBound: ours / lower bound (1 is the floor). *OverPlan: the no-op apply / the plan.
    overIdeal: apply wall / ideal schedule.
    """
    scenarios = result["scenarios"]
    for name in ("plan", "noop"):
        if name not in scenarios:
            continue
        ours = scenarios[name]["median"]
        ratios: dict[str, Any] = {}
        for base in ("baselineSerial", "baselineParallel"):
            if base in scenarios:
                theirs = scenarios[base]["median"]
                suffix = base.removeprefix("baseline")
                ratios[f"speedupVs{suffix}"] = _ratio(theirs["wallSeconds"], ours["wallSeconds"])
                ratios[f"requestsRatioVs{suffix}"] = _ratio(theirs.get("requests"), ours.get("requests"))
        ratios["overLowerBound"] = _ratio(ours["wallSeconds"], lower_bound_s)
        if name == "noop" and "plan" in scenarios:
            plan = scenarios["plan"]["median"]
            ratios["wallOverPlan"] = _ratio(ours["wallSeconds"], plan["wallSeconds"])
            ratios["cpuOverPlan"] = _ratio(ours["cpuSeconds"], plan["cpuSeconds"])
            ratios["requestsOverPlan"] = _ratio(ours.get("requests"), plan.get("requests"))
        scenarios[name]["ratios"] = ratios
    if "apply" in scenarios:
        runs = scenarios["apply"]["runs"]
        over = [r["wallSeconds"] / r["idealSeconds"] for r in runs if r.get("idealSeconds")]
        scenarios["apply"]["ratios"] = {
            "overIdeal": round(statistics.median(over), 3) if over else None,
            "requestsPerVersion": statistics.median(r["requestsPerVersion"] for r in runs),
        }


def _num(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _notes(name: str, entry: dict[str, Any], result: dict[str, Any]) -> str:
    ratios = entry.get("ratios", {})
    scen = result["scenarios"]
    parts = []
    if name == "noop" and "wallOverPlan" in ratios:
        parts.append(
            f"the plan: {ratios['wallOverPlan']:.2f}x its wall, {ratios['cpuOverPlan']:.2f}x its CPU, "
            f"{ratios['requestsOverPlan']:.2f}x its requests"
        )
    elif name in ("plan", "noop"):
        for base, label in (("Serial", "serial GETs"), ("Parallel", "10 parallel GETs")):
            if f"speedupVs{base}" in ratios:
                wall = scen[f"baseline{base}"]["median"]["wallSeconds"]
                parts.append(f"{label} {_num(wall)} s (speed-up {ratios[f'speedupVs{base}']:.2f}x)")
        bound = result["lowerBound"]["planReadsSeconds"]
        if ratios.get("overLowerBound"):
            parts.append(f"lower bound {bound} s ({ratios['overLowerBound']:.1f}x it)")
        else:
            parts.append("lower bound 0 s at 0 ms latency")
    elif name == "apply":
        parts.append(f"ideal schedule {_num(entry['median']['idealSeconds'])} s ({ratios['overIdeal']:.2f}x it)")
        parts.append(f"{ratios['requestsPerVersion']} requests per version")
    elif name.startswith("baseline"):
        parts.append(f"GETs alone {_num(entry['median']['getSeconds'])} s")
    return "; ".join(parts)


def table(results: dict[str, Any]) -> str:
    """A Markdown table of the medians, one row per estate and scenario."""
    rows = [
        "| estate | scenario | wall s | CPU s | peak RSS MB | requests | compared with | load |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    order = ("help", "validate", "plan", "noop", "baselineParallel", "baselineSerial", "apply")
    sections = [("-", {**results["session"], "lowerBound": {"planReadsSeconds": 0}})]
    sections += list(results["estates"].items())
    for estate, result in sections:
        for name in order:
            entry = result["scenarios"].get(name)
            if entry is None:
                continue
            med = entry["median"]
            requests = "-" if "requests" not in med else f"{med['requests']:,.0f}"
            rows.append(
                f"| {estate} | {LABELS[name]} | {_num(med['wallSeconds'])} | {_num(med['cpuSeconds'])} | "
                f"{_num(med['peakRssMB'], 0)} | {requests} | {_notes(name, entry, result)} | {med['load1']:.1f} |"
            )
    return "\n".join(rows)
