"""The resource kinds, one module each, registered here in hierarchy order (parents before children).

`KINDS[0]` is the top level (galleries); each kind's `parent` is the one before it. Everything generic
(live reads, diff, steps, executor, rendering) walks `KINDS` instead of naming a kind.
"""

from __future__ import annotations

from reconciler.kinds.base import Field, ResourceKind, comparable
from reconciler.kinds.gallery import GALLERY, Gallery
from reconciler.kinds.image_definition import IMAGE_DEFINITION, ImageDefinition
from reconciler.kinds.image_version import IMAGE_VERSION, ImageVersion

KINDS: tuple[ResourceKind, ...] = (GALLERY, IMAGE_DEFINITION, IMAGE_VERSION)
"""Every gallery resource kind, outermost first."""

BY_NAME: dict[str, ResourceKind] = {k.name: k for k in KINDS}
"""Kinds by their plan name ("gallery", "definition", "version")."""

__all__ = [
    "BY_NAME",
    "GALLERY",
    "IMAGE_DEFINITION",
    "IMAGE_VERSION",
    "KINDS",
    "Field",
    "Gallery",
    "ImageDefinition",
    "ImageVersion",
    "ResourceKind",
    "comparable",
]
