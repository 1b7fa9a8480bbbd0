"""Attribute-level differences between two JSON-like values: what a plan shows as old → new.

The one module that imports deepdiff, and only when two values differ: it takes ~25 ms
to import, and most plans (creates, unchanged entries) never need it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from videosync.planning.plan import Change

__all__ = ["diff_attributes"]


def diff_attributes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[Change, ...]:
    """Attribute-level changes old → new, with dotted paths for nested values."""
    if old == new:  # the common case, and far cheaper than a DeepDiff
        return ()
    from deepdiff import DeepDiff  # lazily: see the module docstring
    from deepdiff.helper import notpresent

    changes: list[Change] = []
    for report in DeepDiff(dict(old), dict(new), verbose_level=2).tree.values():
        for level in report:
            path = ".".join(str(p) for p in level.path(output_format="list"))
            # deepdiff marks the missing side of an added or removed item with `notpresent`.
            old_value, new_value = (None if v is notpresent else v for v in (level.t1, level.t2))
            changes.append(Change(path, old_value, new_value))
    return tuple(sorted(changes, key=lambda c: c.attribute))
