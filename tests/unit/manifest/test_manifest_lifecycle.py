"""`lifecycle` in manifests: the schema, the rules validate checks, and the rules each definition gets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconciler.kinds.image_definition import Lifecycle, Retention
from reconciler.manifest import build_desired_state, load_manifests

from .conftest import NOW

HEAD = """\
apiVersion: gallery-reconciler/v1
scope: {resourceGroup: rg, location: westeurope}
settings: SETTINGS
galleries:
  gal:
    lifecycle: GALLERY
    definitions:
      app:
        identifier: {publisher: acme, offer: app, sku: jammy}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        lifecycle: DEFINITION
      other:
        identifier: {publisher: acme, offer: other, sku: jammy}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        versions:
          "1.0.0":
            source: {managedImage: {name: base}}
            targetRegions: [westeurope]
            endOfLifeDate: 2030-01-01
            safety: {blockDeletionBeforeEndOfLife: true}
          "1.1.0":
            source: {managedImage: {name: base}}
            targetRegions: [westeurope]
            safety: {blockDeletionBeforeEndOfLife: true}
"""


def manifest(
    write: Callable[[str, str], Path], gallery: str = "null", definition: str = "null", settings: str = "{}"
) -> Path:
    text = HEAD.replace("SETTINGS", settings).replace("GALLERY", gallery).replace("DEFINITION", definition)
    return write("estate.yaml", text)


def rules(path: Path) -> dict[str, Lifecycle | None]:
    bundle, diags = load_manifests([path], env={}, now=NOW)
    assert not diags.has_errors, [str(d) for d in diags]
    state, _ = build_desired_state(bundle)
    return {d.name: d.lifecycle for d in state.definitions}


def messages(path: Path, *, errors_only: bool = False) -> list[str]:
    _, diags = load_manifests([path], env={}, now=NOW)
    return [f"{d.line}: {d.path}: {d.message}" for d in (diags.errors if errors_only else diags)]


def test_a_definition_takes_its_gallerys_rules_key_by_key(write: Callable[[str, str], Path]) -> None:
    path = manifest(
        write,
        gallery="{retention: {keepNewest: 5, maxAgeDays: 90}, endOfLifeAfterDays: 365}",
        definition="{promotion: whenReplicated, endOfLifeAfterDays: 30}",
    )
    found = rules(path)
    assert found["app"] == Lifecycle(Retention(keep_newest=5, max_age_days=90), 30, True)
    assert found["other"] == Lifecycle(Retention(keep_newest=5, max_age_days=90), 365, False)


def test_null_switches_a_gallery_default_off_for_one_definition(write: Callable[[str, str], Path]) -> None:
    path = manifest(write, gallery="{retention: {keepNewest: 5}}", definition="{retention: null}")
    found = rules(path)
    assert found["app"] is None and found["other"] == Lifecycle(Retention(keep_newest=5))


def test_the_retention_rule_reads_every_key(write: Callable[[str, str], Path]) -> None:
    rule = "{keepNewest: 2, maxAgeDays: 30, deleteAfterEndOfLife: true, perMajorVersion: true, includeUnowned: true}"
    found = rules(manifest(write, definition=f"{{retention: {rule}}}"))
    retention = found["app"].retention if found["app"] else None
    assert retention == Retention(2, 30, True, True, True)
    assert retention.to_json() == {
        "keepNewest": 2,
        "maxAgeDays": 30,
        "deleteAfterEndOfLife": True,
        "perMajorVersion": True,
        "includeUnowned": True,
    }


def test_the_cap_is_a_setting_with_a_default(write: Callable[[str, str], Path]) -> None:
    for settings, cap in (("{}", 10), ("{maxRetentionDeletions: 0}", 0), ("{maxRetentionDeletions: 50}", 50)):
        bundle, _ = load_manifests([manifest(write, settings=settings)], env={}, now=NOW)
        state, _ = build_desired_state(bundle)
        assert state.policy.max_retention_deletions == cap


def test_validate_refuses_a_rule_that_says_nothing(write: Callable[[str, str], Path]) -> None:
    found = messages(manifest(write, definition="{retention: {includeUnowned: true}}"), errors_only=True)
    assert found == [
        "13: galleries.gal.definitions.app.lifecycle.retention: a retention rule needs keepNewest, maxAgeDays or "
        "deleteAfterEndOfLife: it deletes nothing"
    ]


def test_validate_refuses_per_major_without_keep_newest(write: Callable[[str, str], Path]) -> None:
    found = messages(manifest(write, gallery="{retention: {maxAgeDays: 30, perMajorVersion: true}}"), errors_only=True)
    assert found == [
        "6: galleries.gal.lifecycle.retention.perMajorVersion: perMajorVersion counts keepNewest within each "
        "major version, and there is no keepNewest"
    ]


def test_schema_errors_name_the_key(write: Callable[[str, str], Path]) -> None:
    found = messages(
        manifest(write, definition="{retention: {keepNewst: 3}, promotion: always, endOfLifeAfterDays: 0}")
    )
    assert any("unknown property 'keepNewst'" in m for m in found)
    assert any("'always' is not one of: whenReplicated" in m for m in found)
    assert any("endOfLifeAfterDays: 0 is out of range: must be at least 1" in m for m in found)


def test_block_deletion_warns_without_a_date_unless_a_rule_gives_one(write: Callable[[str, str], Path]) -> None:
    warning = "blockDeletionBeforeEndOfLife has no effect without an endOfLifeDate"
    assert sum(warning in m for m in messages(manifest(write))) == 1  # 1.1.0 only: 1.0.0 has a date
    assert not any(warning in m for m in messages(manifest(write, gallery="{endOfLifeAfterDays: 90}")))
