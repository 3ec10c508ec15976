"""Plan reads in bulk: ARM requests grow with galleries and definitions, not with versions."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Cli, changed
from tests.e2e.estates import write_estate

pytestmark = pytest.mark.e2e


def test_a_no_change_plan_lists_instead_of_getting_each_version(run: Cli) -> None:
    galleries, definitions, versions = 4, 3, 5
    estate = str(write_estate(run.workdir / "estate", galleries, definitions, versions))
    run("apply", "--auto-approve", "--parallelism", "16", estate)
    run.admin.reset()
    assert changed(run.plan_json(estate)) == {}
    counts = run.admin.requests()
    expected = {
        "Galleries_ListByResourceGroup": 1,
        "GalleryImages_ListByGallery": galleries,
        "GalleryImageVersions_ListByGalleryImage": galleries * definitions,
    }
    assert counts["byOperation"] == expected
    assert counts["total"] == 1 + galleries + galleries * definitions  # 17 here; 111 for 10 x 10 x 10
    # a GET per resource would have cost one request per gallery, definition and version
    assert counts["total"] < galleries * (1 + definitions * (1 + versions)) / 4


def test_paged_lists_are_followed_to_the_end(emulated: object) -> None:
    with emulated(page_size=2) as run:
        estate = str(write_estate(run.workdir / "estate", 3, 3, 5))
        run("apply", "--auto-approve", estate)
        run.admin.reset()
        plan = run.plan_json(estate)
        assert changed(plan) == {} and plan["summary"]["noop"] == 3 + 9 + 45
        counts = run.admin.requests()["byOperation"]
        assert counts["GalleryImageVersions_ListByGalleryImage"] == 9 * 3  # 5 versions in pages of 2
        assert counts["GalleryImages_ListByGallery"] == 3 * 2
        assert counts["Galleries_ListByResourceGroup"] == 2
