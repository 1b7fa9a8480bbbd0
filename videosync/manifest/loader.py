"""The manifest (`videosync.yaml`): loaded, validated and resolved into desired state.

`load_manifest` reads the file (`yamlread.py`), checks it against the schema
(`schema.py`), then makes the checks a schema cannot: files on disk
(`files.py`), unique keys, known groups, timestamps, metadata size. It reports
every problem at once, sorted by line, as `ManifestInvalid`; no network is involved.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from videosync.errors import ManifestError, ManifestInvalid
from videosync.gcpause import collector_paused
from videosync.manifest.files import FileProblem, LocalFiles
from videosync.manifest.schema import check_schema, format_path, suggest
from videosync.manifest.versions import VersionField, refusals, written_fields
from videosync.manifest.yamlread import PathPart, YamlDocument, parse_timestamp, read_yaml
from videosync.model import DEFAULT_GROUP, ApiVersion, DesiredGroup, DesiredVideo, Location
from videosync.ownership import GROUP_MARKER, SignedUrl, marked_metadata, url_identity

__all__ = [
    "MANIFEST_NAME",
    "METADATA_MAX_CHARS",
    "Defaults",
    "Manifest",
    "is_uuid",
    "load_manifest",
]

MANIFEST_NAME = "videosync.yaml"
METADATA_MAX_CHARS = 500
"""The API's limit on a group's metadata, as JSON text (`api/NOTES.md`)."""

_SOURCE_FIELDS = frozenset({"id", "path", "url", "glob"})
_NOTHING: frozenset[str] = frozenset()
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_uuid(text: str) -> bool:
    """True for a group or video id in the API's UUID form."""
    return _UUID.fullmatch(text) is not None


@dataclass(frozen=True)
class Defaults:
    """What an entry gets for each attribute it does not set (`defaults:` in the manifest)."""

    group: str = DEFAULT_GROUP
    index: bool = True
    thumbnails: bool = False
    protect: bool = False
    title: str | None = None
    description: str | None = None
    features: tuple[str, ...] | None = None
    """None when `defaults:` declares no `features`."""


@dataclass(frozen=True)
class Manifest:
    """A valid manifest: its desired videos (globs expanded) and groups, in manifest order."""

    path: Path
    """The manifest file, absolute."""
    root: Path
    """Its folder: every `path` and `glob` is relative to it."""
    videos: tuple[DesiredVideo, ...]
    groups: tuple[DesiredGroup, ...]
    defaults: Defaults = field(default_factory=Defaults)
    digest: str = ""
    """`sha256:<hex>` of the manifest's bytes, as read."""
    version_fields: tuple[VersionField, ...] = ()
    """Each place the manifest writes a field only one API version can carry, by line."""

    def fields_refused_by(self, version: ApiVersion) -> tuple[VersionField, ...]:
        """The places that write a field API `version` cannot carry (`versions.py`)."""
        return tuple(f for f in self.version_fields if f.version != version)

    def check_api_version(self, version: ApiVersion) -> None:
        """Refuse a manifest that writes fields API `version` cannot carry.

        Raises `ManifestInvalid` (exit code 3, before any API call) with one error per
        field, at the first place it is written, saying what to do.
        """
        errors = refusals(self.version_fields, version)
        if errors:
            raise ManifestInvalid(errors)

    def group(self, ref: str) -> DesiredGroup | None:
        """The group the manifest calls `ref` under `groups:`, or None."""
        for group in self.groups:
            if group.ref == ref:
                return group
        return None


def load_manifest(path: Path) -> Manifest:
    """Read, validate and resolve the manifest at `path`.

    Raises `ManifestInvalid` (exit code 3) carrying every problem found, each located at
    `file:line:column`, sorted by line.
    """
    # Parsing a large manifest creates millions of objects at once; the cyclic collector
    # would rescan them again and again, and none are garbage (bench/README.md, "Measured
    # choices").
    with collector_paused():
        try:
            doc = read_yaml(path, file=str(path))
        except ManifestError as exc:
            raise ManifestInvalid([exc]) from None
        resolver = _Resolver(path, doc)
        manifest = resolver.manifest()
        errors = resolver.errors
        # Freed while the collector still sleeps, or its first run would scan every node
        # (which is also why problems are raised only out here).
        del doc, resolver
    if manifest is None:
        raise ManifestInvalid(errors)
    return manifest


class _Resolver:
    """One pass over a parsed manifest, collecting every error instead of stopping."""

    def __init__(self, path: Path, doc: YamlDocument) -> None:
        self.path = path.resolve()
        self.doc = doc
        self.errors: list[ManifestError] = list(doc.problems)
        self.files = LocalFiles(self.path.parent)
        self.keys: dict[str, tuple[int, Location]] = {}
        self.faulted: set[tuple[PathPart, ...]] = set()
        # Version-exclusive fields of entries: (entry index, field, keys of its videos).
        self.entry_fields: list[tuple[int, str, tuple[str, ...]]] = []
        # Version-exclusive fields of `defaults:`: where each is written, and the keys of
        # the videos that inherit it.
        self.default_fields: dict[str, tuple[Location, list[str]]] = {}

    def manifest(self) -> Manifest | None:
        """The manifest, or None when `self.errors` says why there is none."""
        data = self.doc.data
        if data is None:
            message = "the manifest is empty; start it with 'version: 1' and 'videos:'"
            self.errors.append(ManifestError(message, self.doc.file))
            return None
        if not isinstance(data, dict):
            got = "a list" if isinstance(data, list) else "a single value"
            self.error((), f"the manifest must be a mapping of version:, videos:, …, not {got}")
            return None
        schema_problems = check_schema(self.doc)
        self.errors.extend(p.error for p in schema_problems)
        # What the schema already faulted is not checked again: one error per mistake.
        self.faulted = {p.at for p in schema_problems}
        groups = self._groups(data.get("groups"))
        known = {ref for ref, _ in groups} | self._faulted_groups()
        defaults = self._defaults(data.get("defaults"), known)
        videos: list[DesiredVideo] = []
        entries = data.get("videos")
        if isinstance(entries, list) and ("videos",) not in self.faulted:
            # An entry-level fault skips the entry; a field's fault skips that field's check.
            fields: dict[PathPart, set[str]] = {}
            for at in self.faulted:
                if at[:1] == ("videos",) and len(at) > 2:
                    fields.setdefault(at[1], set()).add(str(at[2]))
            locations = self.doc.item_locations(("videos",))
            for index, entry in enumerate(entries):
                if ("videos", index) not in self.faulted:
                    bad = fields.get(index, _NOTHING)
                    videos.extend(
                        self._video(
                            index, entry, locations[index], bad=bad, defaults=defaults, known=known
                        )
                    )
        if self.errors:
            return None
        return Manifest(
            path=self.path,
            root=Path(self.files.root),
            videos=tuple(videos),
            groups=tuple(group for _, group in groups),
            defaults=defaults,
            digest=self.doc.digest,
            version_fields=self._version_fields(),
        )

    def _version_fields(self) -> tuple[VersionField, ...]:
        """Every place a field of one API version only is written, with the videos it
        reaches, by line."""
        fields = [
            VersionField(name, where, f"defaults.{name}", tuple(keys))
            for name, (where, keys) in self.default_fields.items()
            if keys
        ]
        # Located in one walk: a v1 catalog may write `start` on each of 100k entries.
        places = self.doc.item_key_locations(
            ("videos",), [(index, name) for index, name, _ in self.entry_fields]
        )
        fields += [
            VersionField(name, where, format_path(("videos", index, name)), keys)
            for (index, name, keys), where in zip(self.entry_fields, places, strict=True)
        ]
        return tuple(sorted(fields, key=lambda f: f.location))

    # --- groups and defaults -------------------------------------------------------------

    def _faulted_groups(self) -> set[str]:
        """Groups the schema faulted: skipped, yet still names entries may refer to."""
        return {str(at[1]) for at in self.faulted if at[:1] == ("groups",) and len(at) > 1}

    def _groups(self, raw: Any) -> list[tuple[str, DesiredGroup]]:
        if not isinstance(raw, dict) or ("groups",) in self.faulted:
            return []
        groups: list[tuple[str, DesiredGroup]] = []
        names: dict[str, str] = {}
        faulted = self._faulted_groups()
        for ref, spec in raw.items():
            at: tuple[PathPart, ...] = ("groups", ref)
            if ref in faulted:
                continue
            if ref == DEFAULT_GROUP or is_uuid(ref):
                self.error(
                    at,
                    f"'{ref}' cannot name a group here: it already means "
                    f"{'the default group' if ref == DEFAULT_GROUP else 'a group id'}",
                    key=True,
                )
                continue
            location = self.doc.locate(at)
            if "id" in spec:
                groups.append((ref, DesiredGroup(ref, group_id=spec["id"], location=location)))
                continue
            name, metadata = spec["name"], spec.get("metadata", {})
            if not self._metadata_ok((*at, "metadata"), ref, metadata):
                continue
            if name in names:
                self.error(
                    (*at, "name"),
                    f"'{name}' is also the name of groups.{names[name]} "
                    f"(line {self.doc.locate(('groups', names[name], 'name')).line}); "
                    "managed groups need distinct names",
                )
                continue
            names[name] = ref
            groups.append((ref, DesiredGroup(ref, name=name, metadata=metadata, location=location)))
        return groups

    def _metadata_ok(self, at: tuple[PathPart, ...], ref: str, metadata: dict[str, Any]) -> bool:
        if GROUP_MARKER in metadata:
            self.error(
                (*at, GROUP_MARKER),
                f"the key {GROUP_MARKER!r} is reserved: videosync marks the groups it manages "
                "with it; rename the key",
            )
            return False
        try:
            sent = json.dumps(marked_metadata(ref, metadata), ensure_ascii=False, allow_nan=False)
        except ValueError:
            self.error(at, "must be plain JSON (no NaN or infinity)")
            return False
        if len(sent) > METADATA_MAX_CHARS:
            self.error(
                at,
                f"is {len(sent)} characters as JSON with videosync's marker "
                f'(`"{GROUP_MARKER}": "{ref}"`); the API allows at most {METADATA_MAX_CHARS}',
            )
            return False
        return True

    def _defaults(self, raw: Any, known: set[str]) -> Defaults:
        if not isinstance(raw, dict) or {("defaults",), ("defaults", "group")} & self.faulted:
            return Defaults()
        group = raw.get("group", DEFAULT_GROUP)
        self._check_group(("defaults", "group"), group, known)
        for name in written_fields(raw):
            self.default_fields[name] = (self.doc.locate(("defaults", name), key=True), [])
        return Defaults(
            group=group,
            index=raw.get("index", True),
            thumbnails=raw.get("thumbnails", False),
            protect=raw.get("protect", False),
            title=raw.get("title"),
            description=raw.get("description"),
            features=tuple(raw["features"]) if "features" in raw else None,
        )

    def _check_group(self, at: tuple[PathPart, ...], ref: str, known: set[str]) -> bool:
        if ref == DEFAULT_GROUP or ref in known or is_uuid(ref):
            return True
        hint = suggest(ref, tuple(sorted(known))) or (
            f" (groups: {', '.join(sorted(known))})" if known else ""
        )
        self.error(
            at, f"unknown group '{ref}': use 'default', a group UUID, or a name under groups:{hint}"
        )
        return False

    # --- videos --------------------------------------------------------------------------

    def _video(
        self,
        index: int,
        entry: dict[str, Any],
        location: Location,
        *,
        bad: set[str] | frozenset[str],
        defaults: Defaults,
        known: set[str],
    ) -> list[DesiredVideo]:
        at: tuple[PathPart, ...] = ("videos", index)
        group = entry.get("group", defaults.group)
        if "group" in entry and "group" not in bad:
            self._check_group((*at, "group"), group, known)
        start = None
        if "start" in entry and "start" not in bad:
            start = self._start((*at, "start"), entry["start"])
        if not bad.isdisjoint(_SOURCE_FIELDS):
            return []
        videos = []
        features = entry.get("features", defaults.features)
        # Keys are claimed even when another field is wrong, so duplicates show up too.
        for key, file, url in self._sources(at, entry):
            if not self._claim(key, index, location, at, entry):
                continue
            name = entry.get("name") or _default_name(file, url)
            videos.append(
                DesiredVideo(
                    key=key,
                    name=name,
                    path=file,
                    url=url,
                    group=group,
                    start=start,
                    index=entry.get("index", defaults.index),
                    thumbnails=entry.get("thumbnails", defaults.thumbnails),
                    protect=entry.get("protect", defaults.protect),
                    location=location,
                    title=entry.get("title", defaults.title),
                    description=entry.get("description", defaults.description),
                    features=None if features is None else tuple(features),
                )
            )
        written = written_fields(entry)
        if videos and (written or self.default_fields):
            self._note_version_fields(index, entry, written, tuple(v.key for v in videos))
        return videos

    def _note_version_fields(
        self, index: int, entry: dict[str, Any], written: list[str], keys: tuple[str, ...]
    ) -> None:
        """Record the version-exclusive fields entry `index` writes or inherits from
        `defaults:`, and the keys of the videos they reach."""
        self.entry_fields.extend((index, name, keys) for name in written)
        for name, (_, inheritors) in self.default_fields.items():
            if name not in entry:
                inheritors.extend(keys)

    def _sources(
        self, at: tuple[PathPart, ...], entry: dict[str, Any]
    ) -> list[tuple[str, Path | None, str | None]]:
        """(key, file, url) for each video the entry stands for; none after an error."""
        given_id = entry.get("id")
        try:
            if "url" in entry:
                url = _entry_url(entry["url"])
                return [(given_id or str(url), None, url)]
            if "path" in entry:
                key, file = self.files.resolve(entry["path"])
                return [(given_id or key, file, None)]
            if given_id is not None:
                self.error(
                    (*at, "id"),
                    "not allowed with glob: each matched file is keyed by its own path",
                    key=True,
                )
                return []
            return [(key, file, None) for key, file in self.files.expand(entry["glob"])]
        except FileProblem as exc:
            self.error((*at, "path" if "path" in entry else "glob"), str(exc))
            return []

    def _start(self, at: tuple[PathPart, ...], text: str) -> datetime | None:
        when = parse_timestamp(text)
        if when is None:
            self.error(
                at,
                f"'{text}' is not a timestamp; write ISO 8601, like "
                "2025-04-12T19:05:45 (UTC) or 2025-04-12T21:05:45+02:00",
            )
            return None
        # A timestamp without an offset is UTC (README, "manifest").
        if when.tzinfo is None:
            return when.replace(tzinfo=timezone.utc)
        try:
            # Sent, recorded and compared in UTC: it must have a UTC date in years 1..9999.
            when.astimezone(timezone.utc)
        except OverflowError:
            self.error(
                at,
                f"'{text}' is out of range: in UTC it falls outside the years 1 to 9999; "
                "write a time between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z",
            )
            return None
        return when

    def _claim(
        self,
        key: str,
        index: int,
        location: Location,
        at: tuple[PathPart, ...],
        entry: dict[str, Any],
    ) -> bool:
        """Record `key` for entry `index`; an error naming both entries if it is taken."""
        first = self.keys.get(key)
        if first is None:
            self.keys[key] = (index, location)
            return True
        other, where = first
        field_name = next(k for k in ("id", "path", "url", "glob") if k in entry)
        via = f" (matched by '{entry['glob']}')" if field_name == "glob" else ""
        self.error(
            (*at, field_name),
            f"key '{key}'{via} is also the key of videos[{other}] "
            f"(line {where.line}); each video needs its own key (set id: to tell "
            "them apart)",
        )
        return False

    def error(self, at: tuple[PathPart, ...], message: str, *, key: bool = False) -> None:
        location = self.doc.locate(at, key=key)
        self.errors.append(
            ManifestError(message, location.file, location.line, location.column, format_path(at))
        )


def _entry_url(url: str) -> str:
    """An entry's URL as videosync keys, records and shows it: without its query string,
    which holds a presigned URL's signature and changes each time it is signed again
    (`ownership.url_identity`). The whole URL rides along to the upload (`SignedUrl`)."""
    return SignedUrl(url) if url_identity(url) != url else url


def _default_name(file: Path | None, url: str | None) -> str:
    """The name of a video whose entry gives none: the file's name (for a `path` and each
    file a `glob` matches), the URL's last segment for a `url`.

    Not the readable name `init` writes (`readable_name`): in v1 a name is fixed at upload,
    so a new default would replace every nameless glob video of every catalog applied
    before. With in-place renames (API v2) that becomes a cheap update, and can change.
    """
    if file is None:
        return _url_name(url or "")
    return file.name


def _url_name(url: str) -> str:
    """A URL's last path segment (what the API names a nameless URL upload), else the URL
    (without its query string)."""
    segment = unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2])
    return segment or url_identity(url)
