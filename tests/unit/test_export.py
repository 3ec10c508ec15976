"""Export without Azure: each kind's `to_manifest`, the YAML writer, files and estates (live models from fixtures)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.core import model as m
from reconciler.core.changes import Action
from reconciler.core.diff import diff_states
from reconciler.errors import UserError
from reconciler.kinds import IMAGE_DEFINITION, IMAGE_VERSION
from reconciler.kinds.image_definition import Feature
from reconciler.kinds.image_version import DataDisk, RegionEncryption, TargetRegion
from reconciler.manifest import build_desired_state, load_manifests
from reconciler.manifest.export import ExportRequest, export_estate
from reconciler.manifest.yaml_source import parse_yaml
from reconciler.manifest.yaml_writer import Block, Quoted, dump, scalar
from tests.unit.plan_fixtures import RG, SUB, as_live, definition, gallery, live_state, region, version

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
OTHER = "22222222-2222-2222-2222-222222222222"


def ref(kind: str, name: str, group: str = "platform", sub: str = SUB) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{group}/providers/{m.ARM_TYPES[kind]}/{name}"


class Context:
    """A stand-in for the exporter's context: the gallery's group is RG, the target subscription SUB."""

    def __init__(self) -> None:
        self.now = NOW
        self.notes: list[str] = []

    def reference(self, kind: str, resource_id: str) -> Any:
        from reconciler.manifest.export import _Context

        return _Context(ExportRequest(SUB, RG, NOW), []).reference(kind, resource_id)

    def version_source(self, resource_id: str) -> Any:
        return resource_id

    def inherited_location(self, resource: Any) -> str:
        return "westeurope"

    def note(self, resource: Any, text: str) -> None:
        self.notes.append(text)


def test_references_are_structured_in_the_target_subscription_and_ids_elsewhere() -> None:
    context = Context()
    assert context.reference("snapshot", ref("snapshot", "s", RG)) == {"name": "s"}
    assert context.reference("snapshot", ref("snapshot", "s")) == {"resourceGroup": "platform", "name": "s"}
    elsewhere = ref("snapshot", "s", sub=OTHER)
    assert context.reference("snapshot", elsewhere) == elsewhere


def test_a_version_writes_what_differs_from_azures_defaults() -> None:
    snapshot = m.Source(m.SourceKind.SNAPSHOT, id=ref("snapshot", "os"))
    des = ref("diskEncryptionSet", "des", sub=OTHER)
    live = version(
        source=snapshot,
        os_disk_host_caching="ReadWrite",  # Azure's default for a disk source
        data_disks=(
            DataDisk(0, m.Source(m.SourceKind.DISK, id=ref("disk", "data")), "ReadOnly"),
            DataDisk(2, m.Source(m.SourceKind.SNAPSHOT, id=ref("snapshot", "data2", RG)), "None"),
        ),
        replica_count=2,
        target_regions=(
            TargetRegion("northeurope", 2, "Standard_ZRS"),  # both defaults: the bare name
            TargetRegion("ukwest", 2, "Standard_LRS"),  # no ZRS in ukwest: LRS is its default
            TargetRegion("westeurope", 3, "Premium_LRS"),
            TargetRegion("swedencentral", 2, "Standard_ZRS", True, RegionEncryption(des, ((2, des),))),
        ),
        exclude_from_latest=False,
        end_of_life_date=datetime(2030, 5, 1, tzinfo=timezone.utc),
        block_deletion_before_end_of_life=False,
        allow_deletion_of_replicated_locations=True,
    )
    written = IMAGE_VERSION.to_manifest(live, Context())
    assert written == {
        "source": {"snapshot": {"resourceGroup": "platform", "name": "os"}},
        "dataDisks": [
            {"lun": 0, "source": {"disk": {"resourceGroup": "platform", "name": "data"}}},
            {"lun": 2, "hostCaching": "None", "source": {"snapshot": {"name": "data2"}}},
        ],
        "targetRegions": [
            "westeurope=3=Premium_LRS",  # the version's own region first
            "northeurope",
            {
                "name": "swedencentral",
                "excludeFromLatest": True,
                "encryption": {"osDiskEncryptionSet": des, "dataDiskEncryptionSets": {2: des}},
            },
            "ukwest",
        ],
        "replicaCount": 2,
        "endOfLifeDate": "2030-05-01",
        "safety": {"allowDeletionOfReplicatedLocations": True},
    }


def test_derived_data_disks_and_a_derived_host_caching_are_not_written() -> None:
    image = m.Source(m.SourceKind.MANAGED_IMAGE, id=ref("managedImage", "base"))
    live = version(source=image, os_disk_host_caching="ReadOnly", data_disks=(DataDisk(0, None, "ReadOnly"),))
    assert IMAGE_VERSION.to_manifest(live, Context()) == {
        "source": {"managedImage": {"resourceGroup": "platform", "name": "base"}},
        "targetRegions": ["westeurope"],
    }


def test_a_version_level_storage_type_is_kept_and_regions_differing_from_it_say_so() -> None:
    live = version(
        storage_account_type="Standard_LRS",
        target_regions=(region("westeurope", 1, "Standard_LRS"), region("eastus2", 1, "Standard_ZRS")),
    )
    written = IMAGE_VERSION.to_manifest(live, Context())
    assert written["targetRegions"] == ["westeurope", "eastus2=1=Standard_ZRS"]
    assert written["storageAccountType"] == "Standard_LRS"


def test_a_past_end_of_life_date_is_left_out_with_a_note() -> None:
    context = Context()
    live = version(end_of_life_date=datetime(2024, 1, 1, 12, tzinfo=timezone.utc))
    assert "endOfLifeDate" not in IMAGE_VERSION.to_manifest(live, context)
    assert context.notes == [
        "endOfLifeDate 2024-01-01T12:00:00Z has passed: left out (Azure keeps it; validate refuses past dates)"
    ]


def test_a_definition_leaves_out_x64_and_notes_features_without_a_manifest_form() -> None:
    context = Context()
    live = definition(
        hyper_v_generation="v2",
        architecture="x64",
        location="northeurope",
        features=(Feature("IsAcceleratedNetworkSupported", "True"), Feature("SomethingNew", "yes")),
    )
    written = IMAGE_DEFINITION.to_manifest(live, context)
    assert written == {
        "identifier": {"publisher": "acme", "offer": "ubuntu", "sku": "ubuntu"},
        "osType": "Linux",
        "osState": "Generalized",
        "hyperVGeneration": "V2",
        "location": "northeurope",
        "features": {"acceleratedNetworking": True},
    }
    assert context.notes == ["feature SomethingNew=yes has no manifest form: left to Azure"]


def _export(*resources: Any, **options: Any) -> Any:
    request = ExportRequest(SUB, RG, NOW, output=Path("/x/out"), schema=Path("/x/schemas/s.json"), **options)
    return export_estate([as_live(r) for r in resources], request)


def test_exported_files_load_back_into_the_same_desired_state(tmp_path: Path) -> None:
    resources = (
        gallery(description="d"),
        definition(),
        version(),
        version("1.10.0", source=m.Source(m.SourceKind.GALLERY_IMAGE_VERSION, id=version().id)),
    )
    result = _export(*resources, adopt=True)
    (path, text), *_ = result.files.items()
    assert path == PurePosixPath("gal.yaml")
    assert text.startswith("# yaml-language-server: $schema=../schemas/s.json\n")
    assert "source: {galleryImageVersion: {address: gal/ubuntu/1.0.0}}" in text
    (tmp_path / "gal.yaml").write_text(text)
    bundle, diags = load_manifests([str(tmp_path)], env={})
    assert not diags.has_errors, [str(d) for d in diags]
    desired, _ = build_desired_state(bundle, SUB)
    assert desired.policy.adopt
    changes = diff_states(desired, live_state(*(as_live(r) for r in resources)))
    assert {c.address: c.action for c in changes} == {r.address: Action.NOOP for r in resources}


def test_the_definition_layout_moves_the_gallery_file_aside_for_a_definition_named_gallery() -> None:
    result = _export(gallery(), definition("gallery"), definition("ubuntu"), layout="definition")
    assert list(result.files) == [
        PurePosixPath("gal/_gallery.yaml"),
        PurePosixPath("gal/gallery.yaml"),
        PurePosixPath("gal/ubuntu.yaml"),
    ]
    assert "definitions" not in result.files[PurePosixPath("gal/_gallery.yaml")]
    assert result.files[PurePosixPath("gal/ubuntu.yaml")].startswith("# yaml-language-server: $schema=../../schemas/")


def test_a_version_that_cannot_be_written_is_left_out_with_a_comment() -> None:
    result = _export(gallery(), definition(), version(), version("2.0.0", source=None))
    text = result.files[PurePosixPath("gal.yaml")]
    assert "# version 2.0.0 left out: its source is not visible in Azure's answer" in text
    assert result.left_out == ["gal/ubuntu/2.0.0: its source is not visible in Azure's answer"]
    assert result.counts == {"gallery": 1, "definition": 1, "version": 1}


def test_a_named_estate_is_written_and_several_estates_are_refused() -> None:
    team = (m.OWNERSHIP_TAG_NAME, "team-a")
    result = _export(replace(gallery(), tags=(team,)), replace(definition(), tags=()))
    assert "settings: {estate: team-a}" in result.files[PurePosixPath("gal.yaml")]
    assert result.unowned == ["gal/ubuntu"]
    with pytest.raises(UserError, match="several estates"):
        _export(replace(gallery(), tags=(team,)), definition())


def test_the_writer_lays_out_blocks_and_flow_values() -> None:
    doc = Block(
        {
            "apiVersion": "v1",
            "galleries": Block({"g": Block({"versions": Block({Quoted.of("1.0.0"): {"tags": {"a": "yes"}}})})}),
            "long": ["x" * 60, "y" * 60],
        },
        {"galleries": ["a note"]},
    )
    assert dump(doc, ["head", ""]) == (
        "# head\n#\napiVersion: v1\n# a note\ngalleries:\n  g:\n    versions:\n"
        "      \"1.0.0\": {tags: {a: 'yes'}}\nlong:\n  - " + "x" * 60 + "\n  - " + "y" * 60 + "\n"
    )


@given(
    st.text(max_size=30)
    | st.from_regex(r"[A-Za-z][A-Za-z0-9_.=/: -]{0,8}", fullmatch=True)
    | st.sampled_from(["yes", "No", "OFF", "null", "~", "1.0", "010", "1_0", "2030-12-31", "0x1f", ".inf"])
    | st.integers()
    | st.booleans()
)
def test_scalars_read_back_as_written(value: Any) -> None:
    for text in (f"k: {scalar(value, flow=False)}\n", f"k: [{scalar(value)}]\n"):
        (doc,), diags = parse_yaml("apiVersion: x\n" + text, "f.yaml")
        assert not diags.has_errors, text
        got = doc.data["k"]
        assert (got[0] if isinstance(got, list) else got) == value


def test_a_gallery_writes_sharing_and_soft_delete_unless_they_are_azures_defaults() -> None:
    from reconciler.kinds import GALLERY
    from reconciler.kinds.gallery import CommunityInfo, Sharing

    member = "aaaaaaaa-0000-0000-0000-00000000000a"
    shared = gallery(soft_delete=True, retention_days=7, grace_days=0, sharing=Sharing("Groups", (member,), ()))
    assert GALLERY.to_manifest(shared, Context()) == {
        "softDelete": True,
        "sharing": {"permissions": "Groups", "subscriptions": [member]},
    }
    kept = gallery(soft_delete=True, retention_days=30, grace_days=None, sharing=Sharing("Private"))
    assert GALLERY.to_manifest(kept, Context()) == {
        "softDelete": {"enabled": True, "retentionPeriodInDays": 30, "gracePeriodInDays": 0}
    }
    info = CommunityInfo("https://c.example", "a@c.example", "https://c.example/eula", "contoso")
    context = Context()
    assert GALLERY.to_manifest(gallery(sharing=Sharing("Community", community=info)), context) == {}
    assert context.notes == ["community sharing is set up but not enabled: sharing left out (it would enable it)"]
    enabled = gallery(sharing=Sharing("Community", community=info, community_enabled=True))
    assert GALLERY.to_manifest(enabled, Context())["sharing"]["community"]["publicNamePrefix"] == "contoso"
