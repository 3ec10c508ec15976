"""The az CLI target-region shorthand and region-name normalisation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.core.regions import display_name, fold_region, known_regions
from reconciler.manifest.regions_syntax import (
    STORAGE_TYPES,
    RegionSpec,
    ShorthandError,
    canonical_storage_type,
    edit_distance,
    format_target_region,
    parse_target_region,
    region_problem,
    suggest_region,
)


def test_the_seed_documentation_examples() -> None:
    assert parse_target_region("westcentralus") == RegionSpec("westcentralus")
    assert parse_target_region("southcentralus=1") == RegionSpec("southcentralus", 1)
    assert parse_target_region("eastus=1=standard_zrs") == RegionSpec("eastus", 1, "Standard_ZRS")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not a target region"),
        ("=1", "is not a target region"),
        ("eastus=1=Standard_LRS=x", "is not a target region"),
        ("eastus=", "replica count '' in 'eastus=' is not a whole number"),
        ("eastus=two", "is not a whole number"),
        ("eastus=-1", "is not a whole number"),
        ("eastus=0", "out of range 1..100"),
        ("eastus=101", "out of range 1..100"),
        ("eastus=1=standard_grs", "'standard_grs' in 'eastus=1=standard_grs' is not a storage account type"),
    ],
)
def test_malformed_shorthand(text: str, message: str) -> None:
    with pytest.raises(ShorthandError) as raised:
        parse_target_region(text)
    assert message in raised.value.message


def test_storage_types_in_any_case() -> None:
    assert canonical_storage_type("premium_lrs") == "Premium_LRS"
    assert canonical_storage_type("PREMIUMV2_LRS") == "PremiumV2_LRS"
    assert canonical_storage_type("standard_grs") is None


def test_unknown_regions_get_a_suggestion() -> None:
    assert region_problem("westeurope") is None
    assert region_problem("West Europe") is None
    problem = region_problem("westeurop")
    assert problem == (
        "unknown Azure region 'westeurop' (not in reconcile's table of regions)",
        "did you mean 'westeurope' (West Europe)?",
    )
    assert region_problem("atlantis") == (
        "unknown Azure region 'atlantis' (not in reconcile's table of regions)",
        "see `az account list-locations`",
    )


def test_early_access_regions_are_known() -> None:
    assert region_problem("centraluseuap") is None and region_problem("Central US EUAP") is None
    assert region_problem("eastus2euap") is None
    assert parse_target_region("centraluseuap=1=premium_lrs") == RegionSpec("centraluseuap", 1, "Premium_LRS")


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("esatus", "eastus"),  # difflib's closest-looking answer was westus (two edits away)
        ("japanesat", "japaneast"),  # and japanwest
        ("norwayesat", "norwayeast"),  # and norwaywest
        ("centraluseu", "centralus"),  # as close as centraluseuap, and a public region
        ("centraluseua", "centraluseuap"),  # one edit from the early-access region, three from centralus
        ("west-europ", "westeurope"),
    ],
)
def test_the_hint_is_the_closest_spelling(typo: str, meant: str) -> None:
    assert suggest_region(typo) == meant


def _one_edit(region: str) -> st.SearchStrategy[str]:
    def edit(i: int, kind: int, letter: str) -> str:
        i %= len(region)
        if kind == 0:
            return region[:i] + region[i + 1 :]
        if kind == 1:
            return region[:i] + letter + region[i:]
        if kind == 2:
            return region[:i] + letter + region[i + 1 :]
        return region[:i] + region[i + 1 : i + 2] + region[i] + region[i + 2 :]

    return st.builds(edit, st.integers(0, 40), st.integers(0, 3), st.sampled_from("abcdeinorstuwz2"))


@given(st.sampled_from(known_regions()).flatmap(_one_edit))
def test_a_hint_is_never_farther_than_another_region_and_prefers_public_ones(typo: str) -> None:
    if fold_region(typo) in known_regions() or not fold_region(typo):
        return
    guess = suggest_region(typo)
    distances = {region: edit_distance(fold_region(typo), region) for region in known_regions()}
    closest = min(distances.values())
    assert guess is not None and distances[guess] == closest == 1
    public = [r for r, d in distances.items() if d == closest and "euap" not in r]
    if public:
        assert "euap" not in guess, (typo, guess, public)


def _spellings(region: str) -> st.SearchStrategy[str]:
    display = display_name(region)
    return st.sampled_from([region, display, display.upper(), display.replace(" ", ""), display.replace(" ", "-")])


@given(st.sampled_from(known_regions()).flatmap(lambda r: st.tuples(_spellings(r), _spellings(r))))
def test_every_spelling_of_a_region_compares_equal(pair: tuple[str, str]) -> None:
    assert fold_region(pair[0]) == fold_region(pair[1])
    assert region_problem(pair[0]) is None


@given(
    region=st.sampled_from(known_regions()).flatmap(_spellings),
    replicas=st.none() | st.integers(1, 100),
    storage=st.none() | st.sampled_from(STORAGE_TYPES),
    lower=st.booleans(),
)
def test_the_shorthand_round_trips(region: str, replicas: int | None, storage: str | None, lower: bool) -> None:
    text = region
    if replicas is not None or storage is not None:
        text += f"={replicas or 1}"
    if storage is not None:
        text += "=" + (storage.lower() if lower else storage)
    spec = parse_target_region(text)
    again = parse_target_region(format_target_region(spec))
    assert fold_region(again.name) == fold_region(spec.name) == fold_region(region)
    assert (again.replicas, again.storage_account_type) == (spec.replicas, spec.storage_account_type)
    assert spec.storage_account_type == storage
