"""The one Compute Gallery api-version the tool speaks, and the server defaults that follow from it.

Every gallery request passes `GALLERY_API_VERSION` explicitly (`kinds.base.ResourceKind.sdk_options`),
so the behaviour does not change with the installed SDK's default. Azure's defaults for unset
properties depend on the api-version (API-FACTS §3 and §10; [D-ACG]): from 2025-03-03 a new image
definition without `hyperVGeneration` is V2 (before: V1) and gets `SecurityType=TrustedLaunchSupported`.
"""

from __future__ import annotations

GALLERY_API_VERSION = "2026-03-03"
"""The newest GalleryRP api-version with a saved spec (azure-api/2026-03-03) and recorded traffic
(the 2026 az CLI soft-delete recordings); azure-mgmt-compute 39 defaults to it as well."""

DEFAULT_HYPER_V_GENERATION = "V2"
"""What Azure gives a definition created without `hyperVGeneration` at GALLERY_API_VERSION (V1 before 2025-03-03)."""
