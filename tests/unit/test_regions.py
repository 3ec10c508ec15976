"""Region spellings fold to one canonical name."""

from hypothesis import given
from hypothesis import strategies as st

from reconciler.core.regions import display_name, fold_region, is_known_region, known_regions


def test_display_and_programmatic_names_fold_equal() -> None:
    assert fold_region("East US 2") == fold_region("eastus2") == fold_region("EastUS2") == "eastus2"
    assert display_name("westcentralus") == "West Central US"
    assert is_known_region("South Central US")
    assert not is_known_region("atlantis")


@given(st.sampled_from(known_regions()), st.data())
def test_any_spelling_of_a_known_region_folds_to_it(region: str, data: st.DataObject) -> None:
    display = display_name(region)
    upper = data.draw(st.booleans())
    spelled = display.upper() if upper else display.replace(" ", data.draw(st.sampled_from(["", " ", "-", "_"])))
    assert fold_region(spelled) == region
