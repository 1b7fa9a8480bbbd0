"""How videosync recognises on the server what it made, from what the server stores.

Every upload carries its entry's key as the multipart filename (or `video_url`), which the
server keeps as `metadata.source` (`api/NOTES.md`). An unrecorded remote video is taken for
an upload of an entry only when its source is the entry's key *and* its name, group and
start are those the upload sent, and its indexing did not fail: never on name alone. A group
is recognised by its exact name, among the groups nobody records. These are the only rules;
the planner (adopting an interrupted upload), crash recovery (replaying the journal) and
the applier (settling a lost answer) all ask them here. Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from videosync.model import RemoteGroup, RemoteVideo, VideoSpec, start_to_ms

__all__ = ["is_upload_of", "unrecorded_namesakes", "unrecorded_uploads"]


def is_upload_of(video: RemoteVideo, key: str, spec: VideoSpec) -> bool:
    """Whether `video` is an upload of entry `key` sent with `spec` (its group resolved)."""
    start_ms = start_to_ms(spec.start) if spec.start else None
    return (
        video.source == key
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
