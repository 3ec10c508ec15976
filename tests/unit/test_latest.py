"""`latest` region by region: the rule (core/latest.py), its preview in plans, and numeric version order."""

from __future__ import annotations

import io
import json

import jsonschema
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from reconciler.core.diff import DiffOptions
from reconciler.core.latest import Candidate, latest_in, preview, shown_latest
from reconciler.core.plan import Plan, build_plan
from reconciler.kinds.image_version import TargetRegion
from reconciler.render.markdown import render_markdown
from reconciler.render.plan_json import plan_document
from reconciler.render.text import render_plan
from tests.unit.plan_fixtures import as_live, definition, desired_state, gallery, live_state, version
from tests.unit.test_plan import TARGET
from tests.unit.test_plan_schema import schema


def regions(*names: str, excluded: tuple[str, ...] = ()) -> tuple[TargetRegion, ...]:
    return tuple(TargetRegion(name=n, exclude_from_latest=(n in excluded) or None) for n in sorted(names))


def text_of(plan: Plan, *, show_noop: bool = False) -> str:
    out = io.StringIO()
    render_plan(plan, Console(file=out, width=200, color_system=None, soft_wrap=True), show_noop=show_noop)
    return out.getvalue()


def _issue_example() -> Plan:
    """Issue 14: 1.9.0 in eastus; 1.10.0 in eastus and westus2, then excluded from latest in both."""
    old = version("1.9.0", target_regions=regions("eastus"))
    live = live_state(
        as_live(gallery()),
        as_live(definition()),
        as_live(old),
        as_live(version("1.10.0", target_regions=regions("eastus", "westus2"))),
    )
    desired = desired_state(
        gallery(),
        definition(),
        old,
        version("1.10.0", target_regions=regions("eastus", "westus2", excluded=("eastus", "westus2"))),
    )
    return build_plan(desired, live, TARGET)


def test_issue_example_resolves_per_region() -> None:
    (lc,) = _issue_example().latest
    assert not lc.uniform
    assert [(r.region, r.before, r.after) for r in lc.regions] == [
        ("eastus", "1.10.0", "1.9.0"),
        ("westus2", "1.10.0", None),
    ]
    # Before, every region agreed on 1.10.0; after, they disagree, so there is no one answer.
    assert (lc.before, lc.after) == ("1.10.0", None)


def test_issue_example_is_shown_region_by_region_in_text_markdown_and_json() -> None:
    plan = _issue_example()
    text = text_of(plan)
    assert "  gal/ubuntu: differs by region\n      eastus: 1.10.0 → 1.9.0\n      westus2: 1.10.0 → (none)\n" in text
    md = render_markdown(plan)
    assert "- `gal/ubuntu`: differs by region\n  - eastus: 1.10.0 → 1.9.0\n  - westus2: 1.10.0 → (none)" in md
    doc = json.loads(json.dumps(plan_document(plan)))
    jsonschema.Draft202012Validator(schema()).validate(doc)
    assert doc["latest"] == [
        {
            "definition": "gal/ubuntu",
            "before": "1.10.0",
            "after": None,
            "uniform": False,
            "regions": [
                {"region": "eastus", "before": "1.10.0", "after": "1.9.0"},
                {"region": "westus2", "before": "1.10.0", "after": None},
            ],
        }
    ]
    assert Plan.from_json(doc).latest == plan.latest


def test_regions_that_agree_show_one_line() -> None:
    live = live_state(
        as_live(gallery()),
        as_live(definition()),
        as_live(version("1.0.0", target_regions=regions("eastus", "westus2"))),
    )
    desired = desired_state(
        gallery(),
        definition(),
        version("1.0.0", target_regions=regions("eastus", "westus2")),
        version("1.1.0", target_regions=regions("eastus", "westus2")),
    )
    (lc,) = build_plan(desired, live, TARGET).latest
    assert lc.uniform and (lc.before, lc.after) == ("1.0.0", "1.1.0")
    assert "  gal/ubuntu: 1.0.0 → 1.1.0\n\n" in text_of(build_plan(desired, live, TARGET))


def test_version_level_exclusion_wins_over_a_region_that_does_not_exclude() -> None:
    hidden = Candidate("2.0.0", excluded=True, regions={"eastus": False})
    shown = Candidate("1.0.0", excluded=False, regions={"eastus": False})
    assert latest_in("eastus", [hidden, shown]) == "1.0.0"


def test_a_region_flag_excludes_only_in_that_region() -> None:
    newer = Candidate("2.0.0", excluded=False, regions={"eastus": True, "westus2": False})
    older = Candidate("1.0.0", excluded=False, regions={"eastus": False, "westus2": False})
    assert (latest_in("eastus", [newer, older]), latest_in("westus2", [newer, older])) == ("1.0.0", "2.0.0")


def test_a_version_counts_only_in_its_target_regions() -> None:
    lc = preview(
        "gal/ubuntu",
        [],
        [Candidate("2.0.0", False, {"westus2": False}), Candidate("1.0.0", False, {"eastus": False})],
    )
    assert [(r.region, r.after) for r in lc.regions] == [("eastus", "1.0.0"), ("westus2", "2.0.0")]


def test_version_without_target_regions_counts_in_its_location() -> None:
    assert Candidate.of(version("1.0.0", location="northeurope", target_regions=())).regions == {"northeurope": False}


def test_pruned_definition_is_previewed_and_its_latest_goes() -> None:
    gone = definition("old")
    live = live_state(as_live(gallery()), as_live(gone), as_live(version("3.0.0", definition_name="old")))
    plan = build_plan(desired_state(gallery()), live, TARGET, options=DiffOptions(prune=True))
    (lc,) = plan.latest
    assert (lc.definition, lc.before, lc.after) == ("gal/old", "3.0.0", None)
    assert "  gal/old: 3.0.0 → (none)  (the definition is deleted)\n" in text_of(plan)
    # Blocked (no --prune): nothing is deleted, so `latest` stays, and the touched definition is still shown.
    blocked = build_plan(desired_state(gallery()), live, TARGET)
    assert "  gal/old: 3.0.0 (unchanged)\n" in text_of(blocked)


def test_untouched_definitions_appear_only_with_show_unchanged() -> None:
    resources = (gallery(), definition(), version("1.0.0"), definition("other"), version("2.0.0", "other"))
    live = live_state(*(as_live(r) for r in resources))
    desired = desired_state(gallery(description="new"), *resources[1:])
    plan = build_plan(desired, live, TARGET)
    assert shown_latest(plan.latest, plan.changes) == []
    assert "'latest'" not in text_of(plan)
    full = text_of(plan, show_noop=True)
    assert "  gal/other: 2.0.0 (unchanged)\n  gal/ubuntu: 1.0.0 (unchanged)\n" in full


def test_a_touched_definition_is_previewed_even_when_latest_stays() -> None:
    live = live_state(as_live(gallery()), as_live(definition()), as_live(version("1.0.0")))
    desired = desired_state(gallery(), definition(description="new"), version("1.0.0"))
    plan = build_plan(desired, live, TARGET)
    assert [lc.definition for lc in shown_latest(plan.latest, plan.changes)] == ["gal/ubuntu"]


def test_versions_are_listed_in_numeric_order() -> None:
    names = ["10.0.0", "9.0.0", "1.10.0", "1.9.0", "1.0.10", "1.0.9"]
    resources = (gallery(), definition(), *(version(n) for n in names))
    plan = build_plan(desired_state(*resources), live_state(*(as_live(r) for r in resources)), TARGET)
    listed = [c.address.rsplit("/", 1)[1] for c in plan.changes if c.kind == "version"]
    assert listed == ["1.0.9", "1.0.10", "1.9.0", "1.10.0", "9.0.0", "10.0.0"]
    shown = text_of(plan, show_noop=True)
    assert shown.index("gal/ubuntu/9.0.0") < shown.index("gal/ubuntu/10.0.0")


# ------------------------------------------------------------------ invariants of the rule

REGIONS = ["eastus", "westus2", "northeurope"]
candidates = st.lists(
    st.builds(
        Candidate,
        name=st.tuples(*(st.integers(0, 12),) * 3).map(lambda t: ".".join(map(str, t))),
        excluded=st.booleans(),
        regions=st.dictionaries(st.sampled_from(REGIONS), st.booleans(), min_size=1),
    ),
    max_size=8,
    unique_by=lambda c: c.name,
)


def _key(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name.split("."))


@given(candidates, st.sampled_from(REGIONS))
def test_latest_is_the_highest_eligible_version_in_the_region(versions: list[Candidate], region: str) -> None:
    found = latest_in(region, versions)
    eligible = [v for v in versions if region in v.regions and not v.excluded and not v.regions[region]]
    if found is None:
        assert eligible == []
    else:
        assert found in {v.name for v in eligible}
        assert all(_key(v.name) <= _key(found) for v in eligible)


@given(candidates, st.sampled_from(REGIONS), st.integers(0, 7))
def test_excluding_a_version_never_raises_latest(versions: list[Candidate], region: str, index: int) -> None:
    before = latest_in(region, versions)
    if versions:
        hit = versions[index % len(versions)]
        versions = [Candidate(v.name, True, v.regions) if v is hit else v for v in versions]
    after = latest_in(region, versions)
    assert after is None or (before is not None and _key(after) <= _key(before))


@given(candidates)
def test_without_region_flags_every_region_agrees_with_azures_global_rule(versions: list[Candidate]) -> None:
    # Every version in every region, no per-region flag: the answer is API-FACTS §7's, in each region.
    everywhere = [Candidate(v.name, v.excluded, dict.fromkeys(REGIONS, False)) for v in versions]
    global_rule = max((v.name for v in versions if not v.excluded), key=_key, default=None)
    lc = preview("gal/def", everywhere, everywhere)
    assert lc.uniform
    assert all(r.before == r.after == global_rule for r in lc.regions)


@given(candidates, candidates)
def test_one_line_exactly_when_regions_agree(before: list[Candidate], after: list[Candidate]) -> None:
    lc = preview("gal/def", before, after)
    agree = len({(r.before, r.after) for r in lc.regions}) <= 1
    assert lc.uniform == agree
    if lc.uniform and lc.regions:
        assert (lc.before, lc.after) == (lc.regions[0].before, lc.regions[0].after)
