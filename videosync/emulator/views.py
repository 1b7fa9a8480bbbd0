"""How stored records look through the API: the Video and Group objects of NOTES.md.

Indexing status is derived from stored timestamps, so no background worker is needed and
a restart changes nothing: `pending` until `ready_at + delay`, `indexing` until
`ready_at + 2 * delay`, then `indexed` (or `failed` when the file is not a decodable video
or its download failed). `index=false` stays `pending`; a `video_url` still downloading
(`ready_at` unset) is `pending`.
"""

from __future__ import annotations

from typing import Any

from videosync.emulator.signing import UrlSigner
from videosync.emulator.store import GroupRecord, VideoRecord

__all__ = ["group_view", "indexing_status", "metadata_view", "signed_url", "video_view"]

INDEXING_TYPE = "qa_and_search"


def indexing_status(video: VideoRecord, now: float, delay: float) -> str:
    if not video.do_index or video.ready_at is None:
        return "pending"
    if now < video.ready_at + delay:
        return "pending"
    if now < video.ready_at + 2 * delay:
        return "indexing"
    return "failed" if video.error is not None else "indexed"


def signed_url(base_url: str, signer: UrlSigner, video_id: str, now: float) -> str:
    """A fresh signed download URL of a stored file, on `base_url` (ending in `/`)."""
    return f"{base_url}files/{video_id}?{signer.query(video_id, now)}"


def _description(video: VideoRecord) -> str | None:
    if video.description is not None:
        return video.description
    return f"Uploaded video file: {video.source}" if video.source else None


def metadata_view(video: VideoRecord) -> dict[str, Any]:
    """The Video's `metadata` object (the same in v1 and v2)."""
    return {
        "width": video.width,
        "height": video.height,
        "avg_fps": video.avg_fps,
        "duration": video.duration,
        "video_name": video.video_name,
        "title": video.title if video.title is not None else video.video_name,
        "video_start_timestamp_utc_ms": video.start_ms,
        "thumbnail": None,
        "thumbnails": None,
        "description": _description(video),
        "source": video.source,
    }


def video_view(
    video: VideoRecord, *, base_url: str, signer: UrlSigner, now: float, delay: float
) -> dict[str, Any]:
    """The Video object; `url` is a fresh signed download URL on `base_url`."""
    return {
        "video_id": video.video_id,
        "url": signed_url(base_url, signer, video.video_id, now),
        "indexing_status": indexing_status(video, now, delay),
        "indexing_type": INDEXING_TYPE if video.do_index else None,
        "group_id": video.group_id,
        "metadata": metadata_view(video),
    }


def group_view(group: GroupRecord) -> dict[str, Any]:
    return {
        "group_id": group.group_id,
        "name": group.name,
        "metadata": group.metadata,
        "created_at": group.created_at,
        "updated_at": group.updated_at,
    }
