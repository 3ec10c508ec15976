"""The Compute RP's own validation rules (API-FACTS §5.3, §7): names, dates, ranges and immutable properties."""

from __future__ import annotations

import re
from typing import Any

from .common import parse_time
from .errors import ArmError, invalid_parameter, property_change_not_allowed

GALLERY_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._]{0,78}[A-Za-z0-9])?$")
IMAGE_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.\-]{0,78}[A-Za-z0-9_])?$")
IMAGE_NAME_RULE = r"^[^_\W][\w-._]{0,79}(?<![-.])$"
VERSION_NAME = re.compile(r"^(\d{1,10})\.(\d{1,10})\.(\d{1,10})$")
IDENTIFIER_VALUE = re.compile(r"^[A-Za-z0-9._-]*[A-Za-z0-9_-]$")
IDENTIFIER_MAX = {"publisher": 128, "offer": 64, "sku": 64}
MAX_REPLICAS = 100


def check_gallery_name(name: str) -> None:
    if not GALLERY_NAME.match(name):
        raise ArmError(
            400,
            "InvalidResourceName",
            "Gallery name is invalid. The allowed characters are English alphanumeric characters, with underscores, "
            "and periods allowed in the middle, up to 80 characters total. All other special characters, including "
            "dashes, are disallowed.",
            "galleryName",
        )


def check_image_name(name: str) -> None:
    if not IMAGE_NAME.match(name):
        raise ArmError(
            400,
            "InvalidResourceName",
            f"The entity name {name} is invalid according to its validation rule: {IMAGE_NAME_RULE}.",
            "galleryImageName",
        )


def check_version_name(name: str) -> None:
    m = VERSION_NAME.match(name)
    if not m or any(int(part) > 2**31 - 1 for part in m.groups()):
        raise invalid_parameter(
            "The image version name is invalid. The image version name should follow Major(int).Minor(int).Patch(int) "
            "format, for e.g: 1.0.0, 2018.12.1 etc.",
            "galleryImageVersionName",
        )


def check_body_name(raw: dict[str, Any], url_name: str, prefix: str) -> None:
    name = raw.get("name")
    if name is not None and (not isinstance(name, str) or name.lower() != url_name.lower()):
        raise invalid_parameter("Entity name does not match the name in the request URL.", f"{prefix}.name")


def check_identifier(identifier: dict[str, str]) -> None:
    for part, limit in IDENTIFIER_MAX.items():
        value = identifier.get(part, "")
        if not value or len(value) > limit or not IDENTIFIER_VALUE.match(value):
            raise invalid_parameter(
                f"Asset name galleryImage.properties.identifier.{part} is not valid. It can't be empty. Allowed "
                "characters are uppercase or lowercase letters, digits, hyphen(-), period (.), underscore (_). Names "
                f"are not allowed to end with period(.). The length of the name cannot exceed {limit} characters.",
                f"galleryImage.properties.identifier.{part}",
            )


def check_future(value: str | None, target: str, now: float) -> None:
    if value is not None and parse_time(value) <= now:
        raise invalid_parameter("EndOfLifeDate must be set to a future date.", target)


def check_range(props: dict[str, Any]) -> None:
    for what in ("vCPUs", "memory"):
        rng = (props.get("recommended") or {}).get(what) or {}
        if "min" in rng and "max" in rng and rng["min"] > rng["max"]:
            raise invalid_parameter(
                f"The minimum value of {what} must not be greater than the maximum value of {what}.",
                f"galleryImage.properties.recommended.{what}",
            )


def check_replicas(value: int | None, target: str) -> None:
    if value is not None and not 1 <= value <= MAX_REPLICAS:
        raise invalid_parameter(
            f"The value {value} of parameter '{target}' is out of range. The value must be between 1 and "
            f"{MAX_REPLICAS}, inclusive.",
            target,
        )


def _get(doc: dict[str, Any], path: str) -> Any:
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return a == b


def check_immutable(old: dict[str, Any], new: dict[str, Any], paths: tuple[str, ...], prefix: str) -> None:
    """409 PropertyChangeNotAllowed when `new` sets a path to a value different from `old`.

    A path the request leaves out keeps its stored value; repeating the stored value is a no-op,
    matching the live service accepting identical re-sends (API-FACTS §11).
    """
    for path in paths:
        after = _get(new, path)
        if after is None:
            continue
        if not _same(_get(old, path), after):
            raise property_change_not_allowed(f"{prefix}.{path}")
