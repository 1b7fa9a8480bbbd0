"""How videosync recognises on the server what it made, from what the server stores.

Every upload carries its entry's key as the multipart filename (or `video_url`), which the
server keeps as `metadata.source` (`api/NOTES.md`). An unrecorded remote video is taken for
an upload of an entry only when its source is the entry's key *and* its name, group and
start are those the upload sent, and its indexing did not fail: never on name alone.

A URL is keyed, recorded and shown without its query string (`url_identity`): a presigned
URL's query holds its signature, a secret that also changes each time the URL is signed.
The whole URL is still what the server fetches and keeps as the source, so a source is
compared with its query string withheld too; `SignedUrl` carries the whole URL from the
manifest to the upload, and nothing records or prints it.

A managed group carries a marker the server keeps: the reserved key `videosync` in its
metadata, whose value is the group's key under the manifest's `groups:` (its *ref*). The
marker is added to what is sent and taken out of what is compared or shown, so it is never
drift. A group is recognised as the one videosync made for a ref by that marker alone.

Of several copies that all are uploads of one entry, the one with the smallest video_id is
kept and the others are duplicates: every run, whatever its lockfile, picks the same one.

These are the only rules; the planner (adopting what the server holds), crash recovery
(replaying the journal) and the applier (settling a lost answer) all ask them here. Pure:
values in, values out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, SupportsIndex

from videosync.model import LockGroup, RemoteGroup, RemoteVideo, VideoSpec, start_to_ms

__all__ = [
    "GROUP_MARKER",
    "SignedUrl",
    "canonical",
    "is_upload_of",
    "marked_groups",
    "marked_metadata",
    "marker_of",
    "recorded_group",
    "unmarked_metadata",
    "unrecorded_namesakes",
    "unrecorded_uploads",
    "url_identity",
]

GROUP_MARKER = "videosync"
"""The reserved metadata key of a managed group: its value is the group's ref."""


_WITHHELD = "…"
"""What a URL's query string is replaced with wherever videosync keeps or shows the URL."""


def url_identity(url: str) -> str:
    """An http(s) URL as videosync keys, records and shows it: its query string (and what
    follows it) replaced by `?…`, so `https://cdn/a.mp4?expires=…&signature=…` is
    `https://cdn/a.mp4?…` however often it is signed again. Anything else (a URL without
    a query string, a file's key) is returned as it is.
    """
    if not url[:8].lower().startswith(("http://", "https://")):
        return url
    before_fragment = url.partition("#")[0]
    address, _, query = before_fragment.partition("?")
    if not query:
        return url
    return f"{address}?{_WITHHELD}"


class SignedUrl(str):
    """A URL with a query string, as a manifest entry's `url`: as a string it is its
    `url_identity` (what the lockfile and plans record, what is shown and compared), and
    `full` is the whole URL, which only the API client reads, to send as `video_url`.

    Like `content.digest.ContentDigest`, it rides along as the string the rest of videosync
    passes around, keeps, and writes; a copy keeps `full` too.
    """

    full: str

    def __new__(cls, url: str) -> SignedUrl:
        self = super().__new__(cls, url_identity(url))
        self.full = url
        return self

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[type[SignedUrl], tuple[str]]:
        return (SignedUrl, (self.full,))


def is_upload_of(video: RemoteVideo, key: str, spec: VideoSpec) -> bool:
    """Whether `video` is an upload of entry `key` sent with `spec` (its group resolved)."""
    start_ms = start_to_ms(spec.start) if spec.start else None
    # A URL entry's source is the URL as sent: its query string is no part of the key.
    source = url_identity(video.source) if video.source is not None else None
    return (
        source == key
        and video.indexing_status != "failed"
        and video.name == spec.name
        and spec.group_id is not None
        and video.group_id == spec.group_id
        and video.start_ms == start_ms
    )


def unrecorded_uploads(
    videos: Iterable[RemoteVideo], key: str, spec: VideoSpec, known: Collection[str]
) -> list[RemoteVideo]:
    """The copies among `videos` that are uploads of `key` and whose id is not in `known`."""
    return [v for v in videos if v.video_id not in known and is_upload_of(v, key, spec)]


def unrecorded_namesakes(
    groups: Iterable[RemoteGroup], name: str, known: Collection[str]
) -> list[RemoteGroup]:
    """The groups named exactly `name` whose id is not in `known`, sorted by id."""
    found = [g for g in groups if g.name == name and g.group_id not in known]
    return sorted(found, key=lambda g: g.group_id)


def canonical(copies: Iterable[RemoteVideo]) -> RemoteVideo:
    """The copy kept among several uploads of one entry: the smallest video_id."""
    return min(copies, key=lambda v: v.video_id)


def marked_metadata(ref: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The metadata sent for managed group `ref`: the person's, with the marker."""
    return {**metadata, GROUP_MARKER: ref}


def unmarked_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """A group's metadata as the person wrote it: without the marker."""
    return {k: v for k, v in metadata.items() if k != GROUP_MARKER}


def recorded_group(group: RemoteGroup) -> LockGroup:
    """What the lockfile records of a managed group: as the manifest writes it, no marker."""
    return LockGroup(group.group_id, group.name, unmarked_metadata(group.metadata))


def marker_of(group: RemoteGroup) -> str | None:
    """The ref a group was created for by videosync, or None when it has no marker."""
    value = group.metadata.get(GROUP_MARKER)
    return value if isinstance(value, str) else None


def marked_groups(
    groups: Iterable[RemoteGroup], ref: str, known: Collection[str] = ()
) -> list[RemoteGroup]:
    """The groups marked as videosync's group `ref` whose id is not in `known`, oldest first
    (by creation time, then id): the first is the one to keep."""
    found = [g for g in groups if marker_of(g) == ref and g.group_id not in known]
    return sorted(found, key=lambda g: (g.created_at or "", g.group_id))
