"""docs/getting-started.md is true: its manifests are the files, its `reconcile` commands run as written and
print what the page says, its REST requests build what the manifests declare, and its PowerShell sets the
REST fields the page's REST requests set. (The az CLI lines run in test_getting_started_az.py, marker azcli.)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from reconciler.emulator.testing import ARM_SCOPE, EmulatorCredential, emulator_server
from tests.docs.getting_started import (
    BEFORE,
    DOC,
    ROOT,
    SEED,
    STEPS,
    assert_manifests_match,
    copy_sources,
    prepare_manifests,
    requests_of,
    split_claim,
    subscription_placeholder,
)
from tests.docs.powershell import Invocation, Opaque, parse
from tests.docs.shell import logical_lines

STEP_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs" / "getting-started").rglob("*.yaml"))


def test_every_step_shows_the_manifest_the_commands_az_powershell_and_rest() -> None:
    assert len(STEPS) == 11
    for step in STEPS[:-1]:
        for language in ("yaml", "sh", "azurecli", "powershell", "http"):
            assert step.of(language), f"{step.title} has no {language} block"


def test_manifest_blocks_are_the_files() -> None:
    shown = {}
    for step in STEPS:
        for block in step.of("yaml"):
            match = re.search(r"`(docs/getting-started/[^`]+\.yaml)`:$", block.lead)
            assert match, f"{step.title}: a manifest block must follow the line naming its file"
            shown[match.group(1)] = block.text
    assert sorted(shown) == [f for f in STEP_FILES if not f.endswith("seed.yaml")]
    for name, text in shown.items():
        assert (ROOT / name).read_text(encoding="utf-8") == text, f"{name} differs from its block in the page"


# --- the reconcile commands, exactly as written, against the embedded emulator ------------------------------


@pytest.mark.e2e
def test_the_commands_run_as_written(tmp_path: Path) -> None:
    copy_sources(tmp_path)
    install = [b.text for b in BEFORE.of("console")]
    assert install == ["python3 -m venv .venv && . .venv/bin/activate && pip install -e .\n"]  # the only line not run
    env = {k: v for k, v in os.environ.items() if k not in ("AZURE_SUBSCRIPTION_ID", "RECONCILE_TARGET")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # as after `activate`
    ran = 0
    for section in [BEFORE, *STEPS]:
        for block in section.of("sh"):
            for line in logical_lines(block.text):
                command, claim = split_claim(line)
                done = subprocess.run(
                    ["bash", "-e", "-o", "pipefail", "-c", command],
                    cwd=tmp_path,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=False,
                )
                output = done.stdout + done.stderr
                assert done.returncode == 0, f"{section.title}: `{command}` exited {done.returncode}:\n{output}"
                assert "Traceback" not in output
                if claim:
                    assert claim in output, f"{section.title}: `{command}` did not print {claim!r}:\n{output}"
                ran += "reconcile " in command
    assert ran == 18


# --- the REST requests, sent to the emulator -----------------------------------------------------------------


def _send(session: requests.Session, ca: str, token: str, method: str, url: str, body: Any) -> None:
    # verify= per request: requests lets REQUESTS_CA_BUNDLE override a session-level setting
    headers = {"Authorization": f"Bearer {token}"}
    response = session.request(method, url, json=body, headers=headers, verify=ca)
    assert response.status_code in (200, 201, 202), f"{method} {url}: {response.status_code} {response.text}"
    status_url = response.headers.get("Azure-AsyncOperation")
    while status_url:  # the long-running operation, followed as a REST client would
        status = session.get(status_url, headers=headers, verify=ca).json()["status"]
        if status != "InProgress":
            assert status == "Succeeded", f"{method} {url}: the operation ended {status}"
            return
        time.sleep(0.05)


@pytest.mark.e2e
def test_the_rest_requests_build_what_the_manifests_declare(tmp_path: Path) -> None:
    copy_sources(tmp_path)
    with emulator_server(seed=SEED, replication_seconds=0.0) as emu:
        token = EmulatorCredential().get_token(ARM_SCOPE).token
        session = requests.Session()
        for step in STEPS[:-1]:
            for request in requests_of(step):
                url = subscription_placeholder(request.url, emu.default_subscription)
                url = url.replace("https://management.azure.com", emu.url)
                body = json.loads(subscription_placeholder(json.dumps(request.body), emu.default_subscription))
                _send(session, str(emu.ca_path), token, request.method, url, body)
            manifests = prepare_manifests(tmp_path, step)
            assert_manifests_match(emu.url, str(emu.ca_path), manifests, step.title)


# --- PowerShell, checked against the REST fields each parameter sets -----------------------------------------

# Cmdlet -> (HTTP method, the resource path segments its name parameters fill).
CMDLETS = {
    "New-AzResourceGroup": ("PUT", ["resourcegroups/Name"]),
    "New-AzGallery": ("PUT", ["resourceGroups/ResourceGroupName", "galleries/Name"]),
    "New-AzGalleryImageDefinition": (
        "PUT",
        ["resourceGroups/ResourceGroupName", "galleries/GalleryName", "images/Name"],
    ),
    "New-AzGalleryImageVersion": (
        "PUT",
        [
            "resourceGroups/ResourceGroupName",
            "galleries/GalleryName",
            "images/GalleryImageDefinitionName",
            "versions/Name",
        ],
    ),
    "Update-AzGalleryImageVersion": (
        "PATCH",
        [
            "resourceGroups/ResourceGroupName",
            "galleries/GalleryName",
            "images/GalleryImageDefinitionName",
            "versions/Name",
        ],
    ),
}

PP = "properties.publishingProfile."
# (cmdlet, parameter) -> the REST body field it sets. Hashtable parameters map their keys below.
PARAMETERS = {
    ("New-AzResourceGroup", "Location"): "location",
    ("New-AzGallery", "Location"): "location",
    ("New-AzGallery", "Description"): "properties.description",
    ("New-AzGalleryImageDefinition", "Location"): "location",
    ("New-AzGalleryImageDefinition", "Publisher"): "properties.identifier.publisher",
    ("New-AzGalleryImageDefinition", "Offer"): "properties.identifier.offer",
    ("New-AzGalleryImageDefinition", "Sku"): "properties.identifier.sku",
    ("New-AzGalleryImageDefinition", "OsType"): "properties.osType",
    ("New-AzGalleryImageDefinition", "OsState"): "properties.osState",
    ("New-AzGalleryImageDefinition", "HyperVGeneration"): "properties.hyperVGeneration",
    ("New-AzGalleryImageDefinition", "EndOfLifeDate"): "properties.endOfLifeDate",
    ("New-AzGalleryImageDefinition", "Description"): "properties.description",
    ("New-AzGalleryImageVersion", "Location"): "location",
    ("New-AzGalleryImageVersion", "ReplicaCount"): PP + "replicaCount",
    ("New-AzGalleryImageVersion", "StorageAccountType"): PP + "storageAccountType",
    ("New-AzGalleryImageVersion", "TargetRegion"): PP + "targetRegions",
    ("New-AzGalleryImageVersion", "PublishingProfileEndOfLifeDate"): PP + "endOfLifeDate",
    ("New-AzGalleryImageVersion", "PublishingProfileExcludeFromLatest"): PP + "excludeFromLatest",
    ("New-AzGalleryImageVersion", "SourceImageId"): "properties.storageProfile.source.id",
    ("New-AzGalleryImageVersion", "SourceImageVMId"): "properties.storageProfile.source.virtualMachineId",
    ("New-AzGalleryImageVersion", "OSDiskImage"): "properties.storageProfile.osDiskImage",
    ("New-AzGalleryImageVersion", "DataDiskImage"): "properties.storageProfile.dataDiskImages",
    ("Update-AzGalleryImageVersion", "ReplicaCount"): PP + "replicaCount",
    ("Update-AzGalleryImageVersion", "TargetRegion"): PP + "targetRegions",
    ("Update-AzGalleryImageVersion", "PublishingProfileEndOfLifeDate"): PP + "endOfLifeDate",
    ("Update-AzGalleryImageVersion", "PublishingProfileExcludeFromLatest"): PP + "excludeFromLatest",
}  # fmt: skip

# Hashtable keys (the SDK model's property names) -> REST names: TargetRegion, GalleryOSDiskImage,
# GalleryDataDiskImage, GalleryDiskImageSource (Az.Compute help for New-AzGalleryImageVersion).
KEYS = {
    "Name": "name",
    "ReplicaCount": "regionalReplicaCount",
    "StorageAccountType": "storageAccountType",
    "ExcludeFromLatest": "excludeFromLatest",
    "Source": "source",
    "Id": "id",
    "Uri": "uri",
    "StorageAccountId": "storageAccountId",
    "Lun": "lun",
    "HostCaching": "hostCaching",
}


def _rest_value(value: Any) -> Any:
    if isinstance(value, dict):
        unknown = set(value) - set(KEYS)
        assert not unknown, f"hashtable keys without a REST field in the table: {unknown}"
        return {KEYS[k]: _rest_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rest_value(v) for v in value]
    assert not isinstance(value, Opaque), f"a run-time value where a literal belongs: {value.text}"
    return value


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out |= _flatten(item, f"{prefix}.{key}" if prefix else key)
        return out
    if isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            out |= _flatten(item, f"{prefix}[{i}]")
        return out
    return {prefix: value}


def _normal(value: Any) -> Any:
    """Compare as Azure does: names and enums case-insensitively, regions by folded name, dates as instants."""
    if isinstance(value, str):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?", value):
            parsed = dt.datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
        return value.replace(" ", "").lower()
    return value


def _rest_request(call: Invocation) -> tuple[str, str, dict[str, Any]]:
    """The method, resource path and flattened body the invocation sends, by the tables above."""
    method, segments = CMDLETS[call.cmdlet]
    path = "/subscriptions/{subscriptionId}" + "".join(
        f"/{'providers/Microsoft.Compute/' if kind == 'galleries' else ''}{kind}/{call.parameters[param]}"
        for kind, param in (s.split("/") for s in segments)
    )
    names = {param for _, param in (s.split("/") for s in segments)}
    body: dict[str, Any] = {}
    for name, value in call.parameters.items():
        if name in names:
            continue
        field = PARAMETERS.get((call.cmdlet, name))
        assert field, f"{call.cmdlet} -{name}: no REST field for it in the table"
        body |= _flatten(_rest_value(value), field)
    return method, path, body


def test_powershell_sets_the_fields_the_rest_requests_set() -> None:
    _, variables = parse(BEFORE.of("powershell")[0].text)
    assert isinstance(variables["subscriptionid"], Opaque)  # computed by Get-AzContext at run time
    variables["subscriptionid"] = "{subscriptionId}"  # the REST requests' placeholder for the same value
    checked = 0
    for step in STEPS[:-1]:
        rest = {}
        for request in requests_of(step):
            path = request.url.split("https://management.azure.com", 1)[1].split("?", 1)[0]
            fields = _flatten(request.body)
            if request.method == "PATCH":  # the unchanged storage profile every version body carries
                fields = {k: v for k, v in fields.items() if not k.startswith("properties.storageProfile.")}
            rest[(request.method, path.lower())] = fields
        calls: list[Invocation] = []
        for block in step.of("powershell"):
            found, variables = parse(block.text, variables)
            calls += found
        assert len(calls) == len(rest), f"{step.title}: {len(calls)} cmdlets for {len(rest)} REST requests"
        for call in calls:
            method, path, fields = _rest_request(call)
            assert (method, path.lower()) in rest, f"{step.title}: {call.cmdlet} sends {method} {path}, not shown"
            expected = rest[(method, path.lower())]
            assert set(fields) == set(expected), (
                f"{step.title}: {call.cmdlet} sets {sorted(fields)}, REST {sorted(expected)}"
            )
            for key, value in fields.items():
                assert _normal(value) == _normal(expected[key]), f"{step.title}: {call.cmdlet} {key}: {value!r}"
            checked += 1
    assert checked == 13


def test_the_powershell_table_catches_a_wrong_parameter() -> None:
    call = Invocation(
        "New-AzGalleryImageVersion",
        {"ResourceGroupName": "rg", "GalleryName": "g", "GalleryImageDefinitionName": "d", "Name": "1.0.0",
         "Location": "eastus", "TargetRegion": [{"Name": "eastus", "Replicas": 2}]},
    )  # fmt: skip
    with pytest.raises(AssertionError, match="Replicas"):
        _rest_request(call)
    call.parameters["TargetRegion"] = [{"Name": "eastus"}]
    call.parameters["SourceImage"] = "/subscriptions/x"
    with pytest.raises(AssertionError, match="-SourceImage"):
        _rest_request(call)
    del call.parameters["SourceImage"]
    method, path, fields = _rest_request(call)
    assert method == "PUT"
    assert path.endswith("/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/d/versions/1.0.0")
    assert fields == {"location": "eastus", PP + "targetRegions[0].name": "eastus"}


def test_the_page_links_what_exists() -> None:
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", DOC):
        if not target.startswith("http"):
            assert (ROOT / "docs" / target).exists(), f"broken link {target}"
