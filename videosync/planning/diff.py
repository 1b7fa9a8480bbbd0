"""Attribute-level differences between two JSON-like values: what a plan shows as old → new.

The one module that imports deepdiff.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import notpresent

from videosync.planning.plan import Change

__all__ = ["diff_attributes"]


def diff_attributes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[Change, ...]:
    """Attribute-level changes old → new, with dotted paths for nested values."""
    if old == new:  # the common case, and far cheaper than a DeepDiff
        return ()
    changes: list[Change] = []
    for report in DeepDiff(dict(old), dict(new), verbose_level=2).tree.values():
        for level in report:
            path = ".".join(str(p) for p in level.path(output_format="list"))
            changes.append(Change(path, _present(level.t1), _present(level.t2)))
    return tuple(sorted(changes, key=lambda c: c.attribute))


def _present(value: Any) -> Any:
    # deepdiff marks the missing side of an added or removed item with `notpresent`.
    return None if value is notpresent else value
