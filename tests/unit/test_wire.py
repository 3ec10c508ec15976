"""ARM JSON to model and back: dates, ids, and minimal PATCH bodies."""

from __future__ import annotations

from datetime import datetime, timezone

from reconciler.core import arm_json as wire
from reconciler.kinds import IMAGE_VERSION
from tests.unit.plan_fixtures import definition, region, version


def test_arm_dates_with_seven_fraction_digits_parse_as_utc_instants() -> None:
    parsed = wire.parse_datetime("2022-11-16T03:43:27.3107121+00:00")
    assert parsed == datetime(2022, 11, 16, 3, 43, 27, 310712, tzinfo=timezone.utc)
    assert wire.parse_datetime("2030-01-01T02:00:00+02:00") == datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert wire.parse_datetime("2030-01-01") == datetime(2030, 1, 1, tzinfo=timezone.utc)


def test_resource_type_of_an_id() -> None:
    rid = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0"
    assert wire.resource_type(rid) == "microsoft.compute/galleries/images/versions"


def test_patch_keeps_each_existing_regions_storage_type() -> None:
    live = IMAGE_VERSION.create_body(version(target_regions=(region("westeurope", 1, "Standard_ZRS"),)))
    desired = version(target_regions=(region("westeurope", 3), region("eastus", 1, "Premium_LRS")))
    body = IMAGE_VERSION.patch_body(desired, live)
    regions = {r["name"]: r for r in body["properties"]["publishingProfile"]["targetRegions"]}
    assert regions["West Europe"] == {
        "name": "West Europe",
        "regionalReplicaCount": 3,
        "storageAccountType": "Standard_ZRS",
    }
    assert regions["East US"]["storageAccountType"] == "Premium_LRS"
    # The storage profile is resent as Azure has it, so no immutable property changes.
    assert body["properties"]["storageProfile"] == live["properties"]["storageProfile"]
    assert "location" not in body


def test_version_body_round_trips_through_the_reader() -> None:
    v = version(
        target_regions=(region("eastus2", 2, "Standard_ZRS"), region("westeurope")),
        replica_count=2,
        exclude_from_latest=True,
        end_of_life_date=datetime(2030, 5, 1, tzinfo=timezone.utc),
    )
    body = IMAGE_VERSION.create_body(v) | {"name": v.name}
    parsed, _ = IMAGE_VERSION.from_arm(definition(v.definition, v.gallery), body)
    assert parsed == v
