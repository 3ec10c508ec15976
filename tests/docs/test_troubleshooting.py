"""docs/troubleshooting.md shows what reconcile really prints for each of Azure's gallery errors.

Each section of the page's error catalogue (API-FACTS §5.3) has a scenario here that brings the situation
about against the emulator (or offline, for what `reconcile validate` catches first); every line of the
section's ```text block must appear in the output. Sections without a block are the errors the emulator
cannot produce; they are listed here, and the page must say so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.docs.markdown import blocks
from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
VM = SUB + "/resourceGroups/myGalleryRG/providers/Microsoft.Compute/virtualMachines/myVM"
HEAD = "apiVersion: gallery-reconciler/v1\nscope: {resourceGroup: myGalleryRG, location: eastus}\n"
DEFINITION = """galleries:
  myGallery:
    definitions:
      myImageDefinition:
        identifier: {publisher: myPublisher, offer: myOffer, sku: mySKU}
        osType: Linux
        osState: {state}
"""


def write(run: Cli, body: str) -> str:
    """The manifest `manifests/gallery.yaml` (relative, so messages name it so); returns the directory."""
    folder = run.workdir / "manifests"
    folder.mkdir(exist_ok=True)
    (folder / "gallery.yaml").write_text(HEAD + body, encoding="utf-8")
    return "manifests/"


def definition(state: str = "Specialized", versions: str = "") -> str:
    return DEFINITION.replace("{state}", state) + versions


def version(source: str, regions: str, extra: str = "") -> str:
    return (
        f'        versions:\n          "1.0.0":\n'
        f"            source: {source}\n            targetRegions: {regions}\n{extra}"
    )


def validate(run: Cli, body: str) -> Result:
    return run("validate", write(run, body), expect=1)


def d(extra: str) -> str:
    """A definition `d` in gallery `g` plus `extra` lines."""
    return (
        "galleries:\n  g:\n    definitions:\n      d:\n        identifier: {publisher: p, offer: o, sku: s}\n"
        "        osType: Linux\n        osState: Generalized\n" + extra
    )


def v(extra: str) -> str:
    return d("        versions:\n          '1.0.0':\n" + extra)


def s_immutable(run: Cli) -> str:
    run("apply", "--auto-approve", write(run, definition()))
    return run("plan", write(run, definition("Generalized"))).output


def s_location(run: Cli) -> str:
    run("apply", "--auto-approve", write(run, definition()))
    moved = definition().replace("  myGallery:\n", "  myGallery:\n    location: westeurope\n")
    return run("plan", write(run, moved)).output


def s_nested(run: Cli) -> str:
    run("apply", "--auto-approve", write(run, definition()))
    body = {
        "location": "eastus",
        "properties": {"publishingProfile": {"targetRegions": [{"name": "eastus"}]},
                       "storageProfile": {"source": {"id": VM}}},
    }  # fmt: skip
    versions = run.compute().gallery_image_versions
    versions.begin_create_or_update("myGalleryRG", "myGallery", "myImageDefinition", "9.0.0", body).result()
    return run("apply", "--auto-approve", "--prune", write(run, "galleries: {}\n")).output


def s_gone(run: Cli) -> str:
    run("apply", "--auto-approve", write(run, definition()))
    run(
        "plan",
        "--out",
        "plan.json",
        write(run, definition(versions=version("{virtualMachine: {name: myVM}}", "[westcentralus, eastus]"))),
    )
    run.compute().gallery_images.begin_delete("myGalleryRG", "myGallery", "myImageDefinition").result()
    return run("apply", "plan.json", expect=1).output


def s_not_found(run: Cli) -> str:
    run("apply", "--auto-approve", write(run, definition()))
    return run(
        "status",
        write(run, definition(versions=version("{virtualMachine: {name: myVM}}", "[westcentralus, eastus]"))),
        expect=1,
    ).output


def s_gallery_name(run: Cli) -> str:
    return validate(run, "galleries:\n  my-gallery: {}\n").output


def s_definition_name(run: Cli) -> str:
    return validate(run, d("").replace("      d:\n", "      -myImage:\n")).output


def s_identifier(run: Cli) -> str:
    return validate(run, d("").replace("publisher: p,", "publisher: p.,")).output


def s_duplicate_identifier(run: Cli) -> str:
    compute = run.compute()
    compute.galleries.begin_create_or_update("myGalleryRG", "myGallery", {"location": "eastus"}).result()
    identifier = {"publisher": "myPublisher", "offer": "myOffer", "sku": "mySKU"}
    body = {"location": "eastus", "properties": {"identifier": identifier, "osType": "Linux", "osState": "Specialized"}}
    compute.gallery_images.begin_create_or_update("myGalleryRG", "myGallery", "other", body).result()
    live = run("plan", write(run, definition())).output
    second = (
        "      e:\n        identifier: {publisher: p, offer: o, sku: s}\n"
        "        osType: Linux\n        osState: Generalized\n"
    )
    return live + validate(run, d(second)).output


def s_gallery_not_unique(run: Cli) -> str:
    run.compute().galleries.begin_create_or_update("platform-images", "myGallery", {"location": "westeurope"}).result()
    return run("plan", write(run, definition())).output


def s_end_of_life(run: Cli) -> str:
    return validate(run, d("        endOfLifeDate: 2001-01-01\n")).output


def s_min_max(run: Cli) -> str:
    return validate(run, d("        recommended: {vCPUs: {min: 8, max: 2}}\n")).output


def s_version_name(run: Cli) -> str:
    wrong = "        versions:\n          '1.0':\n            source: {virtualMachine: {name: vm}}\n"
    return validate(run, d(wrong + "            targetRegions: [eastus]\n")).output


def s_source_region(run: Cli) -> str:
    image = "{managedImage: {resourceGroup: platform-images, name: ubuntu-base}}"  # in westeurope
    elsewhere = refused_unwritten(run, write(run, definition("Generalized", version(image, "[westeurope, eastus]"))))
    vm = "{virtualMachine: {name: myVM}}"  # in eastus, the gallery's region
    omitted = write(run, definition(versions=version(vm, "[westcentralus]")))
    return elsewhere + run("apply", "--auto-approve", omitted, expect=1).output


def s_duplicate_regions(run: Cli) -> str:
    return validate(
        run, v("            source: {snapshot: {name: s}}\n            targetRegions: [eastus, East US]\n")
    ).output


def refused_unwritten(run: Cli, path: str) -> str:
    """What `apply` prints for a plan it refuses, after checking that it wrote nothing (no gallery)."""
    output = run("apply", "--auto-approve", path, expect=1).output
    assert not list(run.compute().galleries.list_by_resource_group("myGalleryRG")), output
    return output


def s_source_not_found(run: Cli) -> str:
    return refused_unwritten(
        run, write(run, definition(versions=version("{virtualMachine: {name: noSuchVM}}", "[eastus]")))
    )


GEN1_IMAGE = {
    "resourceGroup": "platform-images",
    "name": "gen1-base",
    "location": "westeurope",
    "osType": "Linux",
    "osState": "Generalized",
    "hyperVGeneration": "V1",
}


def s_os_state(run: Cli) -> str:
    run.admin.seed({"images": [GEN1_IMAGE]})
    image = "{managedImage: {resourceGroup: platform-images, name: %s}}"
    specialized = definition(versions=version(image % "ubuntu-base", "[westeurope]"))
    unset_generation = (
        "      myGen1Definition:\n        identifier: {publisher: myPublisher, offer: myOffer, sku: gen1}\n"
        "        osType: Linux\n        osState: Generalized\n" + version(image % "gen1-base", "[westeurope]")
    )
    body = (specialized + unset_generation).replace("  myGallery:\n", "  myGallery:\n    location: westeurope\n")
    return refused_unwritten(run, write(run, body))


def s_luns(run: Cli) -> str:
    disks = (
        "            dataDisks:\n"
        "              - {lun: 0, source: {snapshot: {name: a}}}\n"
        "              - {lun: 0, source: {snapshot: {name: b}}}\n"
    )
    return validate(
        run, v("            source: {snapshot: {name: s}}\n" + disks + "            targetRegions: [eastus]\n")
    ).output


def s_zrs(run: Cli) -> str:
    regions = "            targetRegions: [eastus, westcentralus=1=standard_zrs]\n"
    return validate(run, v("            source: {snapshot: {name: s}}\n" + regions)).output


def s_end_of_life_block(run: Cli) -> str:
    safety = "            endOfLifeDate: 2030-01-01\n            safety: {blockDeletionBeforeEndOfLife: true}\n"
    run(
        "apply",
        "--auto-approve",
        write(run, definition(versions=version("{virtualMachine: {name: myVM}}", "[westcentralus, eastus]", safety))),
    )
    return run("apply", "--auto-approve", "--prune", write(run, definition()), expect=0).output


def s_replication(run: Cli) -> str:
    run.admin.faults(failRegions=["westcentralus"])
    path = write(run, definition(versions=version("{virtualMachine: {name: myVM}}", "[westcentralus, eastus]")))
    output = run("apply", "--auto-approve", path, expect=1).output
    run.admin.clear_faults()
    return output + run("plan", path).output


def s_throttled(run: Cli) -> str:
    run.admin.faults(next429=2, retryAfter=1)
    output = run("apply", "--auto-approve", write(run, definition())).output
    run.admin.faults(rate429=1.0, retryAfter=1)  # every request refused: the retries run out
    return output + run("plan", write(run, definition()), expect=1).output


SCENARIOS: dict[str, Callable[[Cli], str]] = {
    "Changing an immutable property: `PropertyChangeNotAllowed`": s_immutable,
    "Changing a location: `InvalidResourceLocation`": s_location,
    "Deleting a parent with children: `CannotDeleteResource`": s_nested,
    "A parent that is gone: `ParentResourceNotFound`": s_gone,
    "A resource that is not there: `ResourceNotFound`": s_not_found,
    "Gallery name: `InvalidResourceName`": s_gallery_name,
    "Image definition name": s_definition_name,
    "Publisher, offer or SKU": s_identifier,
    "Publisher, offer and SKU already used in the gallery": s_duplicate_identifier,
    "Gallery name used elsewhere in the subscription": s_gallery_not_unique,
    "End of life in the past": s_end_of_life,
    "Recommended minimum above maximum": s_min_max,
    "Image version name": s_version_name,
    "Source region not a target region": s_source_region,
    "Duplicate target regions": s_duplicate_regions,
    "Source not found": s_source_not_found,
    "OS state, OS type or Hyper-V generation of the source": s_os_state,
    "Duplicate LUNs": s_luns,
    "Zone-redundant storage where the region has none": s_zrs,
    "Deleting before the end of life: `DeleteGalleryImageVersionBlockedBeforeEndOfLife`": s_end_of_life_block,
    "Replication failed: `CrpPirReplicationJobsNotCompleted`": s_replication,
    "Throttled: 429": s_throttled,
}  # fmt: skip
SLOW = {"Deleting a parent right after its children: `CannotDeleteResource` again"}
NOT_REPRODUCED = {
    "Updating a version being deleted: `OperationNotAllowed`",
    "A body Azure cannot read: `BadRequest`",
    "A property the API version does not know: `InvalidParameter`",
    "An API version Azure does not serve: `NoRegisteredProviderFound`",
}


def _sections() -> dict[str, str]:
    catalogue = PAGE.split("## Azure's errors", 1)[1].split("\n## ", 1)[0]
    parts = catalogue.split("\n### ")[1:]
    return {part.split("\n", 1)[0].strip(): part for part in parts}


def test_every_section_has_a_scenario_or_says_why_not() -> None:
    sections = _sections()
    assert set(sections) == set(SCENARIOS) | SLOW | NOT_REPRODUCED
    for title in NOT_REPRODUCED:
        assert "not reproduced" in " ".join(sections[title].split()).lower() and not [
            b for b in blocks(sections[title]) if b.language == "text"
        ]


def _expected(title: str) -> list[str]:
    [block] = [b for b in blocks(_sections()[title]) if b.language == "text"]
    return block.text.splitlines()


@pytest.mark.parametrize("title", list(SCENARIOS))
def test_reconcile_says_what_the_page_shows(run: Cli, title: str) -> None:
    output = SCENARIOS[title](run)
    for line in _expected(title):
        assert line in output, f"{title}: reconcile did not print\n{line}\nbut:\n{output}"


def test_a_parent_delete_azure_refuses_for_a_while_is_retried(emulated: Callable[..., object]) -> None:
    [title] = SLOW
    with emulated(delete_consistency_seconds=1.5) as run:  # type: ignore[attr-defined]
        run("apply", "--auto-approve", write(run, definition()))
        output = run("apply", "--auto-approve", "--prune", write(run, "galleries: {}\n")).output
    for line in _expected(title):
        assert line in output, f"{title}: reconcile did not print\n{line}\nbut:\n{output}"
