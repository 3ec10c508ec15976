"""What ARM says about an image source, read at plan time (pure data; read by `azure.source_reads`).

Each source kind exposes different things: a VM its OS type, generation (instance view) and whether it
is generalized; a managed image its OS type, state and generation; a snapshot or disk its OS type,
generation, architecture and size but no OS state; a storage account only its region (a VHD's contents
are not visible through ARM); a gallery image version its replication and its definition's OS
properties. A field is None when the kind does not expose it or the read did not say.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceFacts:
    """One source resource as ARM reported it."""

    id: str
    arm_type: str
    """Lower-cased ARM type of the id (`microsoft.compute/snapshots`)."""
    found: bool = True
    unreadable: str | None = None
    """Why it could not be read (permission, another subscription): its checks are skipped, with a warning."""
    location: str | None = None
    """Folded region."""
    os_type: str | None = None
    os_state: str | None = None
    """Generalized / Specialized; None when the kind has no OS state (snapshots, disks) or did not say."""
    hyper_v_generation: str | None = None
    architecture: str | None = None
    os_disk_size_gb: int | None = None
    data_disks: tuple[tuple[int, int | None], ...] = ()
    """(LUN, size in GB) of the data disks the source brings along (VMs, managed images)."""
    purchase_plan: tuple[str, str, str] | None = None
    """(name, product, publisher)."""
    provisioning_state: str | None = None
    """For a gallery image version: Succeeded once it replicated everywhere; Creating/Updating while it does."""
