"""Random estates created directly through the SDK, the way other tools make them (for export round trips).

The bodies are written here by hand, as a user of the SDK, Packer or a script writes them (defaults left to
Azure), never by the tool's serialiser. Every source kind, data disks, per-region storage types and
encryption, exclude-from-latest, end of life, features, purchase plans, tags, sharing (groups, community) and
soft delete; owned by the default estate or by nobody (made by hand).
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import strategies as st

from reconciler.emulator.server import EmulatorServer
from reconciler.emulator.testing import admin, make_compute_client

SUB = "00000000-0000-0000-0000-000000000000"
OTHER_SUB = "22222222-2222-2222-2222-222222222222"
PLATFORM = "platform-images"


def rid(sub: str, group: str, kind: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{group}/providers/{kind}/{name}"


SOURCES_SEED: dict[str, Any] = {
    "subscriptions": [{"id": OTHER_SUB, "displayName": "shared images"}],
    "resourceGroups": [{"subscription": OTHER_SUB, "name": "shared-images", "location": "westeurope"}],
    "images": [
        {
            "subscription": OTHER_SUB,
            "resourceGroup": "shared-images",
            "name": "other-base",
            "location": "westeurope",
            "osType": "Linux",
            "osState": "Generalized",
            "hyperVGeneration": "V2",
        },
        {
            "resourceGroup": PLATFORM,
            "name": "ubuntu-with-data",
            "location": "westeurope",
            "osType": "Linux",
            "osState": "Generalized",
            "hyperVGeneration": "V2",
            "dataDisks": [{"lun": 0, "diskSizeGB": 32}, {"lun": 3, "diskSizeGB": 64, "hostCaching": "ReadOnly"}],
        },
    ],
}
"""Sources beyond the demo seed: an image in another subscription, an image with data disks (derived disks)."""

COMPUTE = "Microsoft.Compute"
OS_SOURCES = {
    "managedImage": ("id", rid(SUB, PLATFORM, f"{COMPUTE}/images", "ubuntu-base")),
    "managedImageWithData": ("id", rid(SUB, PLATFORM, f"{COMPUTE}/images", "ubuntu-with-data")),
    "managedImageElsewhere": ("id", rid(OTHER_SUB, "shared-images", f"{COMPUTE}/images", "other-base")),
    "snapshot": ("disk", rid(SUB, PLATFORM, f"{COMPUTE}/snapshots", "ubuntu-os-snap")),
    "localSnapshot": ("disk", None),  # a snapshot in the estate's own resource group (structured, no group)
    "disk": ("disk", rid(SUB, PLATFORM, f"{COMPUTE}/disks", "data-disk-1")),
    "vhd": ("vhd", "https://imagevhds.blob.core.windows.net/vhds/ubuntu.vhd"),
    "galleryImageVersion": ("version", None),
}
DATA_SOURCES = {
    "snapshot": rid(SUB, PLATFORM, f"{COMPUTE}/snapshots", "data-snap-1"),
    "disk": rid(SUB, PLATFORM, f"{COMPUTE}/disks", "data-disk-1"),
}
STORAGE_ACCOUNT = rid(SUB, PLATFORM, "Microsoft.Storage/storageAccounts", "imagevhds")
DES = [
    rid(SUB, "platform-keys", f"{COMPUTE}/diskEncryptionSets", "des-westeurope"),
    rid(OTHER_SUB, "keys", f"{COMPUTE}/diskEncryptionSets", "des-shared"),
]
REGIONS = ["northeurope", "eastus2", "ukwest", "westus", "swedencentral"]
"""Target regions besides the version's own; ukwest and westus have no zone-redundant storage."""
NO_ZRS = {"ukwest", "westus"}
_names = itertools.count()

tags = st.dictionaries(
    st.sampled_from(["team", "stage", "build", "cost-center"]),
    st.sampled_from(["a", "platform", "4711", "yes", "2031-01-01", "x: y", "Linux images"]),
    max_size=2,
)
future = st.sampled_from(["2031-06-30T00:00:00+00:00", "2034-01-15T12:30:00+00:00", "2040-12-31T00:00:00+00:00"])


@st.composite
def region_specs(draw: st.DrawFn, home: str, luns: list[int], shallow: bool) -> list[dict[str, Any]]:
    others = [] if shallow else draw(st.lists(st.sampled_from(REGIONS), unique=True, max_size=2))
    out = []
    for name in [home, *others]:
        storage_choices = ["Standard_LRS", "Premium_LRS"] + ([] if name in NO_ZRS else ["Standard_ZRS"])
        entry: dict[str, Any] = {"name": name}
        if not shallow and (count := draw(st.none() | st.integers(1, 3))) is not None:
            entry["regionalReplicaCount"] = count
        if (storage := draw(st.none() | st.sampled_from(storage_choices))) is not None:
            entry["storageAccountType"] = storage
        if (exclude := draw(st.none() | st.booleans())) is not None:
            entry["excludeFromLatest"] = exclude
        if not shallow and draw(st.booleans()):
            encryption: dict[str, Any] = {"osDiskImage": {"diskEncryptionSetId": draw(st.sampled_from(DES))}}
            chosen = draw(st.lists(st.sampled_from(luns), unique=True)) if luns else []
            if chosen:
                encryption["dataDiskImages"] = [
                    {"lun": lun, "diskEncryptionSetId": draw(st.sampled_from(DES))} for lun in sorted(chosen)
                ]
            entry["encryption"] = encryption
        out.append(entry)
    return out


@st.composite
def version_specs(draw: st.DrawFn, home: str, vm: bool, earlier: list[str]) -> dict[str, Any]:
    if vm:
        kind = "virtualMachine"
    else:
        kinds = [k for k in OS_SOURCES if k != "galleryImageVersion" or earlier]
        kind = draw(st.sampled_from(kinds))
    disks: list[dict[str, Any]] = []
    if OS_SOURCES.get(kind, ("",))[0] in ("disk", "vhd"):
        for lun in draw(st.lists(st.integers(0, 9), unique=True, max_size=2)):
            data_kind = draw(st.sampled_from(["snapshot"] if kind == "disk" else list(DATA_SOURCES)))
            disk: dict[str, Any] = {"lun": lun, "source": {"id": DATA_SOURCES[data_kind]}}
            if (caching := draw(st.none() | st.sampled_from(["None", "ReadOnly", "ReadWrite"]))) is not None:
                disk["hostCaching"] = caching
            disks.append(disk)
    shallow = not disks and draw(st.integers(0, 5)) == 0
    spec: dict[str, Any] = {
        "source": kind,
        "from": draw(st.sampled_from(earlier)) if kind == "galleryImageVersion" else None,
        "osDiskHostCaching": draw(st.none() | st.sampled_from(["None", "ReadOnly", "ReadWrite"])),
        "dataDisks": disks,
        "regions": draw(region_specs(home, [d["lun"] for d in disks], shallow)),
        "replicaCount": None if shallow else draw(st.none() | st.integers(1, 3)),
        "excludeFromLatest": draw(st.none() | st.booleans()),
        "endOfLifeDate": draw(st.none() | future),
        "shallow": shallow,
        "allowDeletion": draw(st.none() | st.booleans()),
        "blockDeletion": draw(st.none() | st.booleans()),
        "tags": draw(tags),
    }
    regions_without_type = [r["name"] for r in spec["regions"] if "storageAccountType" not in r]
    if not any(r in NO_ZRS for r in regions_without_type) and draw(st.booleans()):
        spec["storageAccountType"] = draw(st.sampled_from(["Standard_LRS", "Standard_ZRS", "Premium_LRS"]))
    return spec


@st.composite
def definition_specs(draw: st.DrawFn, vm: bool, earlier: list[str], gallery: str, name: str) -> dict[str, Any]:
    features: dict[str, str] = {}
    if draw(st.booleans()):
        features["SecurityType"] = draw(
            st.sampled_from(["Standard", "TrustedLaunch", "TrustedLaunchSupported", "ConfidentialVmSupported"])
        )
    for feature in ("IsAcceleratedNetworkSupported", "IsHibernateSupported"):
        if draw(st.booleans()):
            features[feature] = draw(st.sampled_from(["True", "False", "true"]))
    if draw(st.booleans()):
        features["DiskControllerTypes"] = draw(st.sampled_from(["SCSI", "SCSI, NVMe", "NVMe,SCSI"]))
    vcpus = draw(st.none() | st.tuples(st.none() | st.integers(1, 4), st.none() | st.integers(8, 32)))
    spec: dict[str, Any] = {
        "location": "eastus" if vm else "westeurope",
        "osState": draw(st.sampled_from(["Generalized", "Specialized"])) if vm else "Generalized",
        "hyperVGeneration": draw(st.sampled_from([None, "V1", "V2"]) if vm else st.sampled_from([None, "V2"])),
        "features": features,
        "purchasePlan": draw(st.none() | st.just({"name": "plan1", "product": "prod1", "publisher": "pub1"})),
        "description": draw(st.none() | st.sampled_from(["Ubuntu, hardened", "Build agent: nightly"])),
        "eula": draw(st.none() | st.just("https://contoso.example/eula")),
        "releaseNoteUri": draw(st.none() | st.just("https://contoso.example/notes")),
        "endOfLifeDate": draw(st.none() | future),
        "recommended": {"vCPUs": {k: v for k, v in zip(("min", "max"), vcpus, strict=True) if v is not None}}
        if vcpus and any(v is not None for v in vcpus)
        else None,
        "disallowed": draw(st.none() | st.just(["Standard_LRS"])),
        "tags": draw(tags),
        "versions": {},
    }
    if spec["hyperVGeneration"] in (None, "V1") and features.get("SecurityType") not in (None, "Standard"):
        spec["hyperVGeneration"] = "V2"  # Trusted Launch and confidential VMs need Gen2
    if spec["hyperVGeneration"] == "V1":
        features.pop("DiskControllerTypes", None)  # NVMe needs Gen2
    count = draw(st.integers(1, 3))
    names = draw(
        st.lists(st.tuples(st.integers(0, 2), st.integers(0, 12)), min_size=count, max_size=count, unique=True)
    )
    mine: list[str] = []
    for major, minor in sorted(names):
        version = f"{major}.{minor}.0"
        spec["versions"][version] = draw(version_specs(spec["location"], vm, [] if vm else earlier + mine))
        if not vm:
            mine.append(f"{gallery}/{name}/{version}")
    return spec


@st.composite
def estates(draw: st.DrawFn) -> dict[str, Any]:
    n = next(_names)
    gallery = f"exp{n}"
    definitions: dict[str, Any] = {}
    earlier: list[str] = []
    for d in range(draw(st.integers(1, 3))):
        vm = d > 0 and draw(st.integers(0, 3)) == 0
        name = f"def{d}"
        spec = draw(definition_specs(vm, earlier, gallery, name))
        definitions[name] = spec
        if not vm:
            earlier += [f"{gallery}/{name}/{v}" for v in spec["versions"]]
    return {
        "gallery": gallery,
        "group": f"exp-rg-{n}",
        "owned": draw(st.booleans()),
        "description": draw(st.none() | st.just("Made by hand")),
        "softDelete": draw(st.none() | st.booleans() | st.sampled_from([(30, 7), (7, 0), (14, 2)])),
        "sharing": draw(sharing(gallery)),
        "tags": draw(tags),
        "definitions": definitions,
    }


@st.composite
def sharing(draw: st.DrawFn, gallery: str) -> dict[str, Any] | None:
    """None (Azure's Private), Private, Groups with members, or Community (enabled or only set up)."""
    kind = draw(st.sampled_from([None, "Private", "Groups", "Community"]))
    if kind in (None, "Private"):
        return {"permissions": kind} if kind else None
    if kind == "Groups":
        ids = [f"{i}{i}{i}{i}{i}{i}{i}{i}-0000-0000-0000-00000000000{i}" for i in range(1, 5)]
        members = draw(st.lists(st.sampled_from(ids), unique=True, max_size=3))
        tenants = draw(st.lists(st.sampled_from(ids), unique=True, max_size=1))
        return {"permissions": "Groups", "subscriptions": members, "tenants": tenants}
    info = {
        "publisherUri": "https://contoso.example",
        "publisherContact": "images@contoso.example",
        "eula": "https://contoso.example/eula",
        "publicNamePrefix": gallery,
    }
    return {"permissions": "Community", "communityGalleryInfo": info, "enable": draw(st.booleans())}


def _source_body(spec: dict[str, Any], group: str) -> dict[str, Any]:
    kind = spec["source"]
    if kind == "virtualMachine":
        return {"source": {"virtualMachineId": rid(SUB, "myGalleryRG", f"{COMPUTE}/virtualMachines", "myVM")}}
    if kind == "galleryImageVersion":
        g, d, v = spec["from"].split("/")
        return {"source": {"id": rid(SUB, group, f"{COMPUTE}/galleries", f"{g}/images/{d}/versions/{v}")}}
    shape, value = OS_SOURCES[kind]
    if kind == "localSnapshot":
        value = rid(SUB, group, f"{COMPUTE}/snapshots", "local-snap")
    if shape == "id":
        return {"source": {"id": value}}
    os_source = {"uri": value, "storageAccountId": STORAGE_ACCOUNT} if shape == "vhd" else {"id": value}
    return {"osDiskImage": {"source": os_source}}


def create_with_sdk(emu: EmulatorServer, estate: dict[str, Any]) -> None:
    """Create the estate through azure-mgmt-compute, as another tool would (no ownership tag unless owned)."""
    client = make_compute_client(emu)
    group, name = estate["group"], estate["gallery"]
    admin(emu).seed(
        {
            "resourceGroups": [{"name": group, "location": "westeurope"}],
            "snapshots": [{"resourceGroup": group, "name": "local-snap", "location": "westeurope", "osType": "Linux"}],
        }
    )
    owned = {"gallery-reconciler": "managed"} if estate["owned"] else {}
    props: dict[str, Any] = {}
    if estate["description"]:
        props["description"] = estate["description"]
    soft = estate["softDelete"]
    if isinstance(soft, tuple):
        props["softDeletePolicy"] = {"isSoftDeleteEnabled": True, "retentionPeriodInDays": soft[0]}
        props["softDeletePolicy"]["gracePeriodInDays"] = soft[1]
    elif soft is not None:
        props["softDeletePolicy"] = {"isSoftDeleteEnabled": soft}
    share = estate.get("sharing")
    if share:
        props["sharingProfile"] = {k: share[k] for k in ("permissions", "communityGalleryInfo") if k in share}
    body = {"location": "westeurope", "tags": {**estate["tags"], **owned}, "properties": props}
    client.galleries.begin_create_or_update(group, name, body).result()
    if share and share["permissions"] == "Groups":
        groups = [
            {"type": "Subscriptions", "ids": share["subscriptions"]},
            {"type": "AADTenants", "ids": share["tenants"]},
        ]
        groups = [g for g in groups if g["ids"]]
        if groups:
            client.gallery_sharing_profile.begin_update(
                group, name, {"operationType": "Add", "groups": groups}
            ).result()
    if share and share["permissions"] == "Community" and share["enable"]:
        client.gallery_sharing_profile.begin_update(group, name, {"operationType": "EnableCommunity"}).result()
    for d_name, d in estate["definitions"].items():
        props = {
            "osType": "Linux",
            "osState": d["osState"],
            "identifier": {"publisher": "acme", "offer": name, "sku": d_name},
        }
        for key in ("hyperVGeneration", "purchasePlan", "description", "eula", "releaseNoteUri", "endOfLifeDate"):
            if d[key]:
                props[key] = d[key]
        if d["features"]:
            props["features"] = [{"name": k, "value": v} for k, v in d["features"].items()]
        if d["recommended"]:
            props["recommended"] = d["recommended"]
        if d["disallowed"]:
            props["disallowed"] = {"diskTypes": d["disallowed"]}
        body = {"location": d["location"], "tags": {**d["tags"], **owned}, "properties": props}
        client.gallery_images.begin_create_or_update(group, name, d_name, body).result()
        for v_name, v in d["versions"].items():
            storage = _source_body(v, group)
            if v["osDiskHostCaching"]:
                storage.setdefault("osDiskImage", {})["hostCaching"] = v["osDiskHostCaching"]
            if v["dataDisks"]:
                storage["dataDiskImages"] = v["dataDisks"]
            publishing: dict[str, Any] = {"targetRegions": v["regions"]}
            for key in ("replicaCount", "excludeFromLatest", "endOfLifeDate", "storageAccountType"):
                if v.get(key) is not None:
                    publishing[key] = v[key]
            if v["shallow"]:
                publishing["replicationMode"] = "Shallow"
            safety = {
                key: v[flag]
                for key, flag in (
                    ("allowDeletionOfReplicatedLocations", "allowDeletion"),
                    ("blockDeletionBeforeEndOfLife", "blockDeletion"),
                )
                if v[flag] is not None
            }
            body = {
                "location": d["location"],
                "tags": {**v["tags"], **owned},
                "properties": {"publishingProfile": publishing, "storageProfile": storage, "safetyProfile": safety},
            }
            client.gallery_image_versions.begin_create_or_update(group, name, d_name, v_name, body).result()


def count(estate: dict[str, Any]) -> int:
    """Galleries, definitions and versions in the estate."""
    return 1 + sum(1 + len(d["versions"]) for d in estate["definitions"].values())
