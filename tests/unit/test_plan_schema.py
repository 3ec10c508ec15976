"""Plan JSON is documented by schemas/plan.schema.json: real plans validate, and the packaged copy matches."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from reconciler.core.diff import DiffOptions
from reconciler.core.plan import build_plan
from reconciler.render.plan_json import plan_document
from tests.unit.plan_fixtures import as_live, definition, desired_state, gallery, live_state, version
from tests.unit.test_plan import TARGET

ROOT = Path(__file__).resolve().parents[2]


def schema() -> dict:
    return json.loads((ROOT / "schemas" / "plan.schema.json").read_text())


def test_schema_is_valid_and_packaged_copy_is_identical() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    assert (ROOT / "schemas" / "plan.schema.json").read_bytes() == (
        ROOT / "reconciler" / "schemas" / "plan.schema.json"
    ).read_bytes()


def test_plans_with_every_action_validate() -> None:
    live = live_state(
        as_live(gallery(description="old")), as_live(definition(os_type="Windows")), as_live(version("0.1.0"))
    )
    plan = build_plan(
        desired_state(gallery(description="new"), definition(), version()),
        live,
        TARGET,
        options=DiffOptions(prune=True),
        manifest_paths=["manifests/"],
    )
    data = json.loads(json.dumps(plan_document(plan)))
    assert {r["action"] for r in data["resources"]} >= {"update", "replace", "delete"}
    jsonschema.Draft202012Validator(schema()).validate(data)


def test_every_code_is_in_the_schema() -> None:
    from reconciler.core.reasons import Blocker, Guard, Note, Reason

    defs = schema()["$defs"]
    for name, codes in (("reason", Reason), ("blocker", Blocker), ("note", Note), ("guard", Guard)):
        assert defs[name]["properties"]["code"]["enum"] == [c.value for c in codes], name


def test_a_plan_with_retention_validates_and_reads_back() -> None:
    from dataclasses import replace
    from datetime import datetime, timedelta, timezone

    from reconciler.core.plan import Plan
    from reconciler.kinds.image_definition import Lifecycle, Retention

    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    ruled = definition(lifecycle=Lifecycle(Retention(max_age_days=1)))

    def old(name: str) -> object:
        item = as_live(version(name))
        return replace(item, resource=replace(item.resource, published_date=now - timedelta(days=9)))

    live = live_state(as_live(gallery()), as_live(ruled), old("1.0.0"), old("1.1.0"))
    plan = build_plan(desired_state(gallery(), ruled), live, TARGET, now=now)
    data = json.loads(json.dumps(plan_document(plan)))
    jsonschema.Draft202012Validator(schema()).validate(data)
    assert data["retention"][0]["kept"][0]["guard"]["code"] == "latest"
    assert [r["reason"]["code"] for r in data["resources"] if r["action"] == "delete"] == ["retention"]
    assert Plan.from_json(data).retention == plan.retention


def test_adoption_and_estate_codes_validate() -> None:
    from dataclasses import replace

    from reconciler.core import model as m

    other = replace(gallery("other"), tags=((m.OWNERSHIP_TAG_NAME, "team-b"),))
    live = live_state(as_live(replace(gallery(), tags=())), as_live(replace(definition(), tags=())), as_live(other))
    for adopt in (False, True):
        desired = desired_state(gallery(), definition(), gallery("other"), policy=m.Policy(adopt=adopt))
        data = json.loads(json.dumps(plan_document(build_plan(desired, live, TARGET))))
        codes = {(r.get("reason") or {}).get("code") for r in data["resources"]}
        codes |= {(r.get("blocked") or {}).get("code") for r in data["resources"]}
        assert ("adopt" if adopt else "not-adopted") in codes and "owned-by-other-estate" in codes
        jsonschema.Draft202012Validator(schema()).validate(data)
