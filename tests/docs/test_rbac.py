"""docs/rbac.md and its role definitions: every RBAC action the tool needs, proved one by one.

- A full lifecycle (create a resource group, create versions from every kind of source, update, read
  status, prune) against the emulator, with each request the tool made mapped to the ARM action that
  authorizes it: the apply role holds exactly those actions, the plan role exactly what the plans read
  (galleries, the versions' sources, and the subscription's regions when a region is not in the bundled
  table).
- For each action, the emulator's `next403` fault refuses the one request that needs it, as ARM refuses a
  role without it, and the test checks what reconcile says: the action named, and the context (reading
  live state, the failed step, reading replication status); for a source it cannot read, the plan's
  warning naming the source.
- The documented example messages are what the tool prints.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "rbac.md").read_text(encoding="utf-8")
ROLES = ROOT / "docs" / "rbac"
QUICKSTART = str(ROOT / "manifests" / "quickstart")
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
SOURCES = SUB + "/resourceGroups/platform-images/providers"

# Emulator operation (the spec's operationId) -> the ARM action that authorizes it.
OPERATION_ACTIONS = {
    "Galleries_List": "Microsoft.Compute/galleries/read",
    "Galleries_ListByResourceGroup": "Microsoft.Compute/galleries/read",
    "Galleries_Get": "Microsoft.Compute/galleries/read",
    "Galleries_CreateOrUpdate": "Microsoft.Compute/galleries/write",
    "Galleries_Update": "Microsoft.Compute/galleries/write",
    "Galleries_Delete": "Microsoft.Compute/galleries/delete",
    "GalleryImages_ListByGallery": "Microsoft.Compute/galleries/images/read",
    "GalleryImages_Get": "Microsoft.Compute/galleries/images/read",
    "GalleryImages_CreateOrUpdate": "Microsoft.Compute/galleries/images/write",
    "GalleryImages_Update": "Microsoft.Compute/galleries/images/write",
    "GalleryImages_Delete": "Microsoft.Compute/galleries/images/delete",
    "GalleryImageVersions_ListByGalleryImage": "Microsoft.Compute/galleries/images/versions/read",
    "GalleryImageVersions_Get": "Microsoft.Compute/galleries/images/versions/read",
    "GalleryImageVersions_CreateOrUpdate": "Microsoft.Compute/galleries/images/versions/write",
    "GalleryImageVersions_Update": "Microsoft.Compute/galleries/images/versions/write",
    "GalleryImageVersions_Delete": "Microsoft.Compute/galleries/images/versions/delete",
    "AsyncOperation_Get": "Microsoft.Compute/locations/capsOperations/read",
    "ResourceGroups_CreateOrUpdate": "Microsoft.Resources/subscriptions/resourceGroups/write",
    # the plan's source reads (a VM with its instance view; storage accounts through get_by_id)
    "VirtualMachines_Get": "Microsoft.Compute/virtualMachines/read",
    "Images_Get": "Microsoft.Compute/images/read",
    "Snapshots_Get": "Microsoft.Compute/snapshots/read",
    "Disks_Get": "Microsoft.Compute/disks/read",
    "StorageAccounts_Get": "Microsoft.Storage/storageAccounts/read",
    # only for a region the bundled table does not know
    "Subscriptions_ListLocations": "Microsoft.Resources/subscriptions/locations/read",
}
CAPS = "Microsoft.Compute/locations/capsOperations/read"


def role_actions(name: str) -> list[str]:
    role = json.loads((ROLES / f"gallery-reconciler-{name}.json").read_text(encoding="utf-8"))
    assert role["IsCustom"] is True and role["NotActions"] == [] and role["DataActions"] == []
    assert role["AssignableScopes"] == ["/subscriptions/SUBSCRIPTION_ID"]
    assert len(role["Actions"]) == len(set(role["Actions"]))
    return role["Actions"]


STAGING = """\
apiVersion: gallery-reconciler/v1
scope: {resourceGroup: platform-images, location: westeurope}
galleries:
  staging:
    definitions:
      ubuntu:
        identifier: {publisher: contoso, offer: ubuntu, sku: '22_04'}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        versions:
          "1.0.0":
            source: {managedImage: {name: ubuntu-base}}
            targetRegions: [westeurope]
"""
EVERY_SOURCE = f"""\
          "1.1.0":
            source: {{virtualMachine: {{resourceGroup: platform-images, name: build-vm}}}}
            targetRegions: [westeurope]
          "1.2.0":
            source: {{snapshot: {{resourceGroup: platform-images, name: ubuntu-os-snap}}}}
            dataDisks:
              - {{lun: 0, source: {{snapshot: {{resourceGroup: platform-images, name: data-snap-1}}}}}}
              - {{lun: 1, source: {{disk: {{resourceGroup: platform-images, name: data-disk-1}}}}}}
              - lun: 2
                source:
                  vhd:
                    uri: https://imagevhds.blob.core.windows.net/vhds/ubuntu.vhd
                    storageAccount: {{resourceGroup: platform-images, name: imagevhds}}
            targetRegions: [westeurope]
          "1.3.0":
            source: {{galleryImageVersion: {SOURCES}/Microsoft.Compute/galleries/staging/images/ubuntu/versions/1.0.0}}
            targetRegions: [westeurope]
"""


def prepare_sources(run: Cli) -> None:
    """The demo seed's sources in westeurope, plus a VM there and a gallery image version to promote."""
    run.admin.seed(
        {"virtualMachines": [{"resourceGroup": "platform-images", "name": "build-vm", "location": "westeurope",
                              "osType": "Linux"}]}
    )  # fmt: skip
    staging = run.workdir / "staging"
    staging.mkdir(exist_ok=True)
    (staging / "gallery.yaml").write_text(STAGING, encoding="utf-8")
    run("apply", "--auto-approve", str(staging))


def manifest(workdir: Path, *, group: str = "rbacRG", create_group: bool = True, description: str = "one",
             replicas: int = 1, versions: bool = True, galleries: bool = True, every_source: bool = False,
             region: str = "westeurope") -> str:  # fmt: skip
    """The estate the tests plan and apply: one version from a managed image, or (`every_source`, after
    `prepare_sources`) versions from every kind of source; `region` is 1.0.0's second target region."""
    regions = f"westeurope={replicas}" + ("" if region == "westeurope" else f", {region}")
    version = (
        '        versions:\n          "1.0.0":\n'
        "            source: {managedImage: {resourceGroup: platform-images, name: ubuntu-base}}\n"
        f"            targetRegions: [{regions}]\n"
    ) + (EVERY_SOURCE if every_source else "")
    definition = (
        "    definitions:\n      ubuntu:\n"
        f"        description: {description}\n"
        "        identifier: {publisher: contoso, offer: ubuntu, sku: '22_04'}\n"
        "        osType: Linux\n        osState: Generalized\n        hyperVGeneration: V2\n"
    )
    path = workdir / "rbac"
    path.mkdir(exist_ok=True)
    gallery = f"galleries:\n  gal:\n    description: {description}\n" + definition + (version if versions else "")
    (path / "gallery.yaml").write_text(
        "apiVersion: gallery-reconciler/v1\n"
        f"scope: {{resourceGroup: {group}, location: westeurope, createResourceGroup: {str(create_group).lower()}}}\n"
        + (gallery if galleries else "galleries: {}\n"),
        encoding="utf-8",
    )
    return str(path)


def test_the_roles_are_exactly_what_a_lifecycle_calls(run: Cli) -> None:
    prepare_sources(run)
    run.admin.reset()
    run("plan", manifest(run.workdir, every_source=True))
    plain = dict(run.admin.requests()["byOperation"])
    assert "Subscriptions_ListLocations" not in plain  # regions of the bundled table cost no request
    # a region the bundled table does not know (here misspelt) is looked up in the subscription's list
    run("plan", manifest(run.workdir, every_source=True, region="westeuropa"), expect=1)
    plan_ops = dict(run.admin.requests()["byOperation"])
    run("apply", "--auto-approve", manifest(run.workdir, every_source=True))
    changed = manifest(run.workdir, every_source=True, description="two", replicas=2)
    run("apply", "--auto-approve", changed)
    run("status", changed)
    run("plan", changed)
    run("apply", "--auto-approve", "--prune", manifest(run.workdir, create_group=False, galleries=False))
    run("apply", "--auto-approve", "--prune", manifest(run.workdir, create_group=False, galleries=False))
    operations = run.admin.requests()["byOperation"]
    unknown = sorted(set(operations) - set(OPERATION_ACTIONS))
    assert not unknown, f"reconcile made requests docs/rbac.md does not account for: {unknown}"
    assert {OPERATION_ACTIONS[op] for op in operations} == set(role_actions("apply"))
    assert {OPERATION_ACTIONS[op] for op in plan_ops} == set(role_actions("plan"))
    # the definition and gallery were updated in place and deleted: every write and delete was exercised
    assert {"Galleries_Update", "GalleryImages_Update", "GalleryImageVersions_Update"} <= set(operations)
    assert {"Galleries_Delete", "GalleryImages_Delete", "GalleryImageVersions_Delete"} <= set(operations)


def test_the_plan_role_is_the_reads_of_the_apply_role() -> None:
    reads = [a for a in role_actions("apply") if a.endswith("/read") and a != CAPS]
    assert role_actions("plan") == reads


@dataclass(frozen=True)
class Refusal:
    """One action refused: the request that needs it, and the command that makes that request."""

    action: str
    command: str  # plan | apply | update | prune | status | regions
    match: str  # regex on "METHOD /path" for the emulator's next403
    setup: str = "none"  # none | applied


C = "Microsoft.Compute/galleries"
GET_SUB = r"(?i)^GET /subscriptions/[^/]+"
REFUSALS = [
    Refusal(f"{C}/read", "plan", GET_SUB + "/resourceGroups/rbacRG/providers/Microsoft.Compute/galleries$", "applied"),
    Refusal(f"{C}/read", "plan", GET_SUB + "/providers/Microsoft.Compute/galleries$"),
    Refusal(f"{C}/images/read", "plan", r"GET .*/galleries/gal/images$", "applied"),
    Refusal(f"{C}/images/versions/read", "plan", r"GET .*/images/ubuntu/versions$", "applied"),
    Refusal(f"{C}/images/versions/read", "status", r"GET .*/versions/1\.0\.0$", "applied"),
    Refusal("Microsoft.Resources/subscriptions/resourceGroups/write", "apply", r"(?i)^PUT .*/resourcegroups/rbacRG$"),
    Refusal(f"{C}/write", "apply", r"^PUT .*/galleries/gal$"),
    Refusal(f"{C}/images/write", "apply", r"^PUT .*/images/ubuntu$"),
    Refusal(f"{C}/images/versions/write", "apply", r"^PUT .*/versions/1\.0\.0$"),
    Refusal(f"{C}/images/versions/write", "update", r"^PATCH .*/versions/1\.0\.0$", "applied"),
    Refusal(
        "Microsoft.Compute/locations/capsOperations/read", "apply", GET_SUB + "/providers/[^/]+/locations/.*/capsOp"
    ),
    Refusal(f"{C}/images/versions/delete", "prune", r"^DELETE .*/versions/1\.0\.0$", "applied"),
    Refusal(f"{C}/images/delete", "prune", r"^DELETE .*/images/ubuntu$", "applied"),
    Refusal(f"{C}/delete", "prune", r"^DELETE .*/galleries/gal$", "applied"),
    Refusal("Microsoft.Resources/subscriptions/locations/read", "regions", GET_SUB + "/locations$"),
]

CONTEXT = {
    "plan": "Error: reading live state (nothing was changed): permission denied: ",
    "status": "Error: reading replication status: permission denied: ",
    "apply": "  failed: create ",
    "update": "  failed: update version gal/ubuntu/1.0.0: permission denied: ",
    "prune": "  failed: delete ",
    "regions": "Error: reading the subscription's regions: permission denied: ",
}


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda r: f"{r.command}-{r.action.split('/', 1)[1]}")
def test_a_missing_action_is_named(run: Cli, refusal: Refusal) -> None:
    if refusal.setup == "applied":
        run("apply", "--auto-approve", manifest(run.workdir))
    if refusal.command == "prune":
        path = manifest(run.workdir, create_group=False, galleries=False)
    elif refusal.command == "update":
        path = manifest(run.workdir, replicas=2)
    elif refusal.command == "regions":
        path = manifest(run.workdir, region="westeuropa")  # not in the bundled table
    else:
        path = manifest(run.workdir)
    argv = {
        "plan": ["plan", path],
        "regions": ["plan", path],
        "status": ["status", path],
        "apply": ["apply", "--auto-approve", path],
        "update": ["apply", "--auto-approve", path],
        "prune": ["apply", "--auto-approve", "--prune", path],
    }[refusal.command]
    run.admin.faults(next403=1, match=refusal.match)
    result = run(*argv, expect=1)
    assert run.admin.call("GET", "/_emulator/faults")["next403"] == 0, "the command never made that request"
    said = f"permission denied: the signed-in identity lacks the RBAC action '{refusal.action}'."
    assert said in result.output
    assert CONTEXT[refusal.command] in result.output
    assert refusal.action in role_actions("apply")
    if refusal.command in ("plan", "status", "regions"):
        assert refusal.action in role_actions("plan")
    run.admin.clear_faults()
    if refusal.command == "regions":  # with the permission, the list is read and the misspelt region refused
        assert "the subscription has no region westeuropa" in run(*argv, expect=1).output
    elif refusal.command != "status":  # a re-run with the permission converges: nothing half-done sticks
        run(*argv[:-1], path)


@dataclass(frozen=True)
class SourceRefusal:
    """A read of a version's source refused: the plan warns that it could not check that source."""

    action: str
    match: str  # regex on "METHOD /path" for the emulator's next403
    source: str  # the id the warning names


V = f"{SOURCES}/Microsoft.Compute/galleries/staging/images/ubuntu/versions/1.0.0"
SOURCE_REFUSALS = [
    SourceRefusal("Microsoft.Compute/virtualMachines/read", r"^GET .*/virtualMachines/build-vm$",
                  f"{SOURCES}/Microsoft.Compute/virtualMachines/build-vm"),
    SourceRefusal("Microsoft.Compute/images/read", r"^GET .*/images/ubuntu-base$",
                  f"{SOURCES}/Microsoft.Compute/images/ubuntu-base"),
    SourceRefusal("Microsoft.Compute/snapshots/read", r"^GET .*/snapshots/data-snap-1$",
                  f"{SOURCES}/Microsoft.Compute/snapshots/data-snap-1"),
    SourceRefusal("Microsoft.Compute/disks/read", r"^GET .*/disks/data-disk-1$",
                  f"{SOURCES}/Microsoft.Compute/disks/data-disk-1"),
    SourceRefusal("Microsoft.Storage/storageAccounts/read", r"^GET .*/storageAccounts/imagevhds$",
                  f"{SOURCES}/Microsoft.Storage/storageAccounts/imagevhds"),
    SourceRefusal(f"{C}/images/versions/read", r"^GET .*/galleries/staging/images/ubuntu/versions/1\.0\.0$", V),
    SourceRefusal(f"{C}/images/read", r"^GET .*/galleries/staging/images/ubuntu$", V),
]  # fmt: skip


@pytest.mark.parametrize("refusal", SOURCE_REFUSALS, ids=lambda r: r.match.rsplit("/", 2)[-2])
def test_a_source_the_plan_cannot_read_is_a_warning(run: Cli, refusal: SourceRefusal) -> None:
    prepare_sources(run)
    path = manifest(run.workdir, every_source=True)
    run.admin.faults(next403=1, match=refusal.match)
    output = run("plan", path).output  # the plan goes on: Azure decides about that source at apply
    assert run.admin.call("GET", "/_emulator/faults")["next403"] == 0, "the plan never read that source"
    assert (
        f"{refusal.source} could not be read (Azure answered AuthorizationFailed when reading it); its region, "
        "OS and size were not checked (grant the identity read access to it to have the plan check it)"
    ) in output
    assert refusal.action in role_actions("plan") and refusal.action in role_actions("apply")


def test_every_action_is_proved_and_documented() -> None:
    proved = {r.action for r in REFUSALS} | {r.action for r in SOURCE_REFUSALS}
    assert proved == set(role_actions("apply"))
    table = re.findall(r"^\| `([A-Za-z.]+/[^`]+)` \|", DOC, re.M)
    assert set(table) == set(role_actions("apply")) | set(role_actions("sources"))
    for name in ("plan", "apply", "sources"):
        assert f"rbac/gallery-reconciler-{name}.json" in DOC


def _doc_example(title: str) -> str:
    block = re.search(rf"{re.escape(title)}\n\n```text\n(.*?)\n```", DOC, re.S)
    assert block, f"no example after {title!r} in docs/rbac.md"
    return block.group(1)


def test_the_documented_messages_are_what_reconcile_prints(run: Cli) -> None:
    run.admin.faults(next403=1, match=r"(?i)^GET /subscriptions/[^/]+/resourceGroups/myGalleryRG/providers/")
    assert _doc_example("`reconcile plan`, lacking a read:") in run("plan", QUICKSTART, expect=1).output
    run.admin.faults(next403=1, match=r"^PUT .*/galleries/myGallery$")
    output = run("apply", "--auto-approve", QUICKSTART, expect=1).output
    for line in _doc_example("`reconcile apply`, lacking a write:").splitlines():
        assert line in output
    run.admin.clear_faults()
    shutil.copytree(ROOT / "manifests" / "quickstart", run.workdir / "manifests" / "quickstart")
    run.admin.faults(next403=1, match=r"^GET .*/virtualMachines/myVM$")
    output = run("plan", "manifests/quickstart/").output  # relative, as the example shows it
    source_example = "`reconcile plan`, lacking the read of a source (here `Microsoft.Compute/virtualMachines/read`):"
    assert _doc_example(source_example) in output
    run.admin.clear_faults()
    run("apply", "--auto-approve", QUICKSTART)
    run.admin.faults(next403=1, match=r"GET .*/versions/1\.0\.0$")
    assert _doc_example("`reconcile status`:") in run("status", QUICKSTART, expect=1).output
