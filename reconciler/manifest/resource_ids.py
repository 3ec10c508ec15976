"""Strict checks of the ARM resource ids a manifest gives for sources and encryption sets.

An id goes into request bodies as written, so it must be exactly an id of the expected type: parsed by
`azure.mgmt.core.tools` (the SDK's own parser) and rebuilt to the same text, with no query string or
fragment, no empty, `.` or `..` segment, a GUID subscription, and each name valid by Azure's naming
rules for its type (the same patterns the manifest schema gives names written as `{name: ...}`; from
https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
"""

from __future__ import annotations

import re
from functools import cache

from azure.mgmt.core.tools import is_valid_resource_id, parse_resource_id

from reconciler.manifest.normalise import ARM_TYPES, KIND_NAMES, arm_type
from reconciler.manifest.schema import manifest_schema

_NAME_DEFS = {
    "microsoft.compute/virtualmachines": ("virtualMachineName",),
    "microsoft.compute/images": ("managedImageName",),
    "microsoft.compute/snapshots": ("snapshotName",),
    "microsoft.compute/disks": ("diskName",),
    "microsoft.storage/storageaccounts": ("storageAccountName",),
    "microsoft.compute/diskencryptionsets": ("diskEncryptionSetName",),
    "microsoft.compute/galleries/images/versions": ("galleryName", "definitionName", "versionName"),
}
"""ARM type -> the schema `$defs` that check its names, outermost first."""

_SHAPES = {
    "virtualMachine": "Microsoft.Compute/virtualMachines/<name>",
    "managedImage": "Microsoft.Compute/images/<name>",
    "snapshot": "Microsoft.Compute/snapshots/<name>",
    "disk": "Microsoft.Compute/disks/<name>",
    "galleryImageVersion": "Microsoft.Compute/galleries/<gallery>/images/<definition>/versions/<version>",
    "storageAccount": "Microsoft.Storage/storageAccounts/<name>",
    "diskEncryptionSet": "Microsoft.Compute/diskEncryptionSets/<name>",
}
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")


@cache
def _rule(definition: str) -> tuple[re.Pattern[str], str]:
    schema = manifest_schema()["$defs"][definition]
    return re.compile(schema["pattern"]), schema.get("x-errorMessage", f"must match {schema['pattern']}")


def _names(parsed: dict[str, str | int]) -> list[str]:
    names = [str(parsed["name"])]
    for level in range(1, int(parsed.get("last_child_num") or 0) + 1):
        names.append(str(parsed[f"child_name_{level}"]))
    return names


def id_problem(value: str, kind: str) -> tuple[str, str | None] | None:
    """(message, hint) when `value` is not exactly the ARM id of a resource of source kind `kind`, else None.

    :param kind: a source kind of the manifest ("virtualMachine", "managedImage", "snapshot", "disk",
        "galleryImageVersion", "storageAccount", "diskEncryptionSet").
    """
    expected = ARM_TYPES[kind]
    what = KIND_NAMES[kind]
    shape = f"expected /subscriptions/<id>/resourceGroups/<rg>/providers/{_SHAPES[kind]}"
    if "?" in value or "#" in value:
        return (
            f"'{value}' is not a valid {what} id: a resource id has no query string or fragment ('?', '#')",
            f"remove everything from '{'?' if '?' in value else '#'}' on",
        )
    if _UNSAFE.search(value):
        return f"'{value}' is not a valid {what} id: it contains whitespace or control characters", None
    segments = value.split("/")[1:]
    if not value.startswith("/") or any(s in ("", ".", "..") for s in segments):
        return f"'{value}' is not a valid {what} id: empty, '.' or '..' path segments are not allowed", shape
    found = arm_type(value)
    if found != expected:
        return f"'{value}' is not the id of a {what} ({expected})", shape
    if not is_valid_resource_id(value):
        return f"'{value}' is not a valid {what} id", shape
    parsed = dict(parse_resource_id(value))
    invalid = f"'{value}' is not a valid {what} id"
    subscription, group = str(parsed.get("subscription", "")), str(parsed.get("resource_group", ""))
    if not _GUID.fullmatch(subscription):
        return f"{invalid}: '{subscription}' is not a subscription id (a GUID)", None
    group_rule, group_message = _rule("resourceGroupName")
    if not group_rule.match(group):
        return f"{invalid}: resource group '{group}': {group_message}", None
    # the type matched, so there is exactly one name per level
    for name, definition in zip(_names(parsed), _NAME_DEFS[expected], strict=True):
        rule, message = _rule(definition)
        if not rule.match(name):
            return f"{invalid}: '{name}': {message}", None
    return None
