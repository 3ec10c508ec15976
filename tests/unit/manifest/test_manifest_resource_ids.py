"""Source references mean one resource: ids parsed strictly, names by Azure's rules for their type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.manifest import build_desired_state, load_manifests
from reconciler.manifest.resource_ids import id_problem

from .conftest import NOW

SUB = "00000000-0000-0000-0000-000000000000"
BASE = f"/subscriptions/{SUB}/resourceGroups/rg/providers"
GOOD = {
    "virtualMachine": f"{BASE}/Microsoft.Compute/virtualMachines/my_vm.01",
    "managedImage": f"{BASE}/Microsoft.Compute/images/ubuntu-base_1",
    "snapshot": f"{BASE}/Microsoft.Compute/snapshots/os.snap",
    "disk": f"{BASE}/Microsoft.Compute/disks/data-disk_1",
    "galleryImageVersion": f"{BASE}/Microsoft.Compute/galleries/my.gallery/images/ubuntu-22/versions/1.0.0",
    "storageAccount": f"{BASE}/Microsoft.Storage/storageAccounts/imagevhds01",
    "diskEncryptionSet": f"{BASE}/Microsoft.Compute/diskEncryptionSets/des_weu-1",
}


@pytest.mark.parametrize("kind", list(GOOD))
def test_well_formed_ids_of_each_kind_pass_in_any_case(kind: str) -> None:
    assert id_problem(GOOD[kind], kind) is None
    lowered = GOOD[kind].replace("resourceGroups", "resourcegroups").replace("Microsoft", "microsoft")
    assert id_problem(lowered, kind) is None


@pytest.mark.parametrize(
    ("kind", "value", "fragment"),
    [
        ("managedImage", GOOD["managedImage"] + "?api-version=1", "has no query string or fragment"),
        ("managedImage", GOOD["managedImage"] + "#frag", "has no query string or fragment"),
        ("managedImage", GOOD["managedImage"] + "/", "empty, '.' or '..' path segments"),
        ("managedImage", f"{BASE}/Microsoft.Compute/images/../snapshots/x", "'..' path segments"),
        ("managedImage", f"{BASE}//Microsoft.Compute/images/x", "empty, '.' or '..' path segments"),
        ("managedImage", GOOD["managedImage"] + " ", "whitespace or control characters"),
        ("managedImage", GOOD["snapshot"], "is not the id of a managed image"),
        ("managedImage", GOOD["managedImage"] + "/providers/Microsoft.Foo/bars/x", "is not the id of a managed image"),
        ("snapshot", GOOD["snapshot"].replace(SUB, "my-subscription"), "is not a subscription id (a GUID)"),
        ("snapshot", GOOD["snapshot"].replace("/rg/", "/rg./"), "resource group 'rg.'"),
        ("snapshot", GOOD["snapshot"].replace("os.snap", "os.snap."), "snapshot names are 1-80"),
        ("virtualMachine", GOOD["virtualMachine"].replace("my_vm.01", "_vm"), "virtual machine names"),
        ("virtualMachine", GOOD["virtualMachine"].replace("my_vm.01", "vm-"), "virtual machine names"),
        ("storageAccount", GOOD["storageAccount"].replace("imagevhds01", "Image_VHDs"), "3-24 lowercase"),
        ("diskEncryptionSet", GOOD["diskEncryptionSet"].replace("des_weu-1", "des.weu"), "disk encryption set names"),
        ("galleryImageVersion", GOOD["galleryImageVersion"].replace("my.gallery", "my-gallery"), "Gallery name is"),
        ("galleryImageVersion", GOOD["galleryImageVersion"].replace("1.0.0", "1.0"), "image version name is invalid"),
        ("galleryImageVersion", GOOD["galleryImageVersion"].replace("ubuntu-22", "ubuntu-"), "image definition names"),
    ],
)
def test_ids_that_mean_something_else_are_refused(kind: str, value: str, fragment: str) -> None:
    problem = id_problem(value, kind)
    assert problem is not None and fragment in problem[0], problem
    assert problem[0].startswith(f"'{value}' is not ")


_ALNUM = st.sampled_from("abcXYZ019")
_MIDDLE = st.text(st.sampled_from("abcXYZ019_.-"), max_size=20)


@given(_ALNUM, _MIDDLE, _ALNUM, st.sampled_from(["managedImage", "snapshot", "disk"]))
def test_every_name_azure_allows_is_accepted(first: str, middle: str, last: str, kind: str) -> None:
    name = first + middle + last
    segment = {"managedImage": "images", "snapshot": "snapshots", "disk": "disks"}[kind]
    assert id_problem(f"{BASE}/Microsoft.Compute/{segment}/{name}", kind) is None


@given(st.text(min_size=1, max_size=12), st.sampled_from(["?", "#", "/", "/../", "\n", " "]), st.text(max_size=12))
def test_a_path_or_query_character_in_a_name_is_never_accepted(before: str, bad: str, after: str) -> None:
    value = f"{BASE}/Microsoft.Compute/images/{before}{bad}{after}"
    assert id_problem(value, "managedImage") is not None


MANIFEST = """apiVersion: gallery-reconciler/v1
scope: {{resourceGroup: rg, location: westeurope}}
galleries:
  corp:
    definitions:
      ubuntu:
        identifier: {{publisher: p, offer: o, sku: s}}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        versions:
          "1.0.0":
            source: {{{source}}}
            targetRegions: [westeurope]
"""


@pytest.mark.parametrize(
    ("source", "path"),
    [
        ("virtualMachine: {name: 'myVM/../../images/x'}", "source.virtualMachine.name"),
        ("virtualMachine: {name: 'myVM?x=1#'}", "source.virtualMachine.name"),
        ("virtualMachine: {resourceGroup: '../../../subscriptions/x', name: vm}", "virtualMachine.resourceGroup"),
        ("managedImage: {name: 'img#1'}", "source.managedImage.name"),
        ("snapshot: {name: '..'}", "source.snapshot.name"),
        ("disk: {name: 'a/b'}", "source.disk.name"),
        ("snapshot: {name: s, subscription: 'x/y'}", "source.snapshot.subscription"),
        ("vhd: {uri: 'https://a.blob.core.windows.net/v/x.vhd', storageAccount: {name: 'a/b'}}", "storageAccount.name"),
    ],
)
def test_names_by_parts_are_checked_by_type_and_never_built(
    write: Callable[[str, str], Path], source: str, path: str
) -> None:
    bundle, diags = load_manifests([write("m.yaml", MANIFEST.format(source=source))], env={}, now=NOW)
    (only,) = diags.errors
    assert only.path is not None and only.path.endswith(path) and only.line == 13
    assert "is invalid" in only.message
    assert not build_desired_state(bundle)[0].versions


def test_names_by_parts_build_the_id_of_that_resource(write: Callable[[str, str], Path]) -> None:
    source = "virtualMachine: {resourceGroup: other-rg, name: my_vm.01}"
    bundle, diags = load_manifests([write("m.yaml", MANIFEST.format(source=source))], env={}, now=NOW)
    assert not diags
    (version,) = build_desired_state(bundle)[0].versions
    assert version.source is not None
    assert version.source.id == GOOD["virtualMachine"].replace("/rg/", "/other-rg/")
    assert id_problem(version.source.id, "virtualMachine") is None
