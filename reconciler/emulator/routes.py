"""URL table: ARM path patterns (case-insensitive) -> operation name and handler, moto's urls.py for ARM."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from . import arm, galleries, lro, resources, sharing, softdelete, sources, versions
from .common import Ctx, Response

SUB = r"/subscriptions/(?P<sub>[^/]+)"
RG = SUB + r"/resourcegroups/(?P<rg>[^/]+)"
GAL = RG + r"/providers/microsoft\.compute/galleries/(?P<gallery>[^/]+)"
IMG = GAL + r"/images/(?P<image>[^/]+)"
VER = IMG + r"/versions/(?P<version>[^/]+)"
LOC = SUB + r"/providers/microsoft\.compute/locations/(?P<loc>[^/]+)"
SRC_COMPUTE = RG + r"/providers/microsoft\.compute/(?P<kind>virtualmachines|images|snapshots|disks)"
SRC_STORAGE = RG + r"/providers/microsoft\.storage/(?P<kind>storageaccounts)"

Handler = Callable[[Ctx], Response]


@dataclass(frozen=True)
class Route:
    """One ARM operation: method, compiled path pattern, operation name, handler, and whether it needs a token."""

    method: str
    pattern: re.Pattern[str]
    operation: str
    handler: Handler
    auth: bool = True


def _r(method: str, pattern: str, operation: str, handler: Handler, auth: bool = True) -> Route:
    return Route(method, re.compile(pattern + r"/?", re.IGNORECASE), operation, handler, auth)


ROUTES: list[Route] = [
    _r("GET", r"/metadata/endpoints", "Metadata_Get", arm.metadata, auth=False),
    _r("GET", r"/msi/token", "ManagedIdentity_GetToken", arm.msi_token, auth=False),
    _r("GET", r"/tenants", "Tenants_List", arm.tenants),
    _r("GET", r"/subscriptions", "Subscriptions_List", arm.subscriptions),
    _r("GET", SUB, "Subscriptions_Get", arm.subscription_get),
    _r("GET", SUB + r"/locations", "Subscriptions_ListLocations", arm.locations),
    _r("GET", SUB + r"/resourcegroups", "ResourceGroups_List", arm.rg_list),
    _r("PUT", RG, "ResourceGroups_CreateOrUpdate", arm.rg_put),
    _r("GET", RG, "ResourceGroups_Get", arm.rg_get),
    _r("HEAD", RG, "ResourceGroups_CheckExistence", arm.rg_head),
    _r("DELETE", RG, "ResourceGroups_Delete", arm.rg_delete),
    _r("GET", SUB + r"/resources", "Resources_List", resources.list_in_subscription),
    _r("GET", RG + r"/resources", "Resources_ListByResourceGroup", resources.list_in_group),
    _r(
        "GET",
        SUB + r"/providers/microsoft\.compute/locations/(?P<loc>[^/]+)/capsoperations/(?P<op>[^/]+)",
        "AsyncOperation_Get",
        lro.get_status,
    ),
    _r(
        "GET",
        SUB + r"/providers/microsoft\.compute/locations/(?P<loc>[^/]+)/diskoperations/(?P<op>[^/]+)",
        "DiskOperation_Get",
        lro.get_status,
    ),
    _r(
        "GET",
        SUB + r"/providers/microsoft\.storage/locations/(?P<loc>[^/]+)/asyncoperations/(?P<op>[^/]+)",
        "StorageAsyncOperation_Get",
        lro.get_storage_status,
    ),
    _r("GET", SUB + r"/providers/microsoft\.compute/galleries", "Galleries_List", galleries.gallery_list),
    _r(
        "GET",
        RG + r"/providers/microsoft\.compute/galleries",
        "Galleries_ListByResourceGroup",
        galleries.gallery_list_by_rg,
    ),
    _r("GET", GAL, "Galleries_Get", galleries.gallery_get),
    _r("PUT", GAL, "Galleries_CreateOrUpdate", galleries.gallery_put),
    _r("PATCH", GAL, "Galleries_Update", galleries.gallery_patch),
    _r("DELETE", GAL, "Galleries_Delete", galleries.gallery_delete),
    _r("POST", GAL + r"/share", "GallerySharingProfile_Update", sharing.share),
    _r(
        "GET",
        GAL + r"/softdeletedartifacttypes/(?P<atype>[^/]+)/artifacts/(?P<artifact>[^/]+)/versions",
        "SoftDeletedResource_ListByArtifactName",
        softdelete.list_versions,
    ),
    _r("GET", LOC + r"/sharedgalleries", "SharedGalleries_List", sharing.shared_gallery_list),
    _r("GET", LOC + r"/sharedgalleries/(?P<name>[^/]+)", "SharedGalleries_Get", sharing.shared_gallery_get),
    _r("GET", LOC + r"/communitygalleries/(?P<name>[^/]+)", "CommunityGalleries_Get", sharing.community_gallery_get),
    _r("GET", GAL + r"/images", "GalleryImages_ListByGallery", galleries.image_list),
    _r("GET", IMG, "GalleryImages_Get", galleries.image_get),
    _r("PUT", IMG, "GalleryImages_CreateOrUpdate", galleries.image_put),
    _r("PATCH", IMG, "GalleryImages_Update", galleries.image_patch),
    _r("DELETE", IMG, "GalleryImages_Delete", galleries.image_delete),
    _r("GET", IMG + r"/versions", "GalleryImageVersions_ListByGalleryImage", versions.version_list),
    _r("GET", VER, "GalleryImageVersions_Get", versions.version_get),
    _r("PUT", VER, "GalleryImageVersions_CreateOrUpdate", versions.version_put),
    _r("PATCH", VER, "GalleryImageVersions_Update", versions.version_patch),
    _r("DELETE", VER, "GalleryImageVersions_Delete", versions.version_delete),
]
for _base in (SRC_COMPUTE, SRC_STORAGE):
    ROUTES += [
        _r("GET", _base, "{kind}_List", sources.source_list),
        _r("PUT", _base + r"/(?P<name>[^/]+)", "{kind}_Put", sources.source_put),
        _r("GET", _base + r"/(?P<name>[^/]+)", "{kind}_Get", sources.source_get),
        _r("DELETE", _base + r"/(?P<name>[^/]+)", "{kind}_Delete", sources.source_delete),
    ]

_BY_METHOD: dict[str, list[Route]] = {}
for _route in ROUTES:
    _BY_METHOD.setdefault(_route.method, []).append(_route)


def match(method: str, path: str) -> tuple[Route, dict[str, str], str] | None:
    """Find the route for a request: (route, decoded path parameters, operation name)."""
    for route in _BY_METHOD.get(method, ()):
        m = route.pattern.fullmatch(path)
        if m:
            params = {k: unquote(v) for k, v in m.groupdict().items()}
            operation = route.operation
            if "{kind}" in operation:
                operation = operation.replace("{kind}", sources.KINDS[params["kind"].lower()][1])
            return route, params, operation
    return None


def path_known(path: str) -> bool:
    return any(r.pattern.fullmatch(path) for r in ROUTES)
