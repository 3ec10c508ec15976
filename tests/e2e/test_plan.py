"""`reconcile plan` against the emulator through the real SDK: creates, convergence, drift, replaces, pruning."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import jsonschema
import pytest

from tests.e2e.conftest import MANIFESTS, Cli, actions, changed

pytestmark = pytest.mark.e2e

SUB = "00000000-0000-0000-0000-000000000000"
IMAGE = "/subscriptions/{sub}/resourceGroups/platform-images/providers/Microsoft.Compute/images/ubuntu-base"

BASE = """\
apiVersion: gallery-reconciler/v1
scope: {{resourceGroup: platform-images, location: westeurope}}
settings: {{prune: {prune}}}
galleries:
  gal:
    description: {description}
    definitions:
      ubuntu:
        identifier: {{publisher: acme, offer: ubuntu, sku: {sku}}}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        versions:
{versions}
"""

VERSION = """\
          "{name}":
            source: {{managedImage: {{resourceGroup: platform-images, name: ubuntu-base}}}}
            replicaCount: {replicas}
            targetRegions: [{regions}]
            safety: {{allowDeletionOfReplicatedLocations: true}}
"""


def write(
    workdir: Path,
    *,
    versions: dict[str, str] | None = None,
    replicas: int = 1,
    description: str = "base",
    sku: str = "jammy",
    prune: str = "false",
) -> str:
    versions = versions or {"1.0.0": "westeurope, northeurope=2"}
    body = "".join(VERSION.format(name=n, replicas=replicas, regions=r) for n, r in versions.items())
    path = workdir / "estate.yaml"
    path.write_text(BASE.format(versions=body, description=description, sku=sku, prune=prune), encoding="utf-8")
    return str(path)


def test_quickstart_empty_estate_plans_creates_and_converges(run: Cli) -> None:
    quickstart = str(MANIFESTS / "quickstart")
    plan = run.plan_json(quickstart)
    schema = json.loads((MANIFESTS.parent / "schemas" / "plan.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(plan)
    assert plan["formatVersion"] == "2.0"
    assert plan["target"]["kind"] == "endpoint"
    assert actions(plan) == {
        "myGallery": "create",
        "myGallery/myImageDefinition": "create",
        "myGallery/myImageDefinition/1.0.0": "create",
    }
    assert plan["summary"]["add"] == 3
    assert plan["latest"] == [
        {
            "definition": "myGallery/myImageDefinition",
            "before": None,
            "after": "1.0.0",
            "uniform": True,
            "regions": [
                {"region": r, "before": None, "after": "1.0.0"} for r in ("eastus", "southcentralus", "westcentralus")
            ],
        }
    ]
    text = run("plan", quickstart).stdout
    assert text.splitlines()[0].startswith("Target: emulator at https://127.0.0.1:")
    assert "Plan: 3 to add, 0 to change, 0 to replace, 0 to destroy." in text
    run("plan", "--detailed-exitcode", quickstart, expect=2)
    run("apply", "--auto-approve", quickstart)
    assert changed(run.plan_json(quickstart)) == {}
    run("plan", "--detailed-exitcode", quickstart, expect=0)
    assert "Nothing to do." in run("apply", "--auto-approve", quickstart).stdout


def test_full_example_converges_and_a_second_apply_does_nothing(run: Cli) -> None:
    full = str(MANIFESTS / "full")
    first = run.plan_json(full)
    assert set(actions(first).values()) == {"create"}
    run("apply", "--auto-approve", full)
    assert changed(run.plan_json(full)) == {}
    assert "Nothing to do." in run("apply", "--auto-approve", full).stdout


def test_drift_made_through_the_sdk_plans_an_update_back(run: Cli) -> None:
    path = write(run.workdir)
    run("apply", "--auto-approve", path)
    compute = run.compute()
    compute.galleries.begin_update("platform-images", "gal", {"properties": {"description": "portal edit"}}).result()
    version = compute.gallery_image_versions.get("platform-images", "gal", "ubuntu", "1.0.0").as_dict()
    pub = version["properties"]["publishingProfile"]
    for region in pub["targetRegions"]:
        region["regionalReplicaCount"] = 3
    compute.gallery_image_versions.begin_update(
        "platform-images",
        "gal",
        "ubuntu",
        "1.0.0",
        {
            "properties": {
                "publishingProfile": {"targetRegions": pub["targetRegions"]},
                "storageProfile": version["properties"]["storageProfile"],
            }
        },
    ).result()
    plan = run.plan_json(path)
    by = {r["address"]: r for r in plan["resources"]}
    assert by["gal"]["action"] == "update" and by["gal"]["drift"] is True
    assert by["gal"]["changes"] == [{"path": "description", "before": "portal edit", "after": "base"}]
    version_changes = {c["path"]: (c["before"], c["after"]) for c in by["gal/ubuntu/1.0.0"]["changes"]}
    assert version_changes == {
        "publishingProfile.targetRegions[northeurope].regionalReplicaCount": (3, 2),
        "publishingProfile.targetRegions[westeurope].regionalReplicaCount": (3, 1),
    }
    assert "drift" in run("plan", path).stdout
    run("apply", "--auto-approve", path)
    assert changed(run.plan_json(path)) == {}


@pytest.mark.parametrize(
    "regions",
    [
        "northeurope=2, westeurope",
        "North Europe=2, West Europe",
        "NorthEurope=2, WESTEUROPE",
        "{name: North Europe, replicas: 2}, westeurope",
    ],
)
def test_region_order_and_spelling_are_no_change(run: Cli, regions: str) -> None:
    run("apply", "--auto-approve", write(run.workdir))
    assert changed(run.plan_json(write(run.workdir, versions={"1.0.0": regions}))) == {}


def test_immutable_change_plans_a_blocked_replace_with_reason(run: Cli) -> None:
    run("apply", "--auto-approve", write(run.workdir))
    plan = run.plan_json(write(run.workdir, sku="noble"))
    by = {r["address"]: r for r in plan["resources"]}
    definition = by["gal/ubuntu"]
    assert definition["action"] == "replace"
    assert definition["reason"]["code"] == "cannot-update" and definition["reason"]["subjects"] == ["identifier.sku"]
    assert definition["changes"][0] == {
        "path": "identifier.sku",
        "before": "jammy",
        "after": "noble",
        "forcesReplace": True,
        "reason": {"code": "immutable", "message": "Azure does not allow changing it after creation"},
    }
    assert definition["blocked"]["code"] == "needs-allow-replace"
    assert "--allow-replace" in definition["blocked"]["message"]
    assert by["gal/ubuntu/1.0.0"]["action"] == "replace"  # versions go first: the plan lists them
    assert plan["summary"]["blocked"] == 2
    # apply without opt-in changes nothing
    run("apply", "--auto-approve", write(run.workdir, sku="noble"))
    assert (
        run.compute()
        .gallery_images.get("platform-images", "gal", "ubuntu")
        .as_dict()["properties"]["identifier"]["sku"]
        == "jammy"
    )


def test_prune_deletes_only_owned_resources_and_only_with_opt_in(run: Cli) -> None:
    run("apply", "--auto-approve", write(run.workdir, versions={"1.0.0": "westeurope", "1.1.0": "westeurope"}))
    create_unmanaged_version(run, "9.0.0")
    path = write(run.workdir, versions={"1.0.0": "westeurope"})
    plan = run.plan_json(path)
    assert changed(plan) == {"gal/ubuntu/1.1.0": "delete"}  # 9.0.0 was made outside the tool: never touched
    pruned = next(r for r in plan["resources"] if r["address"] == "gal/ubuntu/1.1.0")
    assert pruned["blocked"]["code"] == "needs-prune" and "--prune" in pruned["blocked"]["message"]
    run("apply", "--auto-approve", path)
    assert "1.1.0" in _version_names(run)
    run("apply", "--auto-approve", "--prune", path)
    assert _version_names(run) == {"1.0.0", "9.0.0"}


def test_deleting_a_definition_shows_the_unmanaged_versions_that_block_it(run: Cli) -> None:
    run("apply", "--auto-approve", write(run.workdir))
    create_unmanaged_version(run, "9.0.0")
    (run.workdir / "estate.yaml").write_text(
        "apiVersion: gallery-reconciler/v1\nscope: {resourceGroup: platform-images, location: westeurope}\n"
        "galleries:\n  gal: {description: base}\n",
        encoding="utf-8",
    )
    plan = run.plan_json(str(run.workdir / "estate.yaml"), extra=("--prune",))
    by = {r["address"]: r for r in plan["resources"]}
    assert by["gal/ubuntu"]["action"] == "delete"
    assert by["gal/ubuntu"]["blocked"]["code"] == "unmanaged-children"
    assert by["gal/ubuntu"]["blocked"]["subjects"] == ["gal/ubuntu/9.0.0"]
    assert by["gal/ubuntu/1.0.0"]["action"] == "delete" and by["gal/ubuntu/1.0.0"]["blocked"] is None
    # Listing the stray version explicitly lets pruning take it, and then its definition.
    manifest = run.workdir / "estate.yaml"
    manifest.write_text(manifest.read_text() + "settings: {pruneUnmanaged: [gal/ubuntu/9.0.0]}\n", encoding="utf-8")
    run("apply", "--auto-approve", "--prune", str(manifest))
    assert [d.name for d in run.compute().gallery_images.list_by_gallery("platform-images", "gal")] == []


def create_unmanaged_version(run: Cli, name: str) -> None:
    """A version made outside the tool (no ownership tag), as the portal or another pipeline would."""
    run.compute().gallery_image_versions.begin_create_or_update(
        "platform-images",
        "gal",
        "ubuntu",
        name,
        {
            "location": "westeurope",
            "properties": {
                "storageProfile": {"source": {"id": IMAGE.format(sub=SUB)}},
                "publishingProfile": {"targetRegions": [{"name": "westeurope"}]},
            },
        },
    ).result()


def _version_names(run: Cli) -> set[str]:
    return {
        v.name for v in run.compute().gallery_image_versions.list_by_gallery_image("platform-images", "gal", "ubuntu")
    }


def test_failed_region_replication_is_shown_with_a_repair(run: Cli) -> None:
    path = write(run.workdir)
    run.admin.faults(failRegions=["northeurope"])
    result = run("apply", "--auto-approve", path, expect=1)
    assert "northeurope" in result.output.lower().replace(" ", "")
    plan = run.plan_json(path)
    version = next(r for r in plan["resources"] if r["address"] == "gal/ubuntu/1.0.0")
    assert version["action"] == "update"
    assert version["reason"]["subjects"] == ["northeurope"]
    assert "replication failed in northeurope" in version["reason"]["message"]
    run.admin.clear_faults()
    run.admin.reset()
    run("apply", "--auto-approve", path)
    assert changed(run.plan_json(path)) == {}
    # Repaired as Azure documents it: the failed region removed, then added back (two PATCHes).
    assert run.admin.requests()["byOperation"]["GalleryImageVersions_Update"] == 2


def test_markdown_and_saved_plan_outputs(run: Cli) -> None:
    path = write(run.workdir)
    md = run("plan", "--markdown", path).stdout
    assert md.startswith("### Gallery Reconciler plan: emulator at https://")
    assert "| `+` | `gal/ubuntu/1.0.0` | version | create |" in md
    run("plan", "--out", "plan.json", path)
    saved = json.loads((run.workdir / "plan.json").read_text())
    assert saved["manifests"]["digest"].startswith("sha256:")
    run("plan", "--json", "--markdown", path, expect=1)


def test_missing_resource_group_is_one_clear_error(run: Cli) -> None:
    path = run.workdir / "nogroup.yaml"
    path.write_text(
        BASE.replace("platform-images, location", "no-such-rg, location")
        .format(versions="", description="x", sku="a", prune="false")
        .replace("        versions:\n", ""),
        encoding="utf-8",
    )
    result = run("plan", str(path), expect=1)
    assert "no-such-rg" in result.output and "createResourceGroup" in result.output
    as_json = run("plan", "--json", str(path), expect=1)
    assert "no-such-rg" in json.loads(as_json.stdout)["error"]  # tools get the error as JSON too


def test_bad_manifest_stops_before_any_request(run: Cli) -> None:
    path = run.workdir / "bad.yaml"
    path.write_text("apiVersion: gallery-reconciler/v1\ngalleries:\n  gal:\n    descripton: typo\n", encoding="utf-8")
    run.admin.reset()
    result = run("plan", str(path), expect=1)
    assert "bad.yaml:4" in result.output
    assert run.admin.requests()["total"] == 0


def test_a_subscription_the_target_does_not_know_is_one_clear_error(run: Cli) -> None:
    result = run("plan", "--subscription", "99999999-9999-9999-9999-999999999999", write(run.workdir), expect=1)
    assert "99999999-9999-9999-9999-999999999999 was not found or is not visible to the credential" in result.output


def test_debug_logs_show_requests_but_never_the_token(run: Cli) -> None:
    from reconciler.azure.session import EmulatorToken

    token = asyncio.run(EmulatorToken().get_token("https://management.azure.com/.default")).token
    result = run("--log-level", "debug", "plan", write(run.workdir))
    assert "Request URL:" in result.stderr and "/providers/Microsoft.Compute/galleries" in result.stderr
    assert "Authorization" in result.stderr and "REDACTED" in result.stderr
    header, claims, _ = token.split(".")
    assert claims not in result.stderr and header + "." + claims not in result.output


def test_a_gallery_name_taken_elsewhere_in_the_subscription_is_flagged_before_apply(run: Cli) -> None:
    run.compute().galleries.begin_create_or_update("myGalleryRG", "gal", {"location": "eastus"}).result()
    path = write(run.workdir)
    plan = run.plan_json(path)
    by = {r["address"]: r for r in plan["resources"]}
    assert by["gal"]["blocked"]["code"] == "gallery-name-taken"
    assert "already used in this subscription" in by["gal"]["blocked"]["message"]
    assert "/resourceGroups/myGalleryRG/" in by["gal"]["blocked"]["subjects"][0]
    assert by["gal/ubuntu/1.0.0"]["blocked"]["code"] == "parent-create-blocked"
    run.admin.reset()
    run("apply", "--auto-approve", path)  # nothing to do but report: no write is attempted
    assert not any(op.endswith("CreateOrUpdate") for op in run.admin.requests()["byOperation"])


def test_a_region_that_failed_to_replicate_is_dropped_in_place(run: Cli) -> None:
    base = BASE.replace("            safety: {{allowDeletionOfReplicatedLocations: true}}\n", "")
    (run.workdir / "estate.yaml").write_text(
        base.format(
            versions=VERSION.replace("            safety: {{allowDeletionOfReplicatedLocations: true}}\n", "").format(
                name="1.0.0", replicas=1, regions="westeurope, northeurope"
            ),
            description="base",
            sku="jammy",
            prune="false",
        ),
        encoding="utf-8",
    )
    path = str(run.workdir / "estate.yaml")
    run.admin.faults(failRegions=["northeurope"])
    run("apply", "--auto-approve", path, expect=1)
    run.admin.clear_faults()
    (run.workdir / "estate.yaml").write_text(Path(path).read_text().replace("westeurope, northeurope", "westeurope"))
    version = next(r for r in run.plan_json(path)["resources"] if r["address"] == "gal/ubuntu/1.0.0")
    assert version["action"] == "update" and version["blocked"] is None  # no safety-profile replace
    run("apply", "--auto-approve", path)
    regions = (
        run.compute()
        .gallery_image_versions.get("platform-images", "gal", "ubuntu", "1.0.0")
        .as_dict()["properties"]["publishingProfile"]["targetRegions"]
    )
    assert [r["name"] for r in regions] == ["West Europe"]


def test_two_estates_in_one_resource_group_never_prune_each_other(run: Cli) -> None:
    def tree(name: str, gallery: str) -> str:
        folder = run.workdir / name
        folder.mkdir(exist_ok=True)
        path = folder / "estate.yaml"
        path.write_text(
            "apiVersion: gallery-reconciler/v1\n"
            "scope: {resourceGroup: platform-images, location: westeurope}\n"
            f"settings: {{estate: {name}, prune: true}}\n"
            f"galleries:\n  {gallery}: {{description: {name}}}\n",
            encoding="utf-8",
        )
        return str(path)

    team_a, team_b = tree("team-a", "galA"), tree("team-b", "galB")
    run("apply", "--auto-approve", team_a)
    run("apply", "--auto-approve", team_b)
    tags = run.compute().galleries.get("platform-images", "galA").as_dict()["tags"]
    assert tags["gallery-reconciler"] == "team-a"
    # each tree sees only itself, even with pruning on: nothing to do, nothing listed
    for path in (team_a, team_b):
        plan = run.plan_json(path)
        assert changed(plan) == {}
        assert [r["address"] for r in plan["resources"]] == ["galA" if path == team_a else "galB"]
    # a tree that declares the other's gallery is refused, not allowed to take it over
    hijack = tree("team-a", "galB")
    gal_b = next(r for r in run.plan_json(hijack)["resources"] if r["address"] == "galB")
    assert gal_b["action"] == "update" and gal_b["blocked"]["code"] == "owned-by-other-estate"
    assert gal_b["blocked"]["subjects"] == ["team-b"]
