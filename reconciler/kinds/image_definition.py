"""Image definitions (`Microsoft.Compute/galleries/images`): the model, its fields, bodies and reads.

Sources: REST spec GalleryRP 2025-03-03 (`GalleryImage`, `GalleryImageUpdate`), API-FACTS §3 (which
properties are updatable) and §7 (features; `allowUpdateImage` from 2024-03-03).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from reconciler.core import arm_json as aj
from reconciler.core import model as m
from reconciler.core.api import DEFAULT_HYPER_V_GENERATION
from reconciler.core.changes import FieldChange
from reconciler.core.reasons import FieldReason
from reconciler.core.regions import fold_region
from reconciler.kinds.base import ExportContext, Field, ResourceKind, future_date, manifest_tags
from reconciler.kinds.gallery import gallery_id

if TYPE_CHECKING:
    from reconciler.core.live_state import LiveResource
    from reconciler.kinds.gallery import Gallery
    from reconciler.manifest.build import Builder
    from reconciler.manifest.bundle import Declared


@dataclass(frozen=True)
class Identifier:
    publisher: str
    offer: str
    sku: str


@dataclass(frozen=True)
class PurchasePlan:
    name: str
    product: str
    publisher: str


@dataclass(frozen=True)
class Range:
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class Feature:
    """An image definition feature as ARM stores it (`SecurityType`, `IsAcceleratedNetworkSupported`, ...).

    Values are normalised so that spellings ARM treats as equal compare equal: booleans as
    "True"/"False", DiskControllerTypes as a sorted comma list.
    """

    name: str
    value: str


_FEATURE_NAMES = {
    n.lower(): n
    for n in ("SecurityType", "IsAcceleratedNetworkSupported", "IsHibernateSupported", "DiskControllerTypes")
}
_SECURITY_TYPES = {
    v.lower(): v
    for v in (
        "Standard",
        "TrustedLaunch",
        "TrustedLaunchSupported",
        "ConfidentialVM",
        "ConfidentialVmSupported",
        "TrustedLaunchAndConfidentialVmSupported",
    )
}
_DISK_CONTROLLERS = {"scsi": "SCSI", "nvme": "NVMe"}


def normalise_feature(name: str, value: str) -> Feature:
    """One canonical spelling per feature, so a manifest and ARM's echo of it compare equal.

    ARM echoes feature values in varying case ("true", "True"); controller lists in any order.
    Canonical forms: booleans "True"/"False", security types in ARM's documented case,
    DiskControllerTypes as "SCSI, NVMe" order (SCSI first, as ARM documents it).
    Unknown names and values pass through unchanged.
    """
    canonical = _FEATURE_NAMES.get(name.lower(), name)
    text = str(value).strip()
    if canonical in ("IsAcceleratedNetworkSupported", "IsHibernateSupported"):
        if text.lower() in ("true", "false"):
            text = text.capitalize()
    elif canonical == "SecurityType":
        text = _SECURITY_TYPES.get(text.lower(), text)
    elif canonical == "DiskControllerTypes":
        parts = [p.strip() for p in text.split(",") if p.strip()]
        known = [_DISK_CONTROLLERS.get(p.lower(), p) for p in parts]
        order = {"SCSI": 0, "NVMe": 1}
        text = ", ".join(sorted(dict.fromkeys(known), key=lambda p: (order.get(p, 2), p)))
    return Feature(canonical, text)


@dataclass(frozen=True)
class Retention:
    """Which versions of a definition not listed in the manifests are deleted (`lifecycle.retention`).

    `keep_newest` versions (the highest version numbers, the order `latest` uses; per major version with
    `per_major_version`) are always kept. Of the others, a version is deleted when it was published more than
    `max_age_days` ago or its end of life has passed (`after_end_of_life`); with neither set, every version
    beyond the newest N is. `include_unowned` opts versions without the ownership tag in (pipelines that
    publish outside the manifests). Guards apply on top (`core.retention`).
    """

    keep_newest: int | None = None
    max_age_days: int | None = None
    after_end_of_life: bool = False
    per_major_version: bool = False
    include_unowned: bool = False

    def to_json(self) -> dict[str, Any]:
        """The rule as the manifest writes it (unset keys left out)."""
        out: dict[str, Any] = {}
        if self.keep_newest is not None:
            out["keepNewest"] = self.keep_newest
        if self.max_age_days is not None:
            out["maxAgeDays"] = self.max_age_days
        if self.after_end_of_life:
            out["deleteAfterEndOfLife"] = True
        if self.per_major_version:
            out["perMajorVersion"] = True
        if self.include_unowned:
            out["includeUnowned"] = True
        return out

    @classmethod
    def from_manifest(cls, value: dict[str, Any]) -> Retention:
        return cls(
            keep_newest=value.get("keepNewest"),
            max_age_days=value.get("maxAgeDays"),
            after_end_of_life=bool(value.get("deleteAfterEndOfLife")),
            per_major_version=bool(value.get("perMajorVersion")),
            include_unowned=bool(value.get("includeUnowned")),
        )


PROMOTE_WHEN_REPLICATED = "whenReplicated"
"""The one promotion rule: publish excluded from latest, clear the flag once every target region replicated."""


@dataclass(frozen=True)
class Lifecycle:
    """A definition's version lifecycle rules (`lifecycle`, the gallery's as defaults, key by key).

    Rules, not Azure properties: `core.lifecycle` resolves them against the live state into the versions'
    `endOfLifeDate` and `excludeFromLatest`, and `core.retention` into deletions.
    """

    retention: Retention | None = None
    end_of_life_after_days: int | None = None
    """Versions without an `endOfLifeDate` of their own reach end of life this many days after publishing."""
    promote_when_replicated: bool = False
    """Versions without an `excludeFromLatest` of their own are published excluded and promoted once replicated."""

    @property
    def empty(self) -> bool:
        return self.retention is None and self.end_of_life_after_days is None and not self.promote_when_replicated


def lifecycle_from_manifest(gallery_rules: Any, definition_rules: Any, *, cleared: bool = False) -> Lifecycle | None:
    """The rules in force for a definition: its own `lifecycle` keys over its gallery's (a key written null: no
    such rule here). `cleared`: the definition writes `lifecycle: null`, so none of its gallery's apply."""
    if cleared:
        return None
    merged = {**(gallery_rules or {}), **(definition_rules or {})}
    retention = merged.get("retention")
    rules = Lifecycle(
        retention=Retention.from_manifest(retention) if retention else None,
        end_of_life_after_days=merged.get("endOfLifeAfterDays"),
        promote_when_replicated=merged.get("promotion") == PROMOTE_WHEN_REPLICATED,
    )
    return None if rules.empty else rules


@dataclass(frozen=True)
class ImageDefinition:
    """An image definition as the manifests want it or as Azure has it."""

    subscription_id: str
    resource_group: str
    gallery: str
    name: str
    location: str
    identifier: Identifier
    os_type: str
    """"Linux" or "Windows"."""
    os_state: str
    """"Generalized" or "Specialized"."""
    hyper_v_generation: str | None = None
    architecture: str | None = None
    features: tuple[Feature, ...] = ()
    """Sorted by name; derived from the manifest's `features` block (security type and the rest)."""
    purchase_plan: PurchasePlan | None = None
    description: str | None = None
    eula: str | None = None
    privacy_statement_uri: str | None = None
    release_note_uri: str | None = None
    end_of_life_date: datetime | None = None
    no_end_of_life_date: bool = False
    """The manifest says `endOfLifeDate: null`: there must be none (unlike unset, which leaves Azure's)."""
    recommended_vcpus: Range | None = None
    recommended_memory: Range | None = None
    disallowed_disk_types: tuple[str, ...] | None = None
    """None = not managed; () = there must be none."""
    cleared: frozenset[str] = frozenset()
    """Manifest keys written as null: there must be none (`recommended.vCPUs` for nested ones)."""
    tags: m.Tags = ()
    lifecycle: Lifecycle | None = None
    """The version lifecycle rules in force (manifests only: not an Azure property, never compared)."""
    origin: m.Origin | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def effective_hyper_v_generation(self) -> str:
        """The generation Azure gives it: as set, else the default of the pinned api-version (core.api)."""
        return self.hyper_v_generation or DEFAULT_HYPER_V_GENERATION

    @property
    def kind(self) -> ImageDefinitionKind:
        return IMAGE_DEFINITION

    @property
    def address(self) -> str:
        return f"{self.gallery}/{self.name}"

    @property
    def id(self) -> str:
        return gallery_id(self.subscription_id, self.resource_group, self.gallery, self.name)

    @property
    def parent_address(self) -> str | None:
        return self.gallery


def _range_json(r: Range | None) -> dict[str, Any] | None:
    return None if r is None else {"min": r.min, "max": r.max}


def _range(value: Any) -> Range | None:
    if not value:
        return None
    return Range(min=value.get("min"), max=value.get("max"))


_CANONICAL = {v.lower(): v for v in ("Linux", "Windows", "Generalized", "Specialized", "V1", "V2", "x64", "Arm64")}
"""Enum values in the manifest schema's spelling (ARM's echo may differ in case)."""

_FEATURE_KEYS = {
    "SecurityType": "securityType",
    "IsAcceleratedNetworkSupported": "acceleratedNetworking",
    "IsHibernateSupported": "hibernation",
    "DiskControllerTypes": "diskControllerTypes",
}
"""ARM feature name -> the key of the manifest's `features` block."""


def _canonical(value: str) -> str:
    return _CANONICAL.get(value.lower(), value)


def _features_manifest(d: ImageDefinition, context: ExportContext) -> dict[str, Any]:
    """The `features` block; a feature the manifests cannot express is left to Azure, with a note."""
    out: dict[str, Any] = {}
    for feature in d.features:
        key = _FEATURE_KEYS.get(feature.name)
        value: Any = feature.value
        if key in ("acceleratedNetworking", "hibernation") and value in ("True", "False"):
            value = value == "True"
        elif key == "securityType" and value.lower() in _SECURITY_TYPES:
            value = _SECURITY_TYPES[value.lower()]
        elif key == "diskControllerTypes" and all(p in _DISK_CONTROLLERS.values() for p in value.split(", ")):
            value = value.split(", ")
        else:
            context.note(d, f"feature {feature.name}={feature.value} has no manifest form: left to Azure")
            continue
        out[key] = value
    return dict(sorted(out.items(), key=lambda item: list(_FEATURE_KEYS.values()).index(item[0])))


def end_of_life_removal(path: str, desired: Any, live: Any) -> list[FieldChange]:
    """`endOfLifeDate: null` against a live date: Azure can change the date but never remove it in place."""
    if not desired.no_end_of_life_date or live.end_of_life_date is None:
        return []
    before = aj.format_datetime(live.end_of_life_date)
    return [FieldChange(path, before, None, forces_replace=True, reason=FieldReason.END_OF_LIFE_REMOVAL)]


class ImageDefinitionKind(ResourceKind):
    name = "definition"
    depth = 1
    arm_type = "Microsoft.Compute/galleries/images"
    manifest_key = "definitions"
    list_segment = "images"
    sdk_group = "gallery_images"
    model = ImageDefinition

    def from_manifest(self, builder: Builder, node: Declared) -> ImageDefinition:
        from reconciler.manifest.bundle import definition_location

        props = node.props
        gallery = builder.parent_of(node)
        features = props.get("features") or {}
        raw_features = {
            "SecurityType": features.get("securityType"),
            "IsAcceleratedNetworkSupported": features.get("acceleratedNetworking"),
            "IsHibernateSupported": features.get("hibernation"),
            "DiskControllerTypes": ", ".join(features["diskControllerTypes"])
            if features.get("diskControllerTypes")
            else None,
        }
        plan = props.get("purchasePlan")
        recommended = props.get("recommended") or {}
        eol = props.get("endOfLifeDate")
        disallowed = props.get("disallowedDiskTypes")
        return ImageDefinition(
            subscription_id=builder.subscription,
            resource_group=builder.group(node),
            gallery=gallery.name,
            name=node.name,
            location=fold_region(definition_location(node) or ""),
            identifier=Identifier(**props["identifier"]),
            os_type=props["osType"],
            os_state=props["osState"],
            hyper_v_generation=props.get("hyperVGeneration"),
            architecture=props.get("architecture"),
            features=tuple(
                sorted(
                    (normalise_feature(name, str(value)) for name, value in raw_features.items() if value is not None),
                    key=lambda f: f.name,
                )
            ),
            purchase_plan=PurchasePlan(**plan) if plan else None,
            description=props.get("description"),
            eula=props.get("eula"),
            privacy_statement_uri=props.get("privacyStatementUri"),
            release_note_uri=props.get("releaseNoteUri"),
            end_of_life_date=builder.date(eol),
            no_end_of_life_date="endOfLifeDate" in props and eol is None,
            recommended_vcpus=Range(**recommended["vCPUs"]) if recommended.get("vCPUs") else None,
            recommended_memory=Range(**recommended["memory"]) if recommended.get("memory") else None,
            disallowed_disk_types=tuple(sorted(disallowed))
            if disallowed is not None
            else (() if "disallowedDiskTypes" in props else None),
            cleared=builder.cleared(node, nested=("recommended",)),
            tags=builder.tags(node),
            lifecycle=lifecycle_from_manifest(
                gallery.props.get("lifecycle"),
                props.get("lifecycle"),
                cleared="lifecycle" in props and props["lifecycle"] is None,
            ),
            origin=builder.origin(node),
        )

    def fields(self, d: ImageDefinition) -> dict[str, Field]:
        plan = d.purchase_plan
        gone = d.cleared

        def cleared(*keys: str) -> bool:
            return any(k in gone for k in keys)

        fields = {
            "location": Field(d.location, mutable=False),
            "identifier.publisher": Field(d.identifier.publisher, mutable=False, case_insensitive=True),
            "identifier.offer": Field(d.identifier.offer, mutable=False, case_insensitive=True),
            "identifier.sku": Field(d.identifier.sku, mutable=False, case_insensitive=True),
            "osType": Field(d.os_type, mutable=False, case_insensitive=True),
            "osState": Field(d.os_state, mutable=False, case_insensitive=True),
            "hyperVGeneration": Field(d.hyper_v_generation, mutable=False, case_insensitive=True),
            "architecture": Field(d.architecture, mutable=False, case_insensitive=True),
            "eula": Field(d.eula, mutable=False, clear=cleared("eula")),
            "privacyStatementUri": Field(d.privacy_statement_uri, mutable=False, clear=cleared("privacyStatementUri")),
            "purchasePlan": Field(
                {"name": plan.name, "product": plan.product, "publisher": plan.publisher} if plan else None,
                mutable=False,
                clear=cleared("purchasePlan"),
            ),
            "description": Field(d.description, clear=cleared("description")),
            "releaseNoteUri": Field(d.release_note_uri, clear=cleared("releaseNoteUri")),
            "endOfLifeDate": Field(aj.format_datetime(d.end_of_life_date)),
            "recommended.vCPUs": Field(
                _range_json(d.recommended_vcpus), clear=cleared("recommended", "recommended.vCPUs")
            ),
            "recommended.memory": Field(
                _range_json(d.recommended_memory), clear=cleared("recommended", "recommended.memory")
            ),
            # Azure does not echo an empty list (recorded), so absent equals [].
            "disallowed.diskTypes": Field(
                list(d.disallowed_disk_types) if d.disallowed_disk_types is not None else None,
                clear=cleared("disallowedDiskTypes"),
                empty=[],
            ),
        }
        # Features are keyed by name: a feature the manifest does not mention is not managed (ARM adds
        # SecurityType=TrustedLaunchSupported by itself from api-version 2025-03-03). Since 2024-03-03 they
        # can be updated in place with allowUpdateImage.
        for feature in d.features:
            fields[f"features[{feature.name}]"] = Field(feature.value, case_insensitive=True)
        return fields

    def extra_changes(self, desired: ImageDefinition, live: LiveResource) -> list[FieldChange]:
        return end_of_life_removal("endOfLifeDate", desired, live.resource)

    def to_manifest(self, d: ImageDefinition, context: ExportContext) -> dict[str, Any]:
        """Every property Azure has, but architecture x64 (Azure's default at every api-version) and a location
        equal to the gallery's. hyperVGeneration is always written: Azure's default for it changed with the
        api-version (`core.api`), and the security types that need V2 need it written. Features are written as
        Azure has them (`SecurityType=TrustedLaunchSupported`, which Azure adds by itself to a definition created
        without hyperVGeneration, cannot be told apart from one chosen on purpose)."""
        out: dict[str, Any] = {
            "identifier": {"publisher": d.identifier.publisher, "offer": d.identifier.offer, "sku": d.identifier.sku},
            "osType": _canonical(d.os_type),
            "osState": _canonical(d.os_state),
        }
        if d.hyper_v_generation:
            out["hyperVGeneration"] = _canonical(d.hyper_v_generation)
        if d.architecture and d.architecture.lower() != "x64":
            out["architecture"] = _canonical(d.architecture)
        if d.location != context.inherited_location(d):
            out["location"] = d.location
        if features := _features_manifest(d, context):
            out["features"] = features
        plan = d.purchase_plan
        if plan:
            out["purchasePlan"] = {"name": plan.name, "product": plan.product, "publisher": plan.publisher}
        for key, value in (
            ("description", d.description),
            ("eula", d.eula),
            ("privacyStatementUri", d.privacy_statement_uri),
            ("releaseNoteUri", d.release_note_uri),
            ("endOfLifeDate", future_date(context, d, "endOfLifeDate", d.end_of_life_date)),
        ):
            if value:
                out[key] = value
        recommended = {
            key: {k: v for k, v in (("min", r.min), ("max", r.max)) if v is not None}
            for key, r in (("vCPUs", d.recommended_vcpus), ("memory", d.recommended_memory))
            if r is not None and (r.min is not None or r.max is not None)
        }
        if recommended:
            out["recommended"] = recommended
        if d.disallowed_disk_types:
            out["disallowedDiskTypes"] = list(d.disallowed_disk_types)
        if tags := manifest_tags(d.tags):
            out["tags"] = tags
        return out

    def create_body(self, d: ImageDefinition, *, allow_update_image: bool = False) -> aj.JSON:
        plan = d.purchase_plan
        recommended = {"vCPUs": _range_json(d.recommended_vcpus), "memory": _range_json(d.recommended_memory)}
        disallowed = {"diskTypes": list(d.disallowed_disk_types)} if d.disallowed_disk_types is not None else None
        return aj.drop_none(
            {
                "location": d.location,
                "tags": dict(d.tags),
                "properties": {
                    "identifier": {
                        "publisher": d.identifier.publisher,
                        "offer": d.identifier.offer,
                        "sku": d.identifier.sku,
                    },
                    "osType": d.os_type,
                    "osState": d.os_state,
                    "hyperVGeneration": d.hyper_v_generation,
                    "architecture": d.architecture,
                    "features": [{"name": f.name, "value": f.value} for f in d.features] or None,
                    "allowUpdateImage": True if allow_update_image else None,
                    "purchasePlan": {"name": plan.name, "product": plan.product, "publisher": plan.publisher}
                    if plan
                    else None,
                    "description": d.description,
                    "eula": d.eula,
                    "privacyStatementUri": d.privacy_statement_uri,
                    "releaseNoteUri": d.release_note_uri,
                    "endOfLifeDate": aj.format_datetime(d.end_of_life_date),
                    "recommended": recommended,
                    "disallowed": disallowed,
                },
            }
        )

    def patch_body(self, desired: ImageDefinition, live_body: aj.JSON) -> aj.JSON:
        """PATCH for a definition: osType, osState and identifier are required by the API even in a PATCH."""
        full = self.create_body(desired)["properties"]
        live_props = live_body.get("properties") or {}
        props: aj.JSON = {k: live_props[k] for k in ("osType", "osState", "identifier") if k in live_props}
        for key in ("description", "releaseNoteUri", "endOfLifeDate", "recommended", "disallowed"):
            if key in full:
                props[key] = full[key]
        if desired.features:
            live_features = {f["name"].lower(): f for f in live_props.get("features") or []}
            for feature in desired.features:
                live_features[feature.name.lower()] = {"name": feature.name, "value": feature.value}
            wanted = sorted(live_features.values(), key=lambda f: f["name"])
            if wanted != sorted(live_props.get("features") or [], key=lambda f: f["name"]):
                props["features"] = wanted
                props["allowUpdateImage"] = True
        return {"tags": dict(desired.tags), "properties": props}

    def put_update_body(self, desired: ImageDefinition, live_body: aj.JSON) -> aj.JSON:
        """The whole definition as desired, for an update that clears fields a PATCH cannot.

        Immutable properties the manifests leave unset are sent as Azure has them (a PUT without them
        would ask for the api-version's default, which Azure refuses as a change), and so are features
        the manifests do not mention.
        """
        body = self.create_body(desired)
        props = body["properties"]
        live_props = live_body.get("properties") or {}
        for key in ("hyperVGeneration", "architecture", "eula", "privacyStatementUri", "purchasePlan"):
            if key not in props and key in live_props and key.split(".")[0] not in desired.cleared:
                props[key] = live_props[key]
        patch = self.patch_body(desired, live_body)["properties"]
        if "features" in patch:
            props["features"], props["allowUpdateImage"] = patch["features"], True
        elif live_props.get("features"):
            props["features"] = live_props["features"]
        return body

    def from_arm(self, parent: Gallery, body: aj.JSON) -> tuple[ImageDefinition, aj.LiveInfo]:
        props = body.get("properties") or {}
        ident = props.get("identifier") or {}
        plan = props.get("purchasePlan")
        recommended = props.get("recommended") or {}
        disallowed = (props.get("disallowed") or {}).get("diskTypes")
        features = tuple(
            sorted(
                (normalise_feature(f["name"], f.get("value", "")) for f in props.get("features") or []),
                key=lambda f: f.name,
            )
        )
        definition = ImageDefinition(
            subscription_id=parent.subscription_id,
            resource_group=parent.resource_group,
            gallery=parent.name,
            name=body["name"],
            location=fold_region(body.get("location", "")),
            identifier=Identifier(ident.get("publisher", ""), ident.get("offer", ""), ident.get("sku", "")),
            os_type=props.get("osType", ""),
            os_state=props.get("osState", ""),
            hyper_v_generation=props.get("hyperVGeneration"),
            architecture=props.get("architecture"),
            features=features,
            purchase_plan=PurchasePlan(plan.get("name", ""), plan.get("product", ""), plan.get("publisher", ""))
            if plan
            else None,
            description=props.get("description"),
            eula=props.get("eula"),
            privacy_statement_uri=props.get("privacyStatementUri"),
            release_note_uri=props.get("releaseNoteUri"),
            end_of_life_date=aj.parse_datetime(props.get("endOfLifeDate")),
            recommended_vcpus=_range(recommended.get("vCPUs")),
            recommended_memory=_range(recommended.get("memory")),
            disallowed_disk_types=tuple(sorted(disallowed)) if disallowed is not None else None,
            tags=aj.tags_of(body),
        )
        return definition, aj.live_info(body)

    def list_children(self, compute: Any, parent: Gallery) -> Any:
        return compute.gallery_images.list_by_gallery(parent.resource_group, parent.name, **self.sdk_options)


IMAGE_DEFINITION = ImageDefinitionKind()
