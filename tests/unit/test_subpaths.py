"""Structured field differences name the sub-path that changed, in one path notation (regions, LUNs keyed)."""

from __future__ import annotations

from dataclasses import replace

from reconciler.core.changes import Action
from reconciler.core.diff import diff_states
from reconciler.core.keyed import Keyed, explain
from reconciler.core.model import Source, SourceKind
from reconciler.kinds.image_version import AdditionalReplicaSet, DataDisk, RegionEncryption, TargetRegion
from tests.unit.plan_fixtures import as_live, definition, desired_state, gallery, live_state, version

DES = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/diskEncryptionSets/"


def _diff(live_version, desired_version):  # type: ignore[no-untyped-def]
    live = live_state(as_live(gallery()), as_live(definition()), as_live(live_version))
    changes = diff_states(desired_state(gallery(), definition(), desired_version), live)
    return next(c for c in changes if c.address == desired_version.address)


def test_explain_keys_set_members_in_brackets_and_properties_with_dots() -> None:
    before = {"osDiskImage": "a", "dataDiskImages": Keyed({"lun=1": "x", "lun=2": "y"})}
    after = {"osDiskImage": "a", "dataDiskImages": Keyed({"lun=1": "z", "lun=2": "y"})}
    assert explain("p", before, after, before, after) == [("p.dataDiskImages[lun=1]", "x", "z")]


def test_explain_of_unstructured_values_is_the_field_itself() -> None:
    assert explain("p", None, {"a": 1}, None, {"a": 1}) == [("p", None, {"a": 1})]
    assert explain("p", "a", "b", "a", "b") == [("p", "a", "b")]


def test_a_changed_data_disk_encryption_set_names_the_region_and_the_lun() -> None:
    old = RegionEncryption(DES + "os", ((1, DES + "old"), (2, DES + "two")))
    new = replace(old, data_disk_encryption_set_ids=((1, DES + "new"), (2, DES + "two")))
    live_v = version(target_regions=(TargetRegion("westeurope", encryption=old),))
    desired_v = version(target_regions=(TargetRegion("westeurope", encryption=new),))
    change = _diff(live_v, desired_v)
    assert change.action is Action.REPLACE
    assert [(f.path, f.before, f.after, f.forces_replace) for f in change.changes] == [
        (
            "publishingProfile.targetRegions[westeurope].encryption.dataDiskImages[lun=1]",
            DES + "old",
            DES + "new",
            True,
        )
    ]


def test_a_changed_source_names_the_id_only() -> None:
    live_v = version()
    desired_v = version(source=replace(live_v.source, id=live_v.source.id + "-v2"))  # type: ignore[union-attr]
    change = _diff(live_v, desired_v)
    assert [f.path for f in change.changes] == ["storageProfile.source.id"]


def test_additional_replica_sets_update_in_place_by_storage_type() -> None:
    sets = (AdditionalReplicaSet("PremiumV2_LRS", 1),)
    live_v = version(target_regions=(TargetRegion("westeurope", additional_replica_sets=sets),))
    more = (AdditionalReplicaSet("PremiumV2_LRS", 3),)
    desired_v = version(target_regions=(TargetRegion("westeurope", additional_replica_sets=more),))
    change = _diff(live_v, desired_v)
    assert change.action is Action.UPDATE
    assert [(f.path, f.before, f.after) for f in change.changes] == [
        ("publishingProfile.targetRegions[westeurope].additionalReplicaSets[PremiumV2_LRS].regionalReplicaCount", 1, 3)
    ]
    # unmentioned: Azure's sets are left alone, no change
    unmanaged = version(target_regions=(TargetRegion("westeurope"),))
    assert _diff(live_v, unmanaged).action is Action.NOOP


SNAP = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/snapshots/"


def _disk(lun: int, name: str) -> DataDisk:
    return DataDisk(lun, Source(SourceKind.SNAPSHOT, id=SNAP + name))


def test_removing_a_declared_data_disk_replaces_the_version_and_names_it() -> None:
    live_v = version(data_disks=(_disk(0, "a"), _disk(1, "b")))
    change = _diff(live_v, version(data_disks=(_disk(0, "a"),)))
    assert change.action is Action.REPLACE
    assert [(f.path, f.after, f.forces_replace) for f in change.changes] == [
        ("storageProfile.dataDiskImages[lun=1]", None, True)
    ]


def test_moving_a_data_disk_to_another_lun_names_the_removal_and_the_addition() -> None:
    change = _diff(version(data_disks=(_disk(5, "a"),)), version(data_disks=(_disk(6, "a"),)))
    assert change.action is Action.REPLACE
    assert sorted((f.path, f.before is None) for f in change.changes) == [
        ("storageProfile.dataDiskImages[lun=5]", False),
        ("storageProfile.dataDiskImages[lun=6].source", True),
    ]


def test_data_disks_azure_derives_from_the_source_are_never_diffed() -> None:
    derived = (DataDisk(0, None, "ReadOnly"), DataDisk(1, None, "ReadWrite"))
    change = _diff(version(data_disks=derived), version())
    assert change.action is Action.NOOP
