"""Recorded requests the emulator cannot answer yet, each with the open issue whose feature it needs.

Every entry is a strict expected failure: when the feature lands and the request starts to match, the test
fails until its entry is removed here, so each request flips to passing on its own. Keys are (recording, index
of the exchange in the file); `test_replay.py` checks that every key names a replayed gallery request.
"""

from __future__ import annotations

SHARE = "issue 16: direct sharing (POST .../share: Add, Remove, Reset) is not emulated"
SHARED_READ = "issue 16: sharing groups added by POST .../share are not shown in the gallery's sharingProfile"
COMMUNITY = "issue 16: community galleries (publicNames, communityGalleryEnabled, EnableCommunity) are not emulated"
RESTORE = "issue 16: soft delete: restoring a deleted version by PUT is not emulated"
RESTORED = "issue 16: soft delete: depends on the restored version (the restore before it is not emulated)"
RECYCLE_BIN = "issue 16: soft delete: the recycle bin (softdeletedartifacttypes/.../versions) is not emulated"

XFAIL: dict[tuple[str, int], str] = {
    ("azure-cli/test_community_gallery_operations.yaml", 1): COMMUNITY,
    ("azure-cli/test_community_gallery_operations.yaml", 3): COMMUNITY,
    ("azure-cli/test_community_gallery_operations.yaml", 4): COMMUNITY,
    ("azure-cli/test_community_gallery_operations.yaml", 51): COMMUNITY,
    ("azure-cli/test_community_gallery_operations.yaml", 58): SHARE,
    ("azure-cli/test_community_gallery_operations.yaml", 61): SHARED_READ,
    ("azure-cli/test_gallery_soft_delete.yaml", 43): RESTORE,
    ("azure-cli/test_gallery_soft_delete.yaml", 48): RESTORED,
    ("azure-cli/test_gallery_soft_delete.yaml", 49): RESTORED,
    ("azure-cli/test_gallery_soft_delete_policy_and_recycle_bin.yaml", 12): RECYCLE_BIN,
    ("azure-cli/test_gallery_soft_delete_policy_and_recycle_bin.yaml", 15): RESTORE,
    ("azure-cli/test_gallery_soft_delete_policy_and_recycle_bin.yaml", 16): RESTORED,
    ("azure-cli/test_gallery_soft_delete_policy_and_recycle_bin.yaml", 17): RESTORED,
    ("azure-cli/test_gallery_soft_delete_policy_and_recycle_bin.yaml", 18): RECYCLE_BIN,
    ("azure-cli/test_shared_gallery.yaml", 52): SHARE,
    ("azure-cli/test_shared_gallery.yaml", 55): SHARED_READ,
    ("azure-cli/test_shared_gallery.yaml", 56): SHARE,
    ("azure-cli/test_shared_gallery.yaml", 59): SHARED_READ,
    ("azure-cli/test_shared_gallery.yaml", 66): SHARE,
    ("azure-cli/test_shared_gallery.yaml", 69): SHARED_READ,
}
