"""Rules of `lifecycle` blocks (galleries and definitions) that the schema cannot express, with file:line."""

from __future__ import annotations

from reconciler.manifest.bundle import Declared
from reconciler.manifest.rules import Reporter

CRITERIA = ("keepNewest", "maxAgeDays", "deleteAfterEndOfLife")


def check_lifecycle(report: Reporter, node: Declared) -> None:
    """A retention rule must say what it deletes; perMajorVersion counts keepNewest, so it needs one."""
    lifecycle = node.props.get("lifecycle") or {}
    retention = lifecycle.get("retention")
    if not isinstance(retention, dict):
        return
    if not any(retention.get(key) for key in CRITERIA):
        report.at(
            node,
            "lifecycle",
            "retention",
            key=True,
            message="a retention rule needs keepNewest, maxAgeDays or deleteAfterEndOfLife: it deletes nothing",
            hint="add one, or write retention: null for no retention here",
        )
    if retention.get("perMajorVersion") and retention.get("keepNewest") is None:
        report.at(
            node,
            "lifecycle",
            "retention",
            "perMajorVersion",
            message="perMajorVersion counts keepNewest within each major version, and there is no keepNewest",
            hint="add keepNewest: N (the newest N of each major version are kept)",
        )


def end_of_life_by_rule(version: Declared) -> bool:
    """Whether the version's definition (or its gallery's default) gives it an end of life by rule."""
    definition = version.parent
    gallery = definition.parent if definition is not None else None
    if definition is None:
        return False
    from reconciler.kinds.image_definition import lifecycle_from_manifest

    props = definition.props
    rules = lifecycle_from_manifest(
        (gallery.props if gallery else {}).get("lifecycle"),
        props.get("lifecycle"),
        cleared="lifecycle" in props and props["lifecycle"] is None,
    )
    return rules is not None and bool(rules.end_of_life_after_days)
