"""Smoke run of the benchmark suite (bench/): estate S at 0 ms, one run, every scenario; checks the figures exist.

No timed assertions: the numbers themselves are the benchmark's business (docs/performance.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import estates, schedule

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
FIGURES = ("wallSeconds", "cpuSeconds", "peakRssMB", "load1")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    out = tmp_path_factory.mktemp("bench") / "out.json"
    argv = [
        sys.executable,
        "-m",
        "bench",
        "--estates",
        "S",
        "--latency-ms",
        "0",
        "--replication-seconds",
        "0",
        "--runs",
        "1",
        "--scenarios",
        "help,validate,plan,noop,apply",
        "--json",
        str(out),
    ]
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8")), done.stdout


def _measured(entry: dict) -> dict:
    median = entry["median"]
    for key in FIGURES:
        assert median[key] >= 0, key
    assert median["wallSeconds"] > 0 and median["cpuSeconds"] > 0 and median["peakRssMB"] > 0
    return median


def test_the_session_records_where_and_how_it_ran(smoke: tuple[dict, str]) -> None:
    results, _ = smoke
    assert results["settings"]["latencyMs"] == 0 and results["settings"]["runs"] == 1
    assert results["machine"]["cpus"] >= 1
    assert len(results["load"]["start"]) == 3 and len(results["load"]["end"]) == 3
    assert results["command"].startswith("python -m bench --estates S")
    _measured(results["session"]["scenarios"]["help"])


def test_the_plan_is_measured_against_both_baselines_and_the_lower_bound(smoke: tuple[dict, str]) -> None:
    results, _ = smoke
    s = results["estates"]["S"]
    assert s["shape"]["resources"] == 1 + 2 + 10 and s["shape"]["targetRegionsPerVersion"] == 3
    assert s["lowerBound"] == {"readRoundTrips": 3, "planReadsSeconds": 0.0}
    assert "reconcile apply" in s["seed"]["method"]
    scen = s["scenarios"]
    _measured(scen["validate"])
    plan = _measured(scen["plan"])
    assert plan["requests"] == sum(plan["byOperation"].values()) > 0
    gets = {"Galleries_Get": 1, "GalleryImages_Get": 2, "GalleryImageVersions_Get": 10}
    for base in ("baselineSerial", "baselineParallel"):
        assert _measured(scen[base])["byOperation"] == gets
    ratios = scen["plan"]["ratios"]
    assert ratios["requestsRatioVsSerial"] == round(13 / plan["requests"], 2)
    assert ratios["speedupVsParallel"] == round(
        scen["baselineParallel"]["median"]["wallSeconds"] / plan["wallSeconds"], 2
    )
    assert ratios["overLowerBound"] is None  # 0 ms latency: no round trips to compare with
    noop = _measured(scen["noop"])
    assert noop["requests"] == sum(noop["byOperation"].values()) > 0


def test_apply_from_empty_is_measured_against_the_ideal_schedule(smoke: tuple[dict, str]) -> None:
    results, _ = smoke
    apply = results["estates"]["S"]["scenarios"]["apply"]
    median = _measured(apply)
    assert median["byOperation"]["GalleryImageVersions_CreateOrUpdate"] == 10
    ideal = apply["runs"][0]["ideal"]
    assert ideal["waves"] == {"gallery": 1, "definition": 1, "version": 1} and ideal["parallelism"] == 10
    assert ideal["seconds"] == round(sum(ideal["operationSeconds"].values()), 3) > 0
    assert apply["ratios"]["overIdeal"] == round(median["wallSeconds"] / median["idealSeconds"], 3)
    assert apply["ratios"]["requestsPerVersion"] == round(median["requests"] / 10, 2)


def test_the_table_has_a_row_per_scenario(smoke: tuple[dict, str]) -> None:
    _, table = smoke
    for label in (
        "reconcile --help",
        "reconcile validate",
        "no-change `reconcile plan`",
        "nothing to do",
        "serial SDK GETs",
        "10 in parallel",
        "from empty",
    ):
        assert label in table


def test_the_ideal_schedule_runs_each_level_in_waves_of_the_parallelism() -> None:
    ideal = schedule.ideal(estates.parse("L"), {"gallery": 0.1, "definition": 0.2, "version": 6.0}, 10)
    assert ideal["waves"] == {"gallery": 1, "definition": 10, "version": 100}
    assert ideal["seconds"] == pytest.approx(0.1 + 10 * 0.2 + 100 * 6.0)


def test_estates_are_named_or_given_as_g_x_d_x_v() -> None:
    assert estates.parse("xl").total_versions == 10_000
    assert estates.parse("3x4x5").resources == 3 + 12 + 60
    with pytest.raises(ValueError, match="use S, L, XL or GxDxV"):
        estates.parse("M")
