"""A Vision API catalog in memory, behind `CatalogApi`: the real `Applier` runs against it.

`FakeCatalog` answers the calls the applier makes the way the service does (`api/NOTES.md`)
and the emulator implements it (`videosync/emulator/videos.py`, `groups.py`), minus HTTP:

- `upload_file` reads the file through the client's own `UploadStream`, rewound first as
  httpx rewinds it, so `progress` and the `hasher()` it is given see every byte exactly as
  with `VisionClient`; the multipart `filename` becomes the video's `source`. An upload is
  decoded from the form fields the client would send (`upload_fields`): a start without
  offset is UTC, a file upload needs a name, a URL upload without one is named after the
  URL's last segment, an unknown group is a 404;
- `delete_videos` is all or nothing per request: if any id of a batch is unknown,
  `NotFound` and none of that batch is deleted;
- groups: at most 10, metadata at most 500 characters of compact JSON, a non-empty name;
  `delete_group` is refused (`InvalidRequest`, 409) while a video is in the group.

Nothing happens between calls: a `video_url` is not fetched and indexing does not move on,
so an upload stays `pending` (seed `indexed` or `failed` videos where a test needs them).

Ids come from a counter (`v0000001-fake`, `g0000001-fake`), so a run is repeatable. The
state is public for assertions (`videos`, `groups`, in creation order like the server's
listings) and is seeded through the constructor with what is "already on the server".
Every call yields to the event loop once, as a request would, so concurrent calls interleave.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from videosync.api.responses import UploadResult
from videosync.api.routes import (
    DELETE_PATH,
    GROUPS_PATH,
    START_FIELD,
    UPLOAD_PATH,
    batches,
    group_path,
    upload_fields,
)
from videosync.api.uploadstream import Hasher, UploadStream
from videosync.errors import ApiError, InvalidRequest, LocalFileError, NotFound
from videosync.model import DEFAULT_GROUP, RemoteGroup, RemoteVideo

__all__ = ["MAX_GROUPS", "MAX_METADATA_CHARS", "FakeCatalog"]

MAX_GROUPS = 10
MAX_METADATA_CHARS = 500
_READ = 64 * 1024  # what httpx reads from a multipart file at a time
_INDEXING_TYPE = "qa_and_search"


class FakeCatalog:
    """One API key's catalog: its videos and groups, changed only through the API calls."""

    def __init__(
        self, videos: Iterable[RemoteVideo] = (), groups: Iterable[RemoteGroup] = ()
    ) -> None:
        """Start with `videos` and `groups` on the server (every video's group among them)."""
        self.videos: dict[str, RemoteVideo] = {}
        self.groups: dict[str, RemoteGroup] = {}
        self._counter = itertools.count(1)
        for group in groups:
            self.groups[group.group_id] = group
        for video in videos:
            if video.group_id != DEFAULT_GROUP and video.group_id not in self.groups:
                # The server refuses to delete a group that holds videos: no such state.
                raise ValueError(
                    f"video {video.video_id} is in group {video.group_id}, which is not seeded"
                )
            self.videos[video.video_id] = video

    def __repr__(self) -> str:
        return f"FakeCatalog({len(self.videos)} videos, {len(self.groups)} groups)"

    def _new_id(self, kind: str, taken: Mapping[str, object]) -> str:
        while True:
            made = f"{kind}{next(self._counter):07d}-fake"
            if made not in taken:
                return made

    # --- videos ------------------------------------------------------------------------

    async def list_videos(self) -> list[RemoteVideo]:
        await asyncio.sleep(0)
        return list(self.videos.values())

    async def get_videos(
        self, video_ids: Sequence[str], *, batch_size: int = 100
    ) -> list[RemoteVideo]:
        found: list[RemoteVideo] = []
        for batch in batches(video_ids, batch_size):
            await asyncio.sleep(0)
            # Unknown ids are left out; each id once, in the order asked.
            found += [self.videos[i] for i in dict.fromkeys(batch) if i in self.videos]
        return found

    async def upload_file(
        self,
        path: Path,
        *,
        name: str,
        filename: str,
        index: bool = True,
        thumbnails: bool = False,
        start: datetime | None = None,
        group_id: str | None = None,
        progress: Callable[[int], None] | None = None,
        hasher: Callable[[], Hasher] | None = None,
    ) -> UploadResult:
        fields = upload_fields(
            name=name, index=index, thumbnails=thumbnails, start=start, group_id=group_id
        )
        try:
            file = path.open("rb")
        except OSError as exc:
            raise LocalFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
        with file:
            stream = UploadStream(file, progress=progress, hasher=hasher)
            stream.seek(0)  # httpx rewinds the file before it sends the body
            while stream.read(_READ):
                await asyncio.sleep(0)  # the network would let other uploads run
        video = self._received(fields, source=filename, is_file=True)
        return UploadResult(
            video.video_id, "upload_initiated", size=stream.sent, digest=stream.hexdigest()
        )

    async def upload_url(
        self,
        url: str,
        *,
        name: str | None,
        index: bool = True,
        thumbnails: bool = False,
        start: datetime | None = None,
        group_id: str | None = None,
    ) -> UploadResult:
        await asyncio.sleep(0)
        fields = upload_fields(
            name=name, index=index, thumbnails=thumbnails, start=start, group_id=group_id
        )
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            raise _refused(
                422, f"video_url must be an http or https URL, not {url!r}", f"POST {UPLOAD_PATH}"
            )
        video = self._received(fields, source=url, is_file=False)
        return UploadResult(video.video_id, "upload_initiated")

    def _received(self, fields: Mapping[str, str], *, source: str, is_file: bool) -> RemoteVideo:
        """Store an upload as the server does once its body has arrived (`_checked_fields`)."""
        call = f"POST {UPLOAD_PATH}"
        name = fields.get("video_name", "").strip()
        if not name:
            if is_file:
                raise _refused(422, "video_name is required for a file upload", call)
            name = PurePosixPath(urlsplit(source).path).name or source
        group_id = fields.get("group_id", "").strip() or DEFAULT_GROUP
        if group_id != DEFAULT_GROUP and group_id not in self.groups:
            raise NotFound(f"Group {group_id!r} not found", status=404, call=call)
        start_ms = None
        if START_FIELD in fields:
            when = datetime.fromisoformat(fields[START_FIELD])
            start_ms = round(when.timestamp() * 1000)
        do_index = fields["index"] == "true"
        video = RemoteVideo(
            video_id=self._new_id("v", self.videos),
            name=name,
            group_id=group_id,
            indexing_status="pending",
            source=source,
            start_ms=start_ms,
            indexing_type=_INDEXING_TYPE if do_index else None,
        )
        self.videos[video.video_id] = video
        return video

    async def delete_videos(self, video_ids: Sequence[str], *, batch_size: int = 100) -> None:
        for batch in batches(video_ids, batch_size):
            await asyncio.sleep(0)
            missing = [i for i in dict.fromkeys(batch) if i not in self.videos]
            if missing:
                raise NotFound(
                    f"Video(s) not found, nothing deleted: {', '.join(missing)}",
                    status=404,
                    call=f"DELETE {DELETE_PATH}",
                )
            for video_id in batch:
                self.videos.pop(video_id, None)

    # --- groups ------------------------------------------------------------------------

    async def list_groups(self) -> list[RemoteGroup]:
        await asyncio.sleep(0)
        return list(self.groups.values())

    async def create_group(
        self, name: str, metadata: Mapping[str, Any] | None = None
    ) -> RemoteGroup:
        await asyncio.sleep(0)
        call = f"POST {GROUPS_PATH}"
        name = _name(name, call)
        metadata = {} if metadata is None else _metadata(metadata, call)
        if len(self.groups) >= MAX_GROUPS:
            raise _refused(
                422,
                f"Group limit reached: at most {MAX_GROUPS} custom groups; delete one first",
                call,
            )
        group = RemoteGroup(self._new_id("g", self.groups), name, metadata)
        self.groups[group.group_id] = group
        return group

    async def update_group(
        self, group_id: str, *, name: str | None = None, metadata: Mapping[str, Any] | None = None
    ) -> RemoteGroup:
        if name is None and metadata is None:
            raise ValueError("update_group needs a name or metadata to change")  # as the client
        await asyncio.sleep(0)
        call = f"PATCH {group_path(group_id)}"
        group = self._existing(group_id, call)
        if name in (None, "") and metadata is None:
            raise _refused(422, "Send at least one of a non-empty name and a metadata object", call)
        changed = RemoteGroup(
            group_id=group_id,
            name=group.name if name is None or name == "" else _name(name, call),
            metadata=group.metadata if metadata is None else _metadata(metadata, call),
        )
        self.groups[group_id] = changed
        return changed

    async def delete_group(self, group_id: str) -> None:
        await asyncio.sleep(0)
        call = f"DELETE {group_path(group_id)}"
        self._existing(group_id, call)
        held = sum(1 for v in self.videos.values() if v.group_id == group_id)
        if held:
            raise _refused(
                409,
                f"Group {group_id!r} still holds {held} video(s): delete or move them first",
                call,
            )
        del self.groups[group_id]

    def _existing(self, group_id: str, call: str) -> RemoteGroup:
        group = self.groups.get(group_id)
        if group is None:
            raise NotFound(f"Group {group_id!r} not found", status=404, call=call)
        return group


def _refused(status: int, message: str, call: str) -> ApiError:
    return InvalidRequest(message, status=status, call=call)


def _name(value: str, call: str) -> str:
    if not value.strip():
        raise _refused(422, "name must be a non-empty string", call)
    return value.strip()


def _metadata(value: Mapping[str, Any], call: str) -> dict[str, Any]:
    size = len(json.dumps(dict(value), separators=(",", ":")))
    if size > MAX_METADATA_CHARS:
        raise _refused(
            422,
            f"metadata is {size} characters as JSON; at most {MAX_METADATA_CHARS} allowed",
            call,
        )
    return dict(value)


if TYPE_CHECKING:
    # mypy checks here that the fake offers every call the applier makes, as the client does.
    from videosync.api.protocol import CatalogApi

    _implements: type[CatalogApi] = FakeCatalog
