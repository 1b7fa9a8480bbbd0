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

`FakeCatalog(api_version="v2")` answers as v2 does (`emulator/v2/REFERENCE.md`, the
emulator's `v2/` routes and `decisions.py`), and the client's v2 calls on a v1 fake raise
as they do on a v1 client:

- an upload is `uploaded` at once (a `video_url` is taken as fetched), with no features
  (`{}`), no `indexing_status`, a title that is its name and, without a description, the
  emulator's `Uploaded video file: <source>`; `start` and `thumbnails` are refused;
- `update_video` (PATCH) sets only what it is given; a title never set follows the name;
  `group_id="default"` takes the video out of its group; an unknown group is a 404;
- `move_videos` into a group is all or nothing (v1 too); to `default`, each video is
  PATCHed, as the client does; `delete_videos` deletes each known id and then raises
  `NotFound` for the first unknown one, as the client's one-call-per-video deletes do;
  `delete_group` leaves the group's videos in no group (v1 refuses while it holds any);
- features: transcript first, captions after it, embeddings after both, objects after
  transcript (`FEATURE_CATALOG`). A trigger needs an `uploaded` video and its
  dependencies `ready` (else a 409) and makes the feature `ready` at once, or `failed` if
  `failing` names it; without `force`, a feature already requested keeps its status.
  `plan_features` follows the emulator's rules.

Ids come from a counter (`v0000001-fake`, `g0000001-fake`), so a run is repeatable. The
state is public for assertions (`videos`, `groups`, in creation order like the server's
listings) and is seeded through the constructor with what is "already on the server".
Every call yields to the event loop once, as a request would, so concurrent calls interleave.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from videosync.api.protocol import UNCHANGED, Unchanged
from videosync.api.responses import FeaturePlan, UploadResult
from videosync.api.routes import (
    DELETE_PATH,
    START_FIELD,
    UPLOAD_PATH,
    V2_VIDEOS_PATH,
    batches,
    feature_path,
    group_path,
    groups_path,
    move_path,
    upload_fields,
    v2_upload_fields,
    video_path,
    video_update_body,
)
from videosync.api.uploadstream import Hasher, UploadStream
from videosync.api.versions import require_v2
from videosync.errors import ApiError, InvalidRequest, LocalFileError, NotFound
from videosync.model import DEFAULT_GROUP, FEATURES, ApiVersion, RemoteGroup, RemoteVideo

__all__ = ["FEATURE_CATALOG", "MAX_GROUPS", "MAX_METADATA_CHARS", "FakeCatalog"]

MAX_GROUPS = 10
MAX_METADATA_CHARS = 500
_READ = 64 * 1024  # what httpx reads from a multipart file at a time
_INDEXING_TYPE = "qa_and_search"
_MOVE_BATCH = 100  # as the client

FEATURE_CATALOG: Mapping[str, tuple[str, ...]] = {
    "transcript": (),
    "captions": ("transcript",),
    "embeddings": ("transcript", "captions"),
    "objects": ("transcript",),
}
"""What `feature_catalog` answers: the emulator's (and the official client's) catalog."""
_RUNNING = ("pending", "processing")


class FakeCatalog:
    """One API key's catalog: its videos and groups, changed only through the API calls."""

    def __init__(
        self,
        videos: Iterable[RemoteVideo] = (),
        groups: Iterable[RemoteGroup] = (),
        *,
        api_version: ApiVersion = "v1",
        failing: Iterable[str | tuple[str, str]] = (),
    ) -> None:
        """Start with `videos` and `groups` on the server (every video's group among them),
        answering as API `api_version` does.

        v2: each feature named in `failing` fails whenever it runs, on every video; a
        `(video_id, feature)` pair, on that video only. Tests may change `failing` later.
        """
        self.videos: dict[str, RemoteVideo] = {}
        self.groups: dict[str, RemoteGroup] = {}
        self.failing: set[str | tuple[str, str]] = set(failing)
        self._api_version: ApiVersion = api_version
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
        # v2 videos whose title was set: the others' title follows their name.
        self._titled = {
            v.video_id for v in self.videos.values() if v.title is not None and v.title != v.name
        }

    def __repr__(self) -> str:
        return (
            f"FakeCatalog({len(self.videos)} videos, {len(self.groups)} groups, "
            f"{self._api_version})"
        )

    @property
    def api_version(self) -> ApiVersion:
        return self._api_version

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
        description: str | None = None,
    ) -> UploadResult:
        fields = self._upload_fields(
            name=name,
            index=index,
            thumbnails=thumbnails,
            start=start,
            group_id=group_id,
            description=description,
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
            video.video_id, self._upload_status, size=stream.sent, digest=stream.hexdigest()
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
        description: str | None = None,
    ) -> UploadResult:
        await asyncio.sleep(0)
        fields = self._upload_fields(
            name=name,
            index=index,
            thumbnails=thumbnails,
            start=start,
            group_id=group_id,
            description=description,
        )
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            status = 400 if self._api_version == "v2" else 422
            raise _refused(
                status, f"video_url must be an http or https URL, not {url!r}", self._upload_call
            )
        video = self._received(fields, source=url, is_file=False)
        return UploadResult(video.video_id, self._upload_status)

    @property
    def _upload_call(self) -> str:
        return f"POST {V2_VIDEOS_PATH if self._api_version == 'v2' else UPLOAD_PATH}"

    @property
    def _upload_status(self) -> str:
        return "uploaded" if self._api_version == "v2" else "upload_initiated"

    def _upload_fields(
        self,
        *,
        name: str | None,
        index: bool,
        thumbnails: bool,
        start: datetime | None,
        group_id: str | None,
        description: str | None,
    ) -> dict[str, str]:
        """The form fields the client would send (and what it refuses to send, refused)."""
        if self._api_version == "v2":
            if start is not None or thumbnails:
                raise ValueError("API v2 takes no start timestamp and makes no thumbnails")
            return v2_upload_fields(name=name, group_id=group_id, description=description)
        if description is not None:
            raise ValueError("API v1 takes no description at upload (v2 does)")
        return upload_fields(
            name=name, index=index, thumbnails=thumbnails, start=start, group_id=group_id
        )

    def _received(self, fields: Mapping[str, str], *, source: str, is_file: bool) -> RemoteVideo:
        """Store an upload as the server does once its body has arrived (`_checked_fields`)."""
        if self._api_version == "v2":
            return self._received_v2(fields, source=source)
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

    def _received_v2(self, fields: Mapping[str, str], *, source: str) -> RemoteVideo:
        """A v2 upload: named after the file or URL when unnamed, `uploaded` at once."""
        name = fields.get("video_name", "").strip()
        name = name or PurePosixPath(urlsplit(source).path).name or source
        group_id = fields.get("group_id", "").strip() or DEFAULT_GROUP
        if group_id != DEFAULT_GROUP and group_id not in self.groups:
            raise NotFound(f"Group {group_id!r} not found", status=404, call=self._upload_call)
        video = RemoteVideo(
            video_id=self._new_id("v", self.videos),
            name=name,
            group_id=group_id,
            indexing_status=None,
            source=source,
            start_ms=None,
            title=name,
            description=fields.get("description") or f"Uploaded video file: {source}",
            status="uploaded",
            features={},
        )
        self.videos[video.video_id] = video
        return video

    async def delete_videos(self, video_ids: Sequence[str], *, batch_size: int = 100) -> None:
        if self._api_version == "v2":
            await _each(self._delete_one, list(dict.fromkeys(video_ids)))
            return
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

    async def _delete_one(self, video_id: str) -> None:
        self._video(video_id, f"DELETE {video_path(video_id)}")
        del self.videos[video_id]

    def _video(self, video_id: str, call: str) -> RemoteVideo:
        video = self.videos.get(video_id)
        if video is None:
            raise NotFound("Video not found (video_id)", status=404, call=call)
        return video

    async def move_videos(self, group_id: str, video_ids: Sequence[str]) -> None:
        ids = list(dict.fromkeys(video_ids))
        if self._api_version == "v2" and group_id == DEFAULT_GROUP:
            await _each(self._ungroup_one, ids)
            return
        call = f"POST {move_path(group_id, self._api_version)}"
        if group_id != DEFAULT_GROUP or self._api_version == "v2":
            self._existing(group_id, call)
        for batch in batches(ids, _MOVE_BATCH):
            await asyncio.sleep(0)
            missing = [i for i in batch if i not in self.videos]
            if missing:
                raise NotFound(
                    f"Video(s) not found, nothing moved: {', '.join(missing)}",
                    status=404,
                    call=call,
                )
            for video_id in batch:
                self.videos[video_id] = replace(self.videos[video_id], group_id=group_id)

    async def _ungroup_one(self, video_id: str) -> None:
        await self.update_video(video_id, group_id=DEFAULT_GROUP)

    async def update_video(
        self,
        video_id: str,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        group_id: str | Unchanged = UNCHANGED,
    ) -> RemoteVideo:
        require_v2(self._api_version, "update_video")
        body = video_update_body(name=name, title=title, description=description, group_id=group_id)
        if not body:
            raise ValueError("update_video needs a field to change")  # as the client
        await asyncio.sleep(0)
        call = f"PATCH {video_path(video_id)}"
        video = self._video(video_id, call)
        if "name" in body:
            if not body["name"].strip():
                raise _refused(400, "name must not be empty (name)", call)
            video = replace(video, name=body["name"].strip())
            if video_id not in self._titled:
                video = replace(video, title=video.name)
        if "title" in body:
            video = replace(video, title=body["title"].strip())
        if "description" in body:
            video = replace(video, description=body["description"].strip())
        if "group_id" in body:
            target = body["group_id"]
            if target is not None and target not in self.groups:
                raise NotFound(f"Group {target!r} not found (group_id)", status=404, call=call)
            video = replace(video, group_id=target or DEFAULT_GROUP)
        if "title" in body:
            self._titled.add(video_id)
        self.videos[video_id] = video
        return self.videos[video_id]

    # --- features (v2) -----------------------------------------------------------------

    async def feature_catalog(self) -> Mapping[str, tuple[str, ...]]:
        require_v2(self._api_version, "feature_catalog")
        await asyncio.sleep(0)
        return dict(FEATURE_CATALOG)

    async def plan_features(self, video_id: str, desired: Sequence[str]) -> FeaturePlan:
        require_v2(self._api_version, "plan_features")
        await asyncio.sleep(0)
        call = f"POST {feature_path(video_id, 'plan')}"
        current = self._video(video_id, call).features or {}
        unknown = [name for name in desired if name not in FEATURE_CATALOG]
        if unknown:
            raise _refused(422, f"desired: {unknown[0]!r} is not a feature (desired)", call)
        return _plan(current, desired)

    async def trigger_feature(self, video_id: str, feature: str, *, force: bool = False) -> str:
        require_v2(self._api_version, "trigger_feature")
        await asyncio.sleep(0)
        call = f"POST {feature_path(video_id, feature)}"
        if feature not in FEATURE_CATALOG:
            raise NotFound("Not Found", status=404, call=call)
        video = self._video(video_id, call)
        if video.status != "uploaded":
            raise _refused(
                409,
                f"Video is not uploaded (status: {video.status}); features run on uploaded "
                "videos (video_id)",
                call,
            )
        current = dict(video.features or {})
        missing = [d for d in FEATURE_CATALOG[feature] if current.get(d, "none") != "ready"]
        if missing:
            raise _refused(
                409,
                f"Feature {feature!r} depends on {', '.join(repr(d) for d in missing)}, which "
                f"is not ready (status: {current.get(missing[0], 'none')}) ({feature})",
                call,
            )
        if current.get(feature, "none") == "none" or force:
            fails = feature in self.failing or (video_id, feature) in self.failing
            current[feature] = "failed" if fails else "ready"
            ordered = {name: current[name] for name in FEATURES if name in current}
            self.videos[video_id] = replace(video, features={**ordered, **current})
        return current[feature]

    # --- groups ------------------------------------------------------------------------

    async def list_groups(self) -> list[RemoteGroup]:
        await asyncio.sleep(0)
        return list(self.groups.values())

    async def create_group(
        self, name: str, metadata: Mapping[str, Any] | None = None
    ) -> RemoteGroup:
        await asyncio.sleep(0)
        call = f"POST {groups_path(self._api_version)}"
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
        call = f"PATCH {group_path(group_id, self._api_version)}"
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
        call = f"DELETE {group_path(group_id, self._api_version)}"
        self._existing(group_id, call)
        if self._api_version == "v2":  # the group goes; its videos stay, in no group
            for video in list(self.videos.values()):
                if video.group_id == group_id:
                    self.videos[video.video_id] = replace(video, group_id=DEFAULT_GROUP)
            del self.groups[group_id]
            return
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


async def _each(call: Callable[[str], Awaitable[None]], video_ids: Sequence[str]) -> None:
    """`call` for each id, each to its end; then the first failure raised (as the client)."""
    outcomes = await asyncio.gather(*(call(v) for v in video_ids), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


def _required(desired: Iterable[str]) -> list[str]:
    """`desired` and everything it depends on, in `FEATURES` order."""
    wanted: set[str] = set()

    def add(name: str) -> None:
        if name not in wanted:
            wanted.add(name)
            for dependency in FEATURE_CATALOG[name]:
                add(dependency)

    for name in desired:
        add(name)
    return [name for name in FEATURES if name in wanted]


def _plan(current: Mapping[str, str], desired: Iterable[str]) -> FeaturePlan:
    """The emulator's `features/plan` for a video whose features are `current`."""
    statuses: dict[str, str] = {}
    actionable: list[str] = []
    processing: list[str] = []
    blocked: list[str] = []
    errors: dict[str, str] = {}
    required = _required(desired)
    for name in required:
        status = current.get(name, "none")
        dependencies = FEATURE_CATALOG[name]
        failed = [d for d in dependencies if statuses.get(d) in ("failed", "blocked")]
        if status == "none" and failed:
            status = "blocked"
            blocked.append(name)
            errors[name] = f"{name} cannot run: {', '.join(failed)} failed"
        elif status == "none" and all(statuses.get(d) == "ready" for d in dependencies):
            actionable.append(name)
        elif status in _RUNNING:
            processing.append(name)
        elif status == "failed":
            errors[name] = f"{name} failed; trigger it with force: true to run it again"
        statuses[name] = status
    return FeaturePlan(
        statuses=statuses,
        actionable=tuple(actionable),
        processing=tuple(processing),
        blocked=tuple(blocked),
        errors=errors,
        done=all(statuses[name] == "ready" for name in required),
    )


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
