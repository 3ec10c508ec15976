"""`sharing` and `softDelete` of a gallery: what validate accepts, what it refuses (with file:line), the model."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.kinds.gallery import CommunityInfo, Sharing
from reconciler.manifest import build_desired_state, load_manifests

from .conftest import NOW

SUB = "AAAAAAAA-0000-0000-0000-00000000000A"
TENANT = "cccccccc-0000-0000-0000-00000000000c"


def manifest(gallery: str) -> str:
    return f"""apiVersion: gallery-reconciler/v1
scope: {{resourceGroup: rg, location: westeurope}}
galleries:
  corp:
{gallery}"""


def validate(write: Callable[[str, str], Path], gallery: str) -> dict[str, Any]:
    path = write("m.yaml", manifest(gallery))
    result = CliRunner().invoke(cli, ["validate", "--json", str(path)])
    return json.loads(result.stdout)


def messages(report: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(d["severity"], d["line"], d["message"]) for d in report["diagnostics"]]


def test_direct_sharing_and_a_soft_delete_policy_build_into_the_model(write: Callable[[str, str], Path]) -> None:
    text = f"""    softDelete: {{enabled: true, retentionPeriodInDays: 30, gracePeriodInDays: 7}}
    sharing: {{permissions: Groups, subscriptions: [{SUB}], tenants: [{TENANT}]}}
"""
    bundle, diags = load_manifests([write("m.yaml", manifest(text))], env={}, now=NOW)
    assert not diags.has_errors, [str(d) for d in diags]
    state, _ = build_desired_state(bundle)
    [gallery] = state.galleries
    # ids compare without case: the model keeps them folded
    assert gallery.sharing == Sharing("Groups", (SUB.lower(),), (TENANT.lower(),))
    assert (gallery.soft_delete, gallery.retention_days, gallery.grace_days) == (True, 30, 7)


def test_the_short_forms_and_a_community_gallery(write: Callable[[str, str], Path]) -> None:
    text = """    softDelete: false
    sharing:
      permissions: Community
      community: {publisherUri: 'https://c.example', publisherContact: a@c.example, eula: 'https://c.example/e', publicNamePrefix: corp}
"""  # noqa: E501
    bundle, diags = load_manifests([write("m.yaml", manifest(text))], env={}, now=NOW)
    assert not diags.has_errors, [str(d) for d in diags]
    [gallery] = build_desired_state(bundle)[0].galleries
    assert gallery.sharing.community == CommunityInfo("https://c.example", "a@c.example", "https://c.example/e", "corp")
    assert gallery.sharing.subscriptions is None  # not managed
    assert (gallery.soft_delete, gallery.retention_days) == (False, None)


def test_members_only_with_groups_and_community_information_only_with_community(
    write: Callable[[str, str], Path],
) -> None:
    report = validate(write, f"    sharing: {{permissions: Private, subscriptions: [{SUB}]}}\n")
    assert messages(report) == [
        ("error", 5, "sharing.subscriptions needs permissions: Groups (a direct shared gallery), not Private")
    ]
    report = validate(write, "    sharing: {permissions: Community}\n")
    assert "a community gallery needs sharing.community" in messages(report)[0][2]
    report = validate(
        write,
        "    sharing: {permissions: Groups, community: {publisherUri: u, publisherContact: c, eula: e, "
        "publicNamePrefix: p}}\n",
    )
    assert messages(report)[0][2] == "sharing.community is for permissions: Community, not Groups"


def test_the_schema_refuses_bad_ids_and_unknown_permissions(write: Callable[[str, str], Path]) -> None:
    report = validate(write, "    sharing: {permissions: Groups, subscriptions: [not-a-guid]}\n")
    assert any("must be a subscription id (a GUID)" in m for _, _, m in messages(report))
    report = validate(write, "    sharing: {permissions: Public}\n")
    assert report["valid"] is False
    report = validate(write, "    softDelete: {enabled: true, retentionPeriodInDays: 0}\n")
    assert report["valid"] is False


def test_more_members_than_azure_documents_is_a_warning(write: Callable[[str, str], Path]) -> None:
    many = ", ".join(f"{i:08x}-0000-0000-0000-000000000000" for i in range(31))
    report = validate(write, f"    sharing: {{permissions: Groups, subscriptions: [{many}]}}\n")
    assert report["valid"] is True
    assert messages(report) == [
        ("warning", 5, "31 subscriptions: Azure documents at most 30 for a direct shared gallery (preview limits)")
    ]
