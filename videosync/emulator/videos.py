"""The video routes: upload, get/list, delete, and the signed download of a stored file."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from videosync.emulator.auth import tenant_of
from videosync.emulator.bodies import read_body
from videosync.emulator.destinations import RefusedUrl
from videosync.emulator.inputs import parse_bool, parse_timestamp_ms, video_ids
from videosync.emulator.problems import Problem
from videosync.emulator.state import EmulatorState, state_of
from videosync.emulator.store import VideoRecord, fsync_file
from videosync.emulator.uploads import UploadForm, receive_upload
from videosync.emulator.views import video_view
from videosync.model import DEFAULT_GROUP

__all__ = [
    "delete_many",
    "delete_one",
    "download",
    "get_many",
    "get_one",
    "ingest",
    "keep_upload",
    "list_query",
    "render_videos",
    "upload",
    "vet_url",
]

SYNC_APART = 8 * 1024 * 1024
"""Bytes past which an uploaded file is fsynced on its own before it joins a batch."""

_START_FIELDS = ("video_absolute_start_timestamp", "video_start_absolute_timestamp")


def _view(state: EmulatorState, request: Request, video: VideoRecord, now: float) -> dict[str, Any]:
    return video_view(
        video,
        base_url=str(request.base_url),
        signer=state.signer,
        now=now,
        delay=state.config.index_delay,
    )


def render_videos(
    state: EmulatorState, request: Request, videos: list[VideoRecord]
) -> JSONResponse:
    """`{"results": [Video, ...]}` with fresh signed URLs."""
    now = time.time()
    return JSONResponse({"results": [_view(state, request, v, now) for v in videos]})


def _resolve_group(state: EmulatorState, tenant: str, group_id: str | None) -> str:
    if not group_id or group_id == DEFAULT_GROUP:
        return DEFAULT_GROUP
    if state.store.group(tenant, group_id) is None:
        raise Problem(404, f"Group {group_id!r} not found")
    return group_id


@dataclass(frozen=True)
class _UploadFields:
    """An upload's validated form fields."""

    video_name: str
    source: str | None
    start_ms: int | None
    do_index: bool
    thumbnails: bool
    url: str
    """The `video_url` to fetch, or "" for a file upload."""


def _checked_fields(form: UploadForm) -> _UploadFields:
    """Validate the upload's fields; every problem is a 422."""
    fields = form.fields
    url = fields.get("video_url", "").strip()
    if form.has_file == bool(url):
        raise Problem(422, "Send exactly one of 'file' and 'video_url'")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise Problem(422, f"video_url refused: not a valid URL ({exc})") from None
    if url and parts.scheme.lower() not in ("http", "https"):
        raise Problem(422, f"video_url must be an http or https URL, not {url!r}")
    name = fields.get("video_name", "").strip()
    if not name:
        if form.has_file:
            raise Problem(422, "video_name is required for a file upload")
        name = PurePosixPath(parts.path).name or url
    if "index" not in fields:
        raise Problem(422, "index is required: true or false")
    start_ms = None
    for start_field in _START_FIELDS:
        if fields.get(start_field, "").strip():
            start_ms = parse_timestamp_ms(start_field, fields[start_field])
            break
    return _UploadFields(
        video_name=name,
        source=url or form.filename,
        start_ms=start_ms,
        do_index=parse_bool("index", fields["index"]),
        thumbnails=parse_bool("enable_thumbnails", fields.get("enable_thumbnails", "false")),
        url=url,
    )


async def vet_url(state: EmulatorState, url: str) -> None:
    """A 422 unless `url` may be fetched (not a private address, unless allowed)."""
    try:
        await state.fetcher.vet(url)
    except RefusedUrl as exc:
        raise Problem(422, f"video_url refused: {exc}", param="video_url") from None


async def keep_upload(
    state: EmulatorState, form: UploadForm, temp: Path, video: VideoRecord, url: str
) -> VideoRecord:
    """Store a checked upload: start fetching `url`, or probe and commit the file at `temp`.

    A file's row is inserted only once the file is complete, fsynced, probed and renamed
    into place; a URL's row at once (its download is in flight). Returns the stored row.
    """
    if url:
        state.store.add_video(video)
        state.fetcher.start(video.video_id, url)
        return video
    if form.size > SYNC_APART:
        # Its fsync could take seconds: done here, it does not hold up the small uploads
        # batched with it (the batch's own fsync of it then finds nothing left to write).
        await anyio.to_thread.run_sync(fsync_file, temp)
    return await state.committer.store(temp, video, form.size)


Checked = Callable[[EmulatorState, str, UploadForm], Awaitable[tuple[VideoRecord, str]]]
"""An upload route's own checks: the form's fields (and the caller's tenant) into the new
video's record and the `video_url` to fetch ("" for a file), or a `Problem`."""


async def ingest(request: Request, checked: Checked) -> VideoRecord:
    """Receive an upload (v1 or v2), check it with `checked`, and store it; the stored row.

    The file part streams to a temp file, removed whatever happens once the video is
    stored (renamed into place) or refused.
    """
    state = state_of(request)
    tenant = tenant_of(request, state.config)
    temp = state.store.temp_path()
    try:
        form = await receive_upload(request, temp, state.config.max_upload_bytes)
        video, url = await checked(state, tenant, form)
        if url:
            await vet_url(state, url)
        return await keep_upload(state, form, temp, video, url)
    finally:
        temp.unlink(missing_ok=True)


async def _checked_v1(
    state: EmulatorState, tenant: str, form: UploadForm
) -> tuple[VideoRecord, str]:
    fields = _checked_fields(form)
    group_id = _resolve_group(state, tenant, form.fields.get("group_id", "").strip())
    video = VideoRecord(
        video_id=str(uuid.uuid4()),
        tenant=tenant,
        group_id=group_id,
        video_name=fields.video_name,
        source=fields.source,
        start_ms=fields.start_ms,
        do_index=fields.do_index,
        thumbnails=fields.thumbnails,
        created_at=time.time(),
        ready_at=None,
    )
    return video, fields.url


async def upload(request: Request) -> Response:
    """POST /videos/upload: a multipart `file` streamed to disk, or a `video_url` to fetch."""
    video = await ingest(request, _checked_v1)
    return JSONResponse(
        {"video_id": video.video_id, "status": "upload_initiated", "video_s3_url": None}
    )


async def get_many(request: Request) -> Response:
    """POST /videos/get: the listed `video_ids` (unknown ones left out), or all videos."""
    state = state_of(request)
    tenant = tenant_of(request, state.config)
    ids = video_ids(await read_body(request), required=False)
    return render_videos(state, request, state.store.videos(tenant, ids))


async def list_query(request: Request) -> Response:
    """GET /v1/videos[?ids=…]: like POST /videos/get with the ids in the query."""
    state = state_of(request)
    tenant = tenant_of(request, state.config)
    ids = request.query_params.getlist("ids") or None
    return render_videos(state, request, state.store.videos(tenant, ids))


async def get_one(request: Request) -> Response:
    """GET /v1/videos/{video_id}: one Video, or 404."""
    state = state_of(request)
    tenant = tenant_of(request, state.config)
    video_id = request.path_params["video_id"]
    video = state.store.video(tenant, video_id)
    if video is None:
        raise Problem(404, f"Video {video_id!r} not found")
    return JSONResponse(_view(state, request, video, time.time()))


def _delete(state: EmulatorState, tenant: str, ids: list[str]) -> Response:
    missing = state.store.delete_videos(tenant, ids)
    if missing:
        raise Problem(404, f"Video(s) not found, nothing deleted: {', '.join(missing)}")
    noun = "video" if len(ids) == 1 else "videos"
    return JSONResponse({"status": "success", "message": f"Deleted {len(ids)} {noun}"})


async def delete_many(request: Request) -> Response:
    """DELETE /videos/delete: all of `video_ids`, or none if any is unknown (404)."""
    state = state_of(request)
    tenant = tenant_of(request, state.config)
    ids = video_ids(await read_body(request), required=True)
    assert ids is not None  # required=True
    return _delete(state, tenant, ids)


async def delete_one(request: Request) -> Response:
    """DELETE /v1/videos/{video_id}."""
    state = state_of(request)
    tenant = tenant_of(request, state.config)
    return _delete(state, tenant, [request.path_params["video_id"]])


async def download(request: Request) -> Response:
    """GET /files/{video_id}?expires=…&signature=…: the stored file, with Range support."""
    state = state_of(request)
    video_id = request.path_params["video_id"]
    expires = request.query_params.get("expires", "")
    signature = request.query_params.get("signature", "")
    if not state.signer.valid(video_id, expires, signature, time.time()):
        raise Problem(403, "Invalid or expired download URL: get a fresh one from /videos/get")
    video = state.store.any_video(video_id)
    path = state.store.file_path(video_id)
    if video is None or video.size is None or not path.is_file():
        raise Problem(404, f"Video {video_id!r} has no stored file")
    return FileResponse(path, media_type="video/mp4")
