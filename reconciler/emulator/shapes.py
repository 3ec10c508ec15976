"""Which body fields exist at each gallery api-version: requests lose, and responses omit, the newer ones.

The Compute RP (de)serialises with the model of the request's api-version: a property that version does not
know is ignored on the way in and absent on the way out, whatever was stored by a newer client. The table
gives the first api-version each field is known in (API-FACTS §2.2-§4.3 "first seen"; where a saved spec or a
recording is more precise it says so). Versions older than the oldest saved spec (2019-12-01: 2018-06-01,
2019-03-01, 2019-07-01) get that oldest known shape.
"""

from __future__ import annotations

from typing import Any

# (path, first api-version). A path is dot-separated from the resource body; "[]" walks every list item.
_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "gallery": (
        ("properties.sharingProfile", "2020-09-30"),
        ("properties.softDeletePolicy", "2021-07-01"),
        # [S26]: retention and grace periods are new in 2026-03-03
        ("properties.softDeletePolicy.retentionPeriodInDays", "2026-03-03"),
        ("properties.softDeletePolicy.gracePeriodInDays", "2026-03-03"),
        ("identity", "2024-03-03"),
    ),
    "galleryImage": (
        ("properties.features", "2020-09-30"),
        ("properties.architecture", "2021-10-01"),
        ("properties.features[].startsAtVersion", "2024-03-03"),
        ("properties.allowUpdateImage", "2024-03-03"),
    ),
    "galleryImageVersion": (
        ("properties.publishingProfile.replicationMode", "2021-07-01"),
        ("properties.publishingProfile.targetExtendedLocations", "2021-10-01"),
        ("properties.safetyProfile", "2022-03-03"),
        # recordings at 2022-03-03 show an OS-disk encryption with an (empty) securityProfile
        ("properties.publishingProfile.targetRegions[].encryption.osDiskImage.securityProfile", "2022-03-03"),
        ("properties.storageProfile.osDiskImage.source.uri", "2022-03-03"),
        ("properties.storageProfile.osDiskImage.source.storageAccountId", "2022-03-03"),
        ("properties.storageProfile.dataDiskImages[].source.uri", "2022-03-03"),
        ("properties.storageProfile.dataDiskImages[].source.storageAccountId", "2022-03-03"),
        # the 2022-08-03 spec has per-region excludeFromLatest, community sources and the UEFI profile
        ("properties.publishingProfile.targetRegions[].excludeFromLatest", "2022-08-03"),
        ("properties.storageProfile.source.communityGalleryImageId", "2022-08-03"),
        ("properties.securityProfile", "2022-08-03"),
        ("properties.storageProfile.source.virtualMachineId", "2023-07-03"),
        ("properties.publishingProfile.targetRegions[].additionalReplicaSets", "2024-03-03"),
        ("properties.safetyProfile.blockDeletionBeforeEndOfLife", "2024-03-03"),
        # recorded at 2024-03-03 (recordings/azure-cli/test_gallery_soft_delete_policy_and_recycle_bin.yaml)
        ("properties.validationsProfile", "2024-03-03"),
        ("properties.publishingProfile.storageAccountStrategy", "2025-03-03"),
        ("properties.imageMetadataProfiles", "2026-03-03"),
        ("properties.securityProfile.secretsProvisioningSettings", "2026-03-03"),
    ),
}


def _drop(node: Any, parts: list[str]) -> None:
    if not parts or not isinstance(node, dict):
        return
    head, rest = parts[0], parts[1:]
    if head.endswith("[]"):
        items = node.get(head[:-2])
        if isinstance(items, list):
            for item in items:
                _drop(item, rest)
        return
    if not rest:
        node.pop(head, None)
    else:
        _drop(node.get(head), rest)


def fit(kind: str, body: dict[str, Any], api: str) -> dict[str, Any]:
    """Remove, in place, the fields of `body` (a `kind` resource body) that `api` does not know; returns it."""
    for path, since in _FIELDS.get(kind, ()):
        if api < since:
            _drop(body, path.split("."))
    return body
