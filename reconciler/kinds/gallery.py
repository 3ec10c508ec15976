"""Galleries (`Microsoft.Compute/galleries`): the model, its fields, its bodies and its reads.

Sources: REST spec GalleryRP 2025-03-03 / 2026-03-03 (`Gallery`, `GalleryUpdate`, `SharingProfile`,
`SoftDeletePolicy`), API-FACTS §1, §2.2 and §12.

Sharing (`sharingProfile`): `permissions` is set when the gallery is created and Azure does not change it in
place ("the property can't currently be updated" for direct-shared galleries; "You can't convert an existing
private gallery to a community gallery"); the only change Azure makes is back to Private, with the `/share`
action's Reset (recorded). Group membership is not part of any PUT: `/share` adds and removes ids (recorded), and
a GET shows them only when asked (`$expand=SharingProfile/Groups`; the az CLI asks with `$select=Permissions`), so
they are read only for galleries Azure says are shared with groups. Membership compares as a set of ids, without
case. Soft delete (`softDeletePolicy`): the switch and, from 2026-03-03, the retention and grace periods, all
updatable in place (recorded: 30/7 changed to 31/8 by a PUT).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler.core import arm_json as aj
from reconciler.core import model as m
from reconciler.core.changes import FieldChange
from reconciler.core.reasons import Blocker, Note
from reconciler.core.regions import fold_region
from reconciler.kinds.base import ExportContext, Field, ResourceKind, manifest_tags

if TYPE_CHECKING:
    from reconciler.core.live_state import LiveResource
    from reconciler.manifest.build import Builder
    from reconciler.manifest.bundle import Declared

PRIVATE, GROUPS, COMMUNITY = "Private", "Groups", "Community"
SUBSCRIPTIONS, TENANTS = "Subscriptions", "AADTenants"
"""Azure's `SharingProfileGroupTypes`."""
PERMISSIONS = "sharingProfile.permissions"
GROUPS_PATH = "sharingProfile.groups"
COMMUNITY_PATH = "sharingProfile.communityGalleryInfo"
ENABLED_PATH = f"{COMMUNITY_PATH}.communityGalleryEnabled"
COMMUNITY_KEYS = ("publisherUri", "publisherContact", "eula", "publicNamePrefix")
DEFAULT_RETENTION_DAYS = 7
"""Azure's retention when a policy names none (soft-delete docs: "within a 7 day retention period")."""


@dataclass(frozen=True)
class CommunityInfo:
    """What a community gallery publishes (`communityGalleryInfo`); public, and fixed once the gallery exists."""

    publisher_uri: str
    publisher_contact: str
    eula: str
    public_name_prefix: str

    def to_json(self) -> dict[str, str]:
        values = (self.publisher_uri, self.publisher_contact, self.eula, self.public_name_prefix)
        return dict(zip(COMMUNITY_KEYS, values, strict=True))


@dataclass(frozen=True)
class Sharing:
    """A gallery's sharing profile.

    `subscriptions` and `tenants` are sorted lower-cased ids; None = not managed (desired) or not read (live).
    `community_enabled` and `public_names` are Azure's (live only).
    """

    permissions: str = PRIVATE
    subscriptions: tuple[str, ...] | None = None
    tenants: tuple[str, ...] | None = None
    community: CommunityInfo | None = None
    community_enabled: bool | None = None
    public_names: tuple[str, ...] = ()

    def members(self, group_type: str) -> tuple[str, ...] | None:
        return self.subscriptions if group_type == SUBSCRIPTIONS else self.tenants


def _ids(values: Any) -> tuple[str, ...] | None:
    return None if values is None else tuple(sorted({str(v).lower() for v in values}))


@functools.lru_cache(maxsize=65536)
def gallery_id(subscription_id: str, resource_group: str, *names: str) -> str:
    """The ARM id of a gallery or of a resource below it, from its gallery / image / version names.

    Cached: a plan asks for each resource's id several times (diff, steps, rendering).
    """
    from azure.mgmt.core.tools import resource_id

    children = {}
    for level, (child_type, name) in enumerate(zip(("images", "versions"), names[1:], strict=False), start=1):
        children[f"child_type_{level}"] = child_type
        children[f"child_name_{level}"] = name
    return resource_id(
        subscription=subscription_id,
        resource_group=resource_group,
        namespace="Microsoft.Compute",
        type="galleries",
        name=names[0],
        **children,
    )


@dataclass(frozen=True)
class Gallery:
    """A gallery as the manifests want it or as Azure has it."""

    subscription_id: str
    resource_group: str
    name: str
    location: str
    description: str | None = None
    tags: m.Tags = ()
    soft_delete: bool | None = None
    """The soft-delete policy's isSoftDeleteEnabled; None = not managed."""
    retention_days: int | None = None
    """softDeletePolicy.retentionPeriodInDays (api-version 2026-03-03); None = not managed / not reported."""
    grace_days: int | None = None
    """softDeletePolicy.gracePeriodInDays (api-version 2026-03-03); None = not managed / not reported."""
    sharing: Sharing | None = None
    """None = not managed (desired); a live gallery always has one (Private when Azure reports none)."""
    cleared: frozenset[str] = frozenset()
    """Manifest keys written as null: there must be none (only `description` can be)."""
    origin: m.Origin | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def kind(self) -> GalleryKind:
        return GALLERY

    @property
    def address(self) -> str:
        return self.name

    @property
    def id(self) -> str:
        return gallery_id(self.subscription_id, self.resource_group, self.name)

    @property
    def parent_address(self) -> str | None:
        return None

    @property
    def soft_delete_periods(self) -> tuple[int, int]:
        """(retention, grace) in days as Azure applies them: Azure's default retention and no grace when unset."""
        return (self.retention_days or DEFAULT_RETENTION_DAYS, self.grace_days or 0)


def _sharing_from_manifest(value: Any) -> Sharing | None:
    if value is None:
        return None
    info = value.get("community")
    community = CommunityInfo(*(info[k] for k in COMMUNITY_KEYS)) if info else None
    return Sharing(value["permissions"], _ids(value.get("subscriptions")), _ids(value.get("tenants")), community)


def _sharing_from_arm(profile: Any) -> Sharing:
    """A live sharing profile; groups as read (a list does not carry them: `needs_full_read` reads them)."""
    profile = profile or {}
    # Azure's spelling of the enum whatever the case it answers in (modelAsString: any case is accepted)
    permissions = {p.lower(): p for p in (PRIVATE, GROUPS, COMMUNITY)}.get(
        str(profile.get("permissions") or PRIVATE).lower(), str(profile.get("permissions"))
    )
    groups = {g.get("type"): g.get("ids") or [] for g in profile.get("groups") or []}
    info = profile.get("communityGalleryInfo") or {}
    community = CommunityInfo(*(info.get(k) or "" for k in COMMUNITY_KEYS)) if info else None
    return Sharing(
        permissions,
        _ids(groups.get(SUBSCRIPTIONS, [])),
        _ids(groups.get(TENANTS, [])),
        community,
        aj.as_bool(info.get("communityGalleryEnabled")) if info else None,
        tuple(info.get("publicNames") or ()),
    )


def share_paths(changes: Any) -> list[Any]:
    """The field changes of a gallery that the `/share` action makes (Reset, Add, Remove, EnableCommunity)."""
    return [c for c in changes if is_share_path(c.path)]


def is_share_path(path: str) -> bool:
    """True for a change made by `/share`, not by a PUT or PATCH of the gallery."""
    return path in (PERMISSIONS, ENABLED_PATH) or path.startswith(GROUPS_PATH)


@dataclass(frozen=True)
class ShareOperation:
    """One `/share` request: `operationType` (Add, Remove, Reset, EnableCommunity) and its groups."""

    operation: str
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"operationType": self.operation}
        if self.operation in ("Add", "Remove", "EnableCommunity"):
            body["groups"] = [{"type": kind, "ids": list(ids)} for kind, ids in self.groups]
        return body


def share_operations(desired: Gallery, live: Gallery | None) -> list[ShareOperation]:
    """The `/share` requests that take `live` (None: just created, Private as far as groups go) to `desired`.

    Reset when the manifests say Private and Azure does not; Add then Remove for group membership (each a
    long-running operation, as recorded); EnableCommunity for a community gallery not yet enabled.
    """
    want = desired.sharing
    if want is None:
        return []
    have = live.sharing if live is not None and live.sharing is not None else Sharing(want.permissions)
    if want.permissions == PRIVATE:
        return [ShareOperation("Reset")] if have.permissions != PRIVATE else []
    out: list[ShareOperation] = []
    if want.permissions == GROUPS:
        add: list[tuple[str, tuple[str, ...]]] = []
        remove: list[tuple[str, tuple[str, ...]]] = []
        for kind in (SUBSCRIPTIONS, TENANTS):
            target, current = want.members(kind), set(have.members(kind) or ())
            if target is None:
                continue
            if set(target) - current:
                add.append((kind, tuple(sorted(set(target) - current))))
            if current - set(target):
                remove.append((kind, tuple(sorted(current - set(target)))))
        out += [ShareOperation("Add", tuple(add))] if add else []
        out += [ShareOperation("Remove", tuple(remove))] if remove else []
    elif want.permissions == COMMUNITY and not have.community_enabled:
        out.append(ShareOperation("EnableCommunity"))
    return out


class GalleryKind(ResourceKind):
    name = "gallery"
    depth = 0
    arm_type = "Microsoft.Compute/galleries"
    manifest_key = "galleries"
    list_segment = "providers/Microsoft.Compute/galleries"
    sdk_group = "galleries"
    model = Gallery

    def from_manifest(self, builder: Builder, node: Declared) -> Gallery:
        from reconciler.manifest.bundle import gallery_location

        return Gallery(
            subscription_id=builder.subscription,
            resource_group=builder.group(node),
            name=node.name,
            location=fold_region(gallery_location(node) or ""),
            description=node.props.get("description"),
            tags=builder.tags(node),
            **_soft_delete_from_manifest(node.props.get("softDelete")),
            sharing=_sharing_from_manifest(node.props.get("sharing")),
            cleared=builder.cleared(node),
            origin=builder.origin(node),
        )

    def fields(self, g: Gallery) -> dict[str, Field]:
        share = g.sharing
        info = share.community.to_json() if share is not None and share.community is not None else {}
        fields = {
            "location": Field(g.location, mutable=False),
            "description": Field(g.description, clear="description" in g.cleared),
            "softDeletePolicy.isSoftDeleteEnabled": Field(g.soft_delete),
            "softDeletePolicy.retentionPeriodInDays": Field(g.retention_days),
            "softDeletePolicy.gracePeriodInDays": Field(g.grace_days),
            # Changed by `/share` (Reset) or not at all: `update_blocker` refuses what Azure cannot do.
            PERMISSIONS: Field(share.permissions if share is not None else None, case_insensitive=True),
            # Reported line by line by `extra_changes`; kept here so the applied digest covers membership.
            GROUPS_PATH: Field(_groups_json(share) if share is not None and share.permissions == GROUPS else None),
        }
        if share is not None and share.permissions == COMMUNITY:
            fields.update({f"{COMMUNITY_PATH}.{k}": Field(info.get(k)) for k in COMMUNITY_KEYS})
        return fields

    def reported_elsewhere(self, path: str) -> bool:
        return path == GROUPS_PATH

    def extra_changes(self, desired: Gallery, live: LiveResource) -> list[FieldChange]:
        """Sharing membership, one line per id added or removed (`+ share with subscription …` in the plan), and
        enabling community sharing."""
        want, have = desired.sharing, live.resource.sharing or Sharing()
        if want is None:
            return []
        out: list[FieldChange] = []
        for kind in (SUBSCRIPTIONS, TENANTS):
            target = want.members(kind) if want.permissions == GROUPS else ()
            if target is None:
                continue
            current = set(have.members(kind) or ())
            out += [FieldChange(f"{GROUPS_PATH}[{kind}][{i}]", None, i) for i in sorted(set(target) - current)]
            out += [FieldChange(f"{GROUPS_PATH}[{kind}][{i}]", i, None) for i in sorted(current - set(target))]
        if want.permissions == COMMUNITY and have.permissions == COMMUNITY and not have.community_enabled:
            out.append(FieldChange(ENABLED_PATH, bool(have.community_enabled), True))
        return out

    def change_notes(self, desired: Gallery, live: LiveResource) -> list[tuple[Note, tuple[str, ...]]]:
        have = live.resource.sharing
        if desired.sharing is not None and desired.sharing.permissions == PRIVATE and have and have.community_enabled:
            return [(Note.UNSHARE_COMMUNITY, ())]
        return []

    def deletion_notes(self, live: LiveResource) -> list[tuple[Note, tuple[str, ...]]]:
        # "To delete a gallery that's shared with the community, you must first run az sig share reset."
        sharing = live.resource.sharing
        return [(Note.COMMUNITY_RESET_FIRST, ())] if sharing is not None and sharing.community_enabled else []

    def extra_creation_changes(self, desired: Gallery) -> list[FieldChange]:
        want = desired.sharing
        if want is None:
            return []
        out = [
            FieldChange(f"{GROUPS_PATH}[{kind}][{i}]", None, i)
            for kind in (SUBSCRIPTIONS, TENANTS)
            for i in (want.members(kind) or () if want.permissions == GROUPS else ())
        ]
        if want.permissions == COMMUNITY:
            out.append(FieldChange(ENABLED_PATH, None, True))
        return out

    def update_blocker(
        self, desired: Gallery, live: LiveResource | None, options: Any
    ) -> tuple[Blocker, tuple[str, ...]] | None:
        """What Azure cannot do to a gallery's sharing in place, and the opt-in community sharing needs."""
        want = desired.sharing
        if want is None:
            return None
        have = live.resource.sharing if live is not None else None
        if have is not None and want.permissions != have.permissions and want.permissions != PRIVATE:
            return Blocker.SHARING_PERMISSIONS_FIXED, (have.permissions, want.permissions)
        if have is not None and want.permissions == COMMUNITY and have.community is not None:
            wanted, held = (want.community.to_json() if want.community else {}), have.community.to_json()
            fixed = tuple(f"{COMMUNITY_PATH}.{k}" for k in COMMUNITY_KEYS if wanted.get(k) != held.get(k))
            if fixed:
                return Blocker.COMMUNITY_INFO_FIXED, fixed
        enabling = want.permissions == COMMUNITY and not (have is not None and have.community_enabled)
        if enabling and not getattr(options, "allow_community", False):
            return Blocker.NEEDS_ALLOW_COMMUNITY, (want.community.public_name_prefix if want.community else "",)
        return None

    def create_body(self, g: Gallery) -> aj.JSON:
        share = g.sharing
        profile = (
            {
                "permissions": share.permissions,
                "communityGalleryInfo": share.community.to_json() if share.community else None,
            }
            if share is not None
            else None
        )
        return aj.drop_none(
            {
                "location": g.location,
                "tags": dict(g.tags),
                "properties": {
                    "description": g.description,
                    "softDeletePolicy": _soft_delete_body(g),
                    "sharingProfile": profile,
                },
            }
        )

    def patch_body(self, desired: Gallery, live_body: aj.JSON) -> aj.JSON:
        """Description and soft-delete policy; sharing is never in a PATCH (`/share` changes it, nothing else can)."""
        props: aj.JSON = {}
        if desired.description is not None:
            props["description"] = desired.description
        soft = _soft_delete_body(desired)
        if soft:
            props["softDeletePolicy"] = soft
        return {"tags": dict(desired.tags), "properties": props}

    def put_update_body(self, desired: Gallery, live_body: aj.JSON) -> aj.JSON:
        """The whole gallery as desired; what the manifests leave unset (sharing, soft delete) kept as Azure has it."""
        body = self.create_body(desired)
        live_props = live_body.get("properties") or {}
        props = body.setdefault("properties", {})
        # The live sharing profile as it is: the permissions cannot change in a PUT, and `/share` does the rest.
        props.pop("sharingProfile", None)
        for key in ("softDeletePolicy", "sharingProfile"):
            if key not in props and key in live_props:
                props[key] = live_props[key]
        return body

    def to_manifest(self, g: Gallery, context: ExportContext) -> dict[str, Any]:
        """location (when not the scope's), description, softDelete (when on; its periods when not Azure's
        defaults), sharing (unless Private, Azure's default), tags.

        A community gallery whose sharing is not enabled yet is written without `sharing`: the manifests have
        no form for it, and `permissions: Community` would ask apply to enable it.
        """
        out: dict[str, Any] = {}
        if g.location != context.inherited_location(g):
            out["location"] = g.location
        if g.description:
            out["description"] = g.description
        if g.soft_delete:
            periods = (g.retention_days, g.grace_days)
            if periods[0] in (None, DEFAULT_RETENTION_DAYS) and periods[1] in (None, 0):
                out["softDelete"] = True
            else:
                out["softDelete"] = {"enabled": True, "retentionPeriodInDays": g.soft_delete_periods[0]}
                out["softDelete"]["gracePeriodInDays"] = g.soft_delete_periods[1]
        share = g.sharing
        if share is not None and share.permissions == GROUPS:
            members = {"subscriptions": share.subscriptions, "tenants": share.tenants}
            out["sharing"] = {"permissions": GROUPS} | {k: list(v) for k, v in members.items() if v}
        elif share is not None and share.permissions == COMMUNITY and share.community is not None:
            if share.community_enabled:
                out["sharing"] = {"permissions": COMMUNITY, "community": share.community.to_json()}
            else:
                context.note(g, "community sharing is set up but not enabled: sharing left out (it would enable it)")
        if tags := manifest_tags(g.tags):
            out["tags"] = tags
        return out

    def from_arm(self, parent: tuple[str, str], body: aj.JSON) -> tuple[Gallery, aj.LiveInfo]:
        subscription_id, resource_group = parent
        props = body.get("properties") or {}
        policy = props.get("softDeletePolicy") or {}
        soft = policy.get("isSoftDeleteEnabled")
        gallery = Gallery(
            subscription_id=subscription_id,
            resource_group=resource_group,
            name=body["name"],
            location=fold_region(body.get("location", "")),
            description=props.get("description"),
            tags=aj.tags_of(body),
            soft_delete=aj.as_bool(soft),
            retention_days=policy.get("retentionPeriodInDays"),
            grace_days=policy.get("gracePeriodInDays"),
            sharing=_sharing_from_arm(props.get("sharingProfile")),
        )
        return gallery, aj.live_info(body)

    def list_children(self, compute: Any, parent: tuple[str, str]) -> Any:
        return compute.galleries.list_by_resource_group(parent[1], **self.sdk_options)

    full_read_expand = "SharingProfile/Groups"

    def needs_full_read(self, body: aj.JSON) -> bool:
        # Lists never carry the sharing groups: read them for galleries Azure says are shared with groups only.
        profile = (body.get("properties") or {}).get("sharingProfile") or {}
        return str(profile.get("permissions") or "").lower() == GROUPS.lower()

    async def get_full(self, compute: Any, resource: Gallery) -> Any:
        return await compute.galleries.get(
            resource.resource_group, resource.name, expand="SharingProfile/Groups", **self.sdk_options
        )


def _groups_json(share: Sharing) -> dict[str, list[str]] | None:
    if share.subscriptions is None and share.tenants is None:
        return None
    return {kind: list(share.members(kind) or ()) for kind in (SUBSCRIPTIONS, TENANTS)}


def _soft_delete_from_manifest(value: Any) -> dict[str, Any]:
    """`softDelete: true` or `{enabled, retentionPeriodInDays, gracePeriodInDays}` as Gallery fields."""
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"soft_delete": value}
    return {
        "soft_delete": value["enabled"],
        "retention_days": value.get("retentionPeriodInDays"),
        "grace_days": value.get("gracePeriodInDays"),
    }


def _soft_delete_body(g: Gallery) -> aj.JSON | None:
    body = aj.drop_none(
        {
            "isSoftDeleteEnabled": g.soft_delete,
            "retentionPeriodInDays": g.retention_days,
            "gracePeriodInDays": g.grace_days,
        }
    )
    return body or None


GALLERY = GalleryKind()
