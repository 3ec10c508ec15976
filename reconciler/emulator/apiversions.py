"""Which api-versions each resource provider path accepts, and the defaults that change between them."""

from __future__ import annotations

import re

from .errors import ArmError

# The versions a live ARM error listed for `galleries` in 2024 (API-FACTS §0, flatcar/mantle PR #520:
# 2018-06-01 … 2023-07-03, with 2021-03-01), plus the stable GalleryRP versions published since.
GALLERY_API_VERSIONS = (
    "2018-06-01",
    "2019-03-01",
    "2019-07-01",
    "2019-12-01",
    "2020-09-30",
    "2021-03-01",
    "2021-07-01",
    "2021-10-01",
    "2022-01-03",
    "2022-03-03",
    "2022-08-03",
    "2023-07-03",
    "2024-03-03",
    "2025-03-03",
    "2025-12-03",
    "2026-03-03",
)
_ANY_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")

# API-FACTS §3/§4.1: from 2025-03-03 new definitions default to V2 + TrustedLaunchSupported and
# versions to the PreferStandard_ZRS storage strategy.
V2_DEFAULT_FROM = "2025-03-03"
# features[].startsAtVersion, allowUpdateImage, blockDeletionBeforeEndOfLife
FEATURE_UPDATE_FROM = "2024-03-03"


def missing() -> ArmError:
    return ArmError(
        400,
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
    )


def check_gallery(version: str | None, rtype: str, location: str = "eastus") -> str:
    if not version:
        raise missing()
    if version not in GALLERY_API_VERSIONS:
        raise ArmError(
            400,
            "NoRegisteredProviderFound",
            f"No registered resource provider found for location '{location}' and API version '{version}' for type "
            f"'{rtype}'. The supported api-versions are '{', '.join(GALLERY_API_VERSIONS)}'. The supported locations "
            "are 'eastus, eastus2, westus, westus2, westus3, centralus, northcentralus, southcentralus, "
            "westcentralus, northeurope, westeurope, uksouth, ukwest'.",
        )
    return version


def check_any(version: str | None, rtype: str) -> str:
    """Non-gallery ARM paths: any well-formed api-version (az and the SDKs each pin different ones)."""
    if not version:
        raise missing()
    if not _ANY_VERSION.match(version):
        raise ArmError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are for type '{rtype}' are dates "
            "in the form 'yyyy-mm-dd'.",
        )
    return version


def at_least(version: str, floor: str) -> bool:
    return version >= floor
