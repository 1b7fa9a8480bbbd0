"""Which API version can carry which manifest field, and what to say when one cannot.

v1 and v2 of the Vision API take different upload fields: `start` and `thumbnails: true`
exist only in v1, `title`, `description` and `features` only in v2 (docs/manifest.md, "API
versions"). `index` is v1's field, but v2 carries it as features, so it is never refused,
and neither is `thumbnails: false`, which asks for nothing. The loader records each place a
manifest writes a field of one version only (`VersionField`); `plan`, which knows the
version, refuses those the other version cannot carry, and `validate`, which does not,
warns about them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from videosync.errors import ManifestError
from videosync.model import ApiVersion, Location

__all__ = [
    "V1_FIELDS",
    "V2_FIELDS",
    "VersionField",
    "refusals",
    "version_warnings",
    "written_fields",
]

V1_FIELDS = ("start", "thumbnails")
"""Fields only API v1 can carry (`thumbnails` only when true)."""
V2_FIELDS = ("title", "description", "features")
"""Fields only API v2 can carry."""

_CARRIER: dict[str, ApiVersion] = {
    **dict.fromkeys(V1_FIELDS, "v1"),
    **dict.fromkeys(V2_FIELDS, "v2"),
}

_WHY_NOT = {
    "start": "{v}'s upload takes no start time",
    "thumbnails": "{v}'s upload has no thumbnails option",
    "title": "{v} has no way to set a title",
    "description": "{v} has no way to set a description",
    "features": "{v} has only `index:`",
}
"""Why version `v`, which is not the field's carrier, cannot carry it."""


_ALL_FIELDS = frozenset(_CARRIER)


def written_fields(entry: dict[str, Any]) -> list[str]:
    """The version-exclusive fields an entry (or `defaults:`) writes, in a fixed order."""
    if _ALL_FIELDS.isdisjoint(entry):  # most entries, cheaply
        return []
    return [
        name
        for name in (*V1_FIELDS, *V2_FIELDS)
        if name in entry and (name != "thumbnails" or entry[name] is True)
    ]


@dataclass(frozen=True)
class VersionField:
    """A place the manifest writes a field only one API version can carry.

    An entry's own field, or one of `defaults:` that entries inherit; `keys` are the videos
    it reaches (several for a `glob` entry or for `defaults:`).
    """

    field: str
    """`start`, `thumbnails` (only when true), `title`, `description` or `features`."""
    location: Location
    """Where its key is written."""
    path: str
    """Its place in the manifest's words: `videos[3].start`, `defaults.title`."""
    keys: tuple[str, ...]

    @property
    def version(self) -> ApiVersion:
        """The one API version that can carry it."""
        return _CARRIER[self.field]

    @property
    def shown(self) -> str:
        """How a message names it: `start`, or `thumbnails: true`."""
        return "`thumbnails: true`" if self.field == "thumbnails" else f"`{self.field}`"

    @property
    def why_not(self) -> str:
        """Why the other version cannot carry it."""
        return _WHY_NOT[self.field].format(v=_other(self.version))

    def refusal(self, more: int = 0) -> ManifestError:
        """What `plan` says under the other version: where it is written and what to do.

        `more` counts the other places that write the same field, named only by number.
        """
        other = _other(self.version)
        also = f"; set in {_places(more)}" if more else ""
        removal = self.shown if self.field == "thumbnails" else f"`{self.field}:`"
        message = (
            f"API {other} cannot carry {self.shown} ({self.why_not}{also}): "
            f"remove {removal} or plan with --api-version {self.version}"
        )
        return ManifestError(
            message, self.location.file, self.location.line, self.location.column, self.path
        )


def refusals(fields: Iterable[VersionField], version: ApiVersion) -> list[ManifestError]:
    """One error per field that `version` cannot carry, at the first place it is written."""
    return [
        first.refusal(more)
        for first, more in _first_of_each(f for f in fields if f.version != version)
    ]


def version_warnings(fields: Sequence[VersionField]) -> list[str]:
    """What `validate` warns, where the API version is not known: one line per field, and
    one more when the manifest writes fields of both versions (no version carries both)."""
    lines = []
    firsts = _first_of_each(fields)
    for first, more in firsts:
        also = f" (and in {_places(more)})" if more else ""
        lines.append(
            f"{first.location}: {first.path}: {first.shown}{also} needs API {first.version}: "
            f"plan refuses it under {_other(first.version)} ({first.why_not})"
        )
    v1, v2 = (
        ", ".join(first.shown for first, _ in firsts if first.version == version)
        for version in ("v1", "v2")
    )
    if v1 and v2:
        lines.append(
            f"{firsts[0][0].location.file}: fields of API v1 ({v1}) and of API v2 ({v2}): "
            "plan refuses this manifest under either version; keep those of one"
        )
    return lines


def _first_of_each(fields: Iterable[VersionField]) -> list[tuple[VersionField, int]]:
    """Each field name's first place (by line) and how many more places write it."""
    seen: dict[str, list[VersionField]] = {}
    for field in sorted(fields, key=lambda f: f.location):
        seen.setdefault(field.field, []).append(field)
    order = (*V1_FIELDS, *V2_FIELDS)
    return [
        (seen[name][0], len(seen[name]) - 1)
        for name in sorted(seen, key=lambda n: (seen[n][0].location, order.index(n)))
    ]


def _places(n: int) -> str:
    return "1 more place" if n == 1 else f"{n} more places"


def _other(version: ApiVersion) -> ApiVersion:
    return "v2" if version == "v1" else "v1"
