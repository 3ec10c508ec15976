"""docs/rbac.md and its role definitions: every RBAC action the tool needs, proved one by one.

- A full lifecycle (create a resource group, create, update, read status, prune) against the emulator,
  with each request the tool made mapped to the ARM action that authorizes it: the apply role holds exactly
  those actions, the plan role exactly the reads.
- For each action, the emulator's `next403` fault refuses the one request that needs it, as ARM refuses a
  role without it, and the test checks what reconcile says: the action named, and the context (reading
  live state, the failed step, reading replication status).
- The documented example messages are what the tool prints.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "rbac.md").read_text(encoding="utf-8")
ROLES = ROOT / "docs" / "rbac"
QUICKSTART = str(ROOT / "manifests" / "quickstart")

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
}


def role_actions(name: str) -> list[str]:
    role = json.loads((ROLES / f"gallery-reconciler-{name}.json").read_text(encoding="utf-8"))
    assert role["IsCustom"] is True and role["NotActions"] == [] and role["DataActions"] == []
    assert role["AssignableScopes"] == ["/subscriptions/SUBSCRIPTION_ID"]
    assert len(role["Actions"]) == len(set(role["Actions"]))
    return role["Actions"]


def manifest(workdir: Path, *, group: str = "rbacRG", create_group: bool = True, description: str = "one",
             replicas: int = 1, versions: bool = True, galleries: bool = True) -> str:  # fmt: skip
    version = (
        '        versions:\n          "1.0.0":\n'
        "            source: {managedImage: {resourceGroup: platform-images, name: ubuntu-base}}\n"
        f"            targetRegions: [westeurope={replicas}]\n"
    )
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


def test_the_apply_role_is_exactly_what_a_lifecycle_calls(run: Cli) -> None:
    run.admin.reset()
    run("plan", manifest(run.workdir))
    plan_ops = dict(run.admin.requests()["byOperation"])
    run("apply", "--auto-approve", manifest(run.workdir))
    run("apply", "--auto-approve", manifest(run.workdir, description="two", replicas=2))
    run("status", manifest(run.workdir, description="two", replicas=2))
    run("plan", manifest(run.workdir, description="two", replicas=2))
    run("apply", "--auto-approve", "--prune", manifest(run.workdir, create_group=False, galleries=False))
    run("apply", "--auto-approve", "--prune", manifest(run.workdir, create_group=False, galleries=False))
    operations = run.admin.requests()["byOperation"]
    unknown = sorted(set(operations) - set(OPERATION_ACTIONS))
    assert not unknown, f"reconcile made requests docs/rbac.md does not account for: {unknown}"
    assert {OPERATION_ACTIONS[op] for op in operations} == set(role_actions("apply"))
    assert {OPERATION_ACTIONS[op] for op in plan_ops} == {"Microsoft.Compute/galleries/read"}
    # the definition and gallery were updated in place and deleted: every write and delete was exercised
    assert {"Galleries_Update", "GalleryImages_Update", "GalleryImageVersions_Update"} <= set(operations)
    assert {"Galleries_Delete", "GalleryImages_Delete", "GalleryImageVersions_Delete"} <= set(operations)


def test_the_plan_role_is_the_reads_of_the_apply_role() -> None:
    reads = [a for a in role_actions("apply") if a.endswith("/read") and "/galleries" in a]
    assert role_actions("plan") == reads


@dataclass(frozen=True)
class Refusal:
    """One action refused: the request that needs it, and the command that makes that request."""

    action: str
    command: str  # plan | apply | prune | status
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
]

CONTEXT = {
    "plan": "Error: reading live state (nothing was changed): permission denied: ",
    "status": "Error: reading replication status: permission denied: ",
    "apply": "  failed: create ",
    "update": "  failed: update version gal/ubuntu/1.0.0: permission denied: ",
    "prune": "  failed: delete ",
}


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda r: f"{r.command}-{r.action.split('/', 1)[1]}")
def test_a_missing_action_is_named(run: Cli, refusal: Refusal) -> None:
    if refusal.setup == "applied":
        run("apply", "--auto-approve", manifest(run.workdir))
    if refusal.command == "prune":
        path = manifest(run.workdir, create_group=False, galleries=False)
    elif refusal.command == "update":
        path = manifest(run.workdir, replicas=2)
    else:
        path = manifest(run.workdir)
    argv = {
        "plan": ["plan", path],
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
    if refusal.command in ("plan", "status"):
        assert refusal.action in role_actions("plan")
    run.admin.clear_faults()
    if refusal.command != "status":  # a re-run with the permission converges: nothing half-done sticks
        run(*argv[:-1], path)


def test_every_action_is_proved_and_documented() -> None:
    proved = {r.action for r in REFUSALS}
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
    run("apply", "--auto-approve", QUICKSTART)
    run.admin.faults(next403=1, match=r"GET .*/versions/1\.0\.0$")
    assert _doc_example("`reconcile status`:") in run("status", QUICKSTART, expect=1).output
