"""Keyed maps and the explanation of a structured difference as changed sub-paths.

A `Keyed` dict holds set members by their key (LUN, storage type, region), so a path into it is
written `[key]` rather than `.key`: `encryption.dataDiskImages[lun=1]`. `explain` names what changed
inside two structured values with deepdiff; the diff calls it only once `==` found a difference, so a
no-change plan pays nothing for it.
"""

from __future__ import annotations

from typing import Any

_MISSING = object()


class Keyed(dict):  # type: ignore[type-arg]
    """A dict whose keys are set-member keys: rendered `[key]` in paths. Serialises as a plain JSON object."""


def _child(value: Any, key: Any) -> Any:
    if isinstance(value, dict):
        return value.get(key, _MISSING)
    if isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
        return value[key]
    return _MISSING


def _render(path: str, parts: list[Any], before: Any, after: Any) -> str:
    out = path
    for part in parts:
        container = before if before is not _MISSING and isinstance(before, dict | list) else after
        if isinstance(container, Keyed) or isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}"
        before, after = _child(before, part), _child(after, part)
    return out


def _get(value: Any, parts: list[Any]) -> Any:
    for part in parts:
        value = _child(value, part)
        if value is _MISSING:
            return None
    return value


def explain(path: str, before: Any, after: Any, compare_before: Any, compare_after: Any) -> list[tuple[str, Any, Any]]:
    """[(sub-path, before, after)] naming each leaf that differs between two structured values.

    `compare_*` are the values as compared (case-folded where ARM ignores case); `before`/`after` are
    shown. Values that are not both dicts come back as one entry for `path` itself.
    """
    if not (isinstance(compare_before, dict) and isinstance(compare_after, dict)):
        return [(path, before, after)]
    from deepdiff import DeepDiff

    tree = DeepDiff(compare_before, compare_after, view="tree", ignore_order=False)
    found: dict[str, tuple[Any, Any]] = {}
    for report in (
        "values_changed",
        "type_changes",
        "dictionary_item_added",
        "dictionary_item_removed",
        "iterable_item_added",
        "iterable_item_removed",
    ):
        for level in tree.get(report, []):
            parts = level.path(output_format="list")
            sub = _render(path, parts, before, after)
            found[sub] = (_get(before, parts), _get(after, parts))
    if not found:
        return [(path, before, after)]
    return [(sub, b, a) for sub, (b, a) in sorted(found.items())]
