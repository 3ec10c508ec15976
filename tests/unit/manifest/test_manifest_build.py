"""The desired-state model built from manifests: ids, addresses, defaults, normalisation, sources, tags."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from reconciler.azure.target import subscription_precedence
from reconciler.core.model import DEFAULT_SUBSCRIPTION, OWNERSHIP_TAG, SourceKind
from reconciler.kinds.image_definition import Feature
from reconciler.manifest import build_desired_state, load_manifests

from .conftest import NOW, REPO

SUB = "11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def full():  # type: ignore[no-untyped-def]
    bundle, diags = load_manifests([REPO / "manifests" / "full"], env={}, now=NOW)
    assert not diags.has_errors, [str(d) for d in diags]
    state, built = build_desired_state(bundle, SUB)
    assert not built
    return state


def test_quickstart_mirrors_the_az_cli_example() -> None:
    bundle, diags = load_manifests([REPO / "manifests" / "quickstart"], env={}, now=NOW)
    assert not diags
    state, _ = build_desired_state(bundle)
    (version,) = state.versions
    assert version.address == "myGallery/myImageDefinition/1.0.0"
    assert version.id == (
        f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/myGalleryRG/providers/Microsoft.Compute"
        "/galleries/myGallery/images/myImageDefinition/versions/1.0.0"
    )
    assert version.replica_count == 2
    assert [(t.name, t.replica_count, t.storage_account_type) for t in version.target_regions] == [
        ("eastus", 1, "Standard_ZRS"),
        ("southcentralus", 1, None),
        ("westcentralus", None, None),
    ]
    assert version.source is not None and version.source.kind is SourceKind.VIRTUAL_MACHINE
    assert version.source.id == (
        f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/myGalleryRG/providers/Microsoft.Compute/virtualMachines/myVM"
    )
    (definition,) = state.definitions
    assert (definition.os_type, definition.os_state) == ("Linux", "Specialized")
    (group,) = state.resource_groups
    assert (group.name, group.location, group.create) == ("myGalleryRG", "eastus", True)
    assert version.origin is not None and (version.origin.line, version.origin.column) == (28, 11)


def test_every_resource_has_subscription_group_id_and_address(full) -> None:  # type: ignore[no-untyped-def]
    for resource in full.resources:
        assert resource.subscription_id == SUB
        assert resource.id.startswith(f"/subscriptions/{SUB}/resourceGroups/{resource.resource_group}/")
        segments = resource.address.split("/")
        suffix = "/".join(
            f"{kind}/{name}" for kind, name in zip(("galleries", "images", "versions"), segments, strict=False)
        )
        assert resource.id.endswith(f"/providers/Microsoft.Compute/{suffix}")
        assert resource.origin is not None
        assert OWNERSHIP_TAG in resource.tags
    assert [g.address for g in full.galleries] == ["production", "staging"]
    assert {g.resource_group for g in full.galleries} == {"gallery-production", "gallery-staging"}


def test_locations_default_from_scope_and_are_folded(full) -> None:  # type: ignore[no-untyped-def]
    staging = next(g for g in full.galleries if g.name == "staging")
    assert staging.location == "westeurope", "scope.location 'West Europe' folds to the programmatic name"
    assert {v.location for v in full.versions} == {"westeurope"}


def test_features_use_arm_names_and_canonical_values(full) -> None:  # type: ignore[no-untyped-def]
    by_address = {d.address: d for d in full.definitions}
    assert by_address["staging/ubuntu-2204"].features == (
        Feature("DiskControllerTypes", "SCSI, NVMe"),
        Feature("IsAcceleratedNetworkSupported", "True"),
        Feature("IsHibernateSupported", "False"),
        Feature("SecurityType", "TrustedLaunch"),
    )
    # written [NVMe, SCSI]: the same canonical value
    assert Feature("DiskControllerTypes", "SCSI, NVMe") in by_address["staging/ubuntu-2204-arm64"].features
    assert by_address["staging/build-agent"].features == ()


def test_definition_values(full) -> None:  # type: ignore[no-untyped-def]
    ubuntu = next(d for d in full.definitions if d.address == "staging/ubuntu-2204")
    assert ubuntu.end_of_life_date == datetime(2032, 4, 30, tzinfo=timezone.utc)
    assert (ubuntu.recommended_vcpus.min, ubuntu.recommended_vcpus.max) == (2, 16)  # type: ignore[union-attr]
    assert ubuntu.disallowed_disk_types == ("Standard_LRS",)
    assert dict(ubuntu.tags) == {
        "environment": "staging",
        "costCenter": "4711",
        "team": "linux",
        "distro": "ubuntu",
        "gallery-reconciler": "managed",
    }
    cis = next(d for d in full.definitions if d.name == "cis-ubuntu-2204")
    assert cis.purchase_plan is not None and cis.purchase_plan.publisher == "center-for-internet-security-inc"


def test_sources_resolve_to_arm_ids(full) -> None:  # type: ignore[no-untyped-def]
    versions = {v.address: v for v in full.versions}
    promoted = versions["production/ubuntu-2204/1.0.0"].source
    assert promoted is not None and promoted.kind is SourceKind.GALLERY_IMAGE_VERSION
    assert promoted.address == "staging/ubuntu-2204/1.0.0"
    assert promoted.id == versions["staging/ubuntu-2204/1.0.0"].id
    vhd = versions["staging/ubuntu-2204-arm64/1.0.0"].source
    assert vhd is not None and vhd.kind is SourceKind.VHD and vhd.id is None
    assert vhd.uri == "https://imagevhds.blob.core.windows.net/vhds/ubuntu.vhd"
    assert vhd.storage_account_id == (
        f"/subscriptions/{SUB}/resourceGroups/platform-images/providers/Microsoft.Storage/storageAccounts/imagevhds"
    )
    snap = versions["staging/ubuntu-2204/1.1.0"]
    assert [(d.lun, d.source.kind, d.host_caching) for d in snap.data_disks] == [
        (0, SourceKind.SNAPSHOT, "ReadOnly"),
        (1, SourceKind.DISK, "None"),
    ]
    west = next(t for t in snap.target_regions if t.name == "westeurope")
    assert west.encryption is not None
    assert west.encryption.os_disk_encryption_set_id == (
        f"/subscriptions/{SUB}/resourceGroups/platform-keys/providers/Microsoft.Compute/diskEncryptionSets/des-westeurope"
    )
    assert [lun for lun, _ in west.encryption.data_disk_encryption_set_ids] == [0, 1]


def test_version_values(full) -> None:  # type: ignore[no-untyped-def]
    versions = {v.address: v for v in full.versions}
    prod = versions["production/ubuntu-2204/1.0.0"]
    assert [t.name for t in prod.target_regions] == ["eastus2", "northeurope", "westeurope", "westus"]
    assert prod.end_of_life_date == datetime(2030, 12, 31, tzinfo=timezone.utc)
    assert (prod.allow_deletion_of_replicated_locations, prod.block_deletion_before_end_of_life) == (False, True)
    assert prod.storage_account_type == "Standard_ZRS"
    shallow = versions["staging/ubuntu-2204/1.2.0"]
    assert (shallow.replication_mode, shallow.exclude_from_latest) == ("Shallow", True)
    assert ("build", "local") in versions["staging/ubuntu-2204/1.0.0"].tags
    assert [v.name for v in full.versions if v.parent_address == "staging/ubuntu-2204"] == ["1.0.0", "1.1.0", "1.2.0"]


def test_resource_groups_and_policy(full) -> None:  # type: ignore[no-untyped-def]
    assert [(g.name, g.location, g.create) for g in full.resource_groups] == [
        ("gallery-production", "westeurope", True),
        ("gallery-staging", "westeurope", True),
    ]
    assert (full.policy.allow_replace, full.policy.prune) == (False, True)


def test_subscription_resolution_order(write: Callable[[str, str], Path]) -> None:
    text = (REPO / "manifests" / "quickstart" / "gallery.yaml").read_text()
    bundle, _ = load_manifests([write("q.yaml", text)], env={}, now=NOW)
    env = {"AZURE_SUBSCRIPTION_ID": "env-sub"}
    assert subscription_precedence(None, bundle.subscription, {}) is None
    assert subscription_precedence(None, bundle.subscription, env) == "env-sub"
    assert subscription_precedence("flag-sub", bundle.subscription, env) == "flag-sub"
    pinned, _ = load_manifests(
        [write("p.yaml", text.replace("scope:\n", f"scope:\n  subscription: {SUB}\n"))], env={}, now=NOW
    )
    assert subscription_precedence(None, pinned.subscription, env) == SUB
    assert subscription_precedence("flag-sub", pinned.subscription, env) == "flag-sub"
    assert build_desired_state(pinned)[0].galleries[0].subscription_id == SUB
    assert build_desired_state(bundle)[0].galleries[0].subscription_id == DEFAULT_SUBSCRIPTION


def test_a_bundle_with_errors_is_not_built(write: Callable[[str, str], Path]) -> None:
    bundle, diags = load_manifests(
        [write("bad.yaml", "apiVersion: gallery-reconciler/v1\ngalleries: {x-y: {}}\n")], env={}
    )
    assert diags.has_errors
    state, built = build_desired_state(bundle)
    assert state.galleries == () and built.has_errors


def test_a_past_end_of_life_depends_on_now(write: Callable[[str, str], Path]) -> None:
    text = (REPO / "manifests" / "full" / "production" / "gallery.yaml").read_text()
    path = write(
        "prod.yaml", text.replace("address: staging/ubuntu-2204/1.0.0", "address: production/ubuntu-2204/1.0.0")
    )
    _, early = load_manifests([path], env={}, now=NOW)
    _, late = load_manifests([path], env={}, now=datetime(2031, 1, 1, tzinfo=timezone.utc))
    assert not any("future date" in d.message for d in early)
    assert any("EndOfLifeDate must be set to a future date" in d.message for d in late)


WARNED = """apiVersion: gallery-reconciler/v1
scope: {resourceGroup: rg, location: eastus}
galleries:
  g:
    definitions:
      d:
        identifier: {publisher: p, offer: o, sku: s}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        versions:
          "1.0.0":
            source: {managedImage: {name: base}}
            safety: {blockDeletionBeforeEndOfLife: true}
            targetRegions: [westeurope]
"""


def test_warnings_do_not_fail_validation(write: Callable[[str, str], Path]) -> None:
    bundle, diags = load_manifests([write("w.yaml", WARNED)], env={}, now=NOW)
    assert not diags.has_errors
    assert sorted(d.message for d in diags.warnings) == [
        "blockDeletionBeforeEndOfLife has no effect without an endOfLifeDate",
        "the target regions do not include the version's own location (eastus)",
    ]
    state, _ = build_desired_state(bundle)
    assert state.versions[0].block_deletion_before_end_of_life is True
