"""The Vision API client: every call videosync makes to the service goes through here.

`VisionClient` is async at the core so the applier can keep many requests in flight over
one pooled `httpx.AsyncClient`; `sync.SyncVisionClient` runs it on a private event loop for
the commands that make one call at a time (plan, status). This is the door httpx comes in
by (`sync.py` only passes a transport through), and it turns every httpx failure into an
`ApiError` (`raise ... from`).

One client speaks one API version (`api_version`, `videosync.api.versions`): v1's paths,
field names and shapes follow `api/NOTES.md`, v2's `emulator/v2/REFERENCE.md`; both are
spelled in `videosync.api.routes`, where the choices only assumed about the real service
sit together. Retries are decided in `videosync.api.retry`, JSON is read in
`videosync.api.responses`.

The API key travels only in the `X-Api-Key` header, set by an `httpx.Auth` whose repr
hides it; it is never logged (log lines carry method, path, status and time), and any
server message that echoes it is scrubbed before it becomes an exception message. A key
that cannot be a header value is refused before any request (`check_api_key`): sent, it
fails in httpx with an error that quotes it.

A URL's query string (a presigned URL's signature) goes to the server and nowhere else: a
`video_url` is sent whole (`ownership.SignedUrl.full`), and the sources the server lists
come back with their query string withheld (`ownership.url_identity`), as videosync keys
and records them.
"""

from __future__ import annotations

import asyncio
import logging
import math
import mimetypes
import socket
import ssl
import time
import unicodedata
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, cast

import httpx

from videosync.api.protocol import UNCHANGED, Unchanged
from videosync.api.responses import (
    FeaturePlan,
    UploadResult,
    error_for_status,
    parse_feature_catalog,
    parse_feature_plan,
    parse_group,
    parse_groups,
    parse_json,
    parse_trigger,
    parse_upload,
    parse_video,
    parse_videos,
)
from videosync.api.retry import RetryNotice, RetryPolicy, call_with_retries, parse_retry_after
from videosync.api.routes import (
    DEFAULT_API_URL,
    DELETE_PATH,
    GET_PATH,
    UPLOAD_PATH,
    V2_FEATURES_PATH,
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
from videosync.api.versions import NOT_SERVED_STATUSES, PROBE_PATH, ApiVersionChoice, require_v2
from videosync.errors import (
    AuthError,
    BadEndpoint,
    ConnectionFailed,
    InvalidApiKey,
    InvalidRequest,
    InvalidSetting,
    LocalFileError,
    MalformedResponse,
    NotFound,
    QueryWithheld,
)
from videosync.model import API_VERSIONS, DEFAULT_GROUP, ApiVersion, RemoteGroup, RemoteVideo
from videosync.ownership import SignedUrl, url_identity
from videosync.version import __version__

__all__ = ["DEFAULT_API_URL", "RetryPolicy", "UploadResult", "VisionClient", "check_api_key"]

logger = logging.getLogger("videosync.api.client")

_CONCURRENT_PER_VIDEO = 4
"""v2 calls made once per video (deletes, moves out of a group) in flight at a time."""

_MOVE_BATCH = 100
"""Ids per move call, as for v1's get and delete."""


_CONTROL_NAMES = {"\r": "a carriage return", "\n": "a line break", "\t": "a tab"}


def check_api_key(api_key: str) -> None:
    """Refuse a key no API key looks like, before it is sent: `InvalidApiKey` says what is
    wrong with it (a control character, a space, a character that is not ASCII), never
    what it is.

    Such a key comes from a copy and paste or a file saved on Windows (`KEY\\r`); sent, it
    fails every attempt with an error that quotes it, or reaches the server mangled.
    """
    for char in api_key:
        if unicodedata.category(char) == "Cc":
            named = _CONTROL_NAMES.get(char)
            raise InvalidApiKey("contains a control character" + (f" ({named})" if named else ""))
    if not api_key.isascii():
        raise InvalidApiKey(
            "contains a character that is not ASCII (an accented letter, a curly quote or an "
            "invisible space, pasted with it?)"
        )
    if api_key != api_key.strip(" "):
        raise InvalidApiKey("begins or ends with a space")
    if " " in api_key:
        raise InvalidApiKey("contains a space")


class _ApiKeyAuth(httpx.Auth):
    """Adds `X-Api-Key` to each request; its repr (and so every log of it) hides the key."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Api-Key"] = self._api_key
        yield request

    def __repr__(self) -> str:
        return "_ApiKeyAuth(api_key=<hidden>)"


def _describe(exc: httpx.HTTPError, timeout: float, events: Sequence[str], host: str) -> str:
    """A sentence for a failure that left us without an answer."""
    if any(e.endswith("send_request_body.failed") for e in events):
        return "the connection broke while sending the request"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"could not connect within {timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect: {_connect_failure(exc, host)[0]}"
    if isinstance(exc, httpx.PoolTimeout):
        return f"no free connection within {timeout:g} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection without answering"
    if isinstance(exc, httpx.WriteError):
        return "the connection broke while sending the request"
    return f"the connection failed: {str(exc) or type(exc).__name__}"


_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def _connect_failure(exc: httpx.ConnectError, host: str) -> tuple[str, str | None]:
    """Why no connection was made, from the OS's own error under httpx's; and, when trying
    again cannot help (the name does not exist, TLS cannot work), what to check instead."""
    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            why = cause.verify_message or cause.reason or "verification failed"
            return (
                f"the server's TLS certificate is not trusted ({why})",
                "check --api-url; a proxy that intercepts TLS needs its certificate authority "
                "trusted",
            )
        if isinstance(cause, ssl.SSLError) and cause.reason == "WRONG_VERSION_NUMBER":
            return (
                "the server does not speak TLS",
                "check --api-url: does its server want http, not https?",
            )
        if isinstance(cause, socket.gaierror):
            if cause.errno in _NO_SUCH_NAME:
                return (
                    f"no host {host} (the name does not resolve)",
                    "check the host name in --api-url",
                )
            said = (cause.strerror or str(cause)).lower()
            return (f"the name {host} cannot be looked up for now ({said})", None)
        if isinstance(cause, ConnectionRefusedError):
            return ("connection refused", None)
        cause = cause.__cause__ or cause.__context__
    return (str(exc) or "connection refused", None)


_CUT_OFF_HINT = (
    "the server may have refused it before reading it all, as it does a wrong API key or a "
    "file over its size limit: check REKA_API_KEY and the file, then the network and --api-url"
)


def _cut_off_while_sending(events: Sequence[str]) -> bool:
    return any(e.endswith("send_request_body.failed") for e in events)


class VisionClient:
    """An async client for the Vision API's video, group and feature calls.

    One instance holds one connection pool and speaks one API version (`api_version`, v1
    unless told): create it once per run (`VisionClient.open` with `api_version="auto"`
    asks the server which), use it from many tasks, and close it
    (`async with VisionClient(...) as client:`).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        api_version: ApiVersion = "v1",
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str = f"videosync/{__version__}",
    ) -> None:
        if api_version not in API_VERSIONS:
            raise ValueError(f"api_version must be one of {', '.join(API_VERSIONS)}")
        if not api_key:
            raise AuthError("no API key was given")
        check_api_key(api_key)
        self._api_version: ApiVersion = api_version
        try:
            url = httpx.URL(base_url)
        except httpx.InvalidURL as exc:
            said = str(exc)[:1].lower() + str(exc)[1:]
            raise InvalidSetting(f"API URL {base_url!r} is not a valid URL ({said})") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise InvalidSetting(f"API URL {base_url!r} is not an http(s) URL")
        if url.port is not None and not 0 < url.port < 65536:
            raise InvalidSetting(
                f"API URL {base_url!r} is not a valid URL (the port must be from 1 to 65535)"
            )
        self._host = url.host
        self._retry_announced = False
        self.base_url = str(url).rstrip("/")
        self.retry = retry or RetryPolicy()
        self._timeout = timeout
        self._api_key = api_key
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=_ApiKeyAuth(api_key),
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            transport=transport,
            follow_redirects=False,  # a redirect means a wrong --api-url; say so, don't follow
        )

    @classmethod
    async def open(
        cls,
        base_url: str,
        api_key: str,
        *,
        api_version: ApiVersionChoice = "auto",
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str = f"videosync/{__version__}",
    ) -> VisionClient:
        """A client speaking `api_version`; for `auto`, v2 if the server serves it (one
        `probe_v2` call), else v1. Closed again if the probe fails."""
        client = cls(
            base_url,
            api_key,
            api_version="v1" if api_version == "auto" else api_version,
            timeout=timeout,
            retry=retry,
            transport=transport,
            user_agent=user_agent,
        )
        if api_version == "auto":
            try:
                if await client.probe_v2():
                    client._api_version = "v2"
            except BaseException:
                await client.aclose()
                raise
        return client

    @property
    def api_version(self) -> ApiVersion:
        """The API version every call of this client speaks."""
        return self._api_version

    def __repr__(self) -> str:
        return f"VisionClient(base_url={self.base_url!r}, api_version={self._api_version!r})"

    async def __aenter__(self) -> VisionClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # --- videos ------------------------------------------------------------------------

    async def list_videos(self) -> list[RemoteVideo]:
        """Every video of this key, in one call (the API documents no pagination)."""
        if self._api_version == "v2":
            data = await self._call("GET", V2_VIDEOS_PATH, idempotent=True, safe=True)
            return _sources_withheld(parse_videos(data, call=f"GET {V2_VIDEOS_PATH}"))
        call = f"POST {GET_PATH}"
        data = await self._call("POST", GET_PATH, json={}, idempotent=True, safe=True)
        return _sources_withheld(parse_videos(data, call=call))

    async def get_videos(
        self, video_ids: Sequence[str], *, batch_size: int = 100
    ) -> list[RemoteVideo]:
        """The videos with these ids, asked for `batch_size` at a time (unknown ids are
        left out)."""
        found: list[RemoteVideo] = []
        for batch in batches(video_ids, batch_size):
            if self._api_version == "v2":
                data = await self._call(
                    "GET",
                    V2_VIDEOS_PATH,
                    params={"ids": batch},  # ?ids=a&ids=b
                    idempotent=True,
                    safe=True,
                )
                found += parse_videos(data, call=f"GET {V2_VIDEOS_PATH}")
                continue
            data = await self._call(
                "POST", GET_PATH, json={"video_ids": batch}, idempotent=True, safe=True
            )
            found += parse_videos(data, call=f"POST {GET_PATH}")
        return _sources_withheld(found)

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
        """Stream the file at `path` to the server as a new video.

        `filename` is the multipart filename, which the server keeps as
        `metadata.source`. `progress` gets the bytes sent so far (starting over at 0 if
        the upload is retried); `hasher` (e.g. `hashlib.sha256`) digests exactly the
        bytes of the attempt that succeeded, so the file is read once.

        v1 sends `index`, `thumbnails` and `start`; v2 has no such fields (features are
        triggered after the upload), so it ignores `index` and refuses the other two, and
        sends `description`, which v1 refuses. Never retried once the body may have
        arrived (see retry.py).
        """
        path_called, fields = self._upload_fields(
            name=name,
            index=index,
            thumbnails=thumbnails,
            start=start,
            group_id=group_id,
            description=description,
        )
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        try:
            file = path.open("rb")
        except OSError as exc:
            raise LocalFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
        with file:
            stream = UploadStream(file, progress=progress, hasher=hasher)
            # httpx wants an IO[bytes]; the stream offers the part of it httpx uses.
            files = {"file": (filename, cast(IO[bytes], stream), content_type)}
            data = await self._call(
                "POST", path_called, data=fields, files=files, idempotent=False, safe=False
            )
        result = parse_upload(data, call=f"POST {path_called}")
        return replace(result, size=stream.sent, digest=stream.hexdigest())

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
        """Ask the server to fetch `url` as a new video (kept as its `metadata.source`).

        A `SignedUrl` is sent whole (`full`). A URL whose query string was withheld (`?…`,
        as a saved plan holds it) cannot be sent: `QueryWithheld`, before any request.
        The fields are those of `upload_file`, for each version.
        """
        path_called, fields = self._upload_fields(
            name=name,
            index=index,
            thumbnails=thumbnails,
            start=start,
            group_id=group_id,
            description=description,
        )
        if isinstance(url, SignedUrl):
            url = url.full
        elif url.endswith("?…") and url_identity(url) == url:
            raise QueryWithheld(
                "not sent: the saved plan holds this URL without its query string (videosync "
                "keeps none anywhere), which the server needs to fetch it",
                call=f"POST {path_called}",
            )
        fields["video_url"] = url
        # multipart/form-data, the content type the OpenAPI description declares (as for
        # a file). httpx encodes multipart only when given files; a `(None, value)` file
        # is a plain field, without filename or content type.
        parts = {field: (None, value) for field, value in fields.items()}
        data = await self._call("POST", path_called, files=parts, idempotent=False, safe=False)
        return parse_upload(data, call=f"POST {path_called}")

    def _upload_fields(
        self,
        *,
        name: str | None,
        index: bool,
        thumbnails: bool,
        start: datetime | None,
        group_id: str | None,
        description: str | None,
    ) -> tuple[str, dict[str, str]]:
        """The upload route and form fields of this client's version."""
        if self._api_version == "v2":
            if start is not None or thumbnails:
                raise ValueError("API v2 takes no start timestamp and makes no thumbnails")
            return V2_VIDEOS_PATH, v2_upload_fields(
                name=name, group_id=group_id, description=description
            )
        if description is not None:
            raise ValueError("API v1 takes no description at upload (v2 does)")
        return UPLOAD_PATH, upload_fields(
            name=name, index=index, thumbnails=thumbnails, start=start, group_id=group_id
        )

    async def delete_videos(self, video_ids: Sequence[str], *, batch_size: int = 100) -> None:
        """Delete these videos.

        v1: `batch_size` ids per call, all or nothing per call (an unknown id: `NotFound`,
        none of its batch deleted). v2 deletes one video per call (it has no bulk delete),
        a few at a time: every known id is deleted, and then the first failure is raised
        (`NotFound` for an unknown id). Either way, a retry that finds nothing to delete
        after an attempt whose answer was lost counts as done once the videos are indeed
        gone.
        """
        if self._api_version == "v2":
            await self._each(self._delete_one, list(dict.fromkeys(video_ids)))
            return
        for batch in batches(video_ids, batch_size):

            async def batch_gone(batch: list[str] = batch) -> bool:
                return not await self.get_videos(batch)

            await self._call(
                "DELETE",
                DELETE_PATH,
                json={"video_ids": batch},
                idempotent=True,
                safe=False,
                expect_json=False,
                confirm_gone=batch_gone,
            )

    async def _delete_one(self, video_id: str) -> None:
        async def gone() -> bool:
            return not await self.get_videos([video_id])

        await self._call(
            "DELETE",
            video_path(video_id),
            idempotent=True,
            safe=False,
            expect_json=False,
            confirm_gone=gone,
        )

    async def move_videos(self, group_id: str, video_ids: Sequence[str]) -> None:
        """Move videos into `group_id` (`default`: out of any group), keeping their ids.

        v1: `POST /videos/groups/{group_id}/videos`, `default` included. v2: `POST
        /v2/video-groups/{group_id}/videos`; v2 has no `default` group, so those videos are
        each PATCHed with `"group_id": null`. A move is idempotent (the videos end in the
        group however often it is sent), so it is retried like a read.
        """
        ids = list(dict.fromkeys(video_ids))
        if self._api_version == "v2" and group_id == DEFAULT_GROUP:
            await self._each(self._ungroup_one, ids)
            return
        path = move_path(group_id, self._api_version)
        for batch in batches(ids, _MOVE_BATCH):
            await self._call("POST", path, json={"video_ids": batch}, idempotent=True, safe=False)

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
        """v2: change a video in place, keeping its id; the video as it is now.

        Only what is given is sent: None (and `UNCHANGED` for the group) leaves a field as
        it is; `group_id="default"` takes the video out of its group. Retried like a read:
        a PATCH sets absolute values, so sending it twice changes nothing more.
        """
        require_v2(self._api_version, "update_video")
        body = video_update_body(name=name, title=title, description=description, group_id=group_id)
        if not body:
            raise ValueError("update_video needs a field to change")
        path = video_path(video_id)
        data = await self._call("PATCH", path, json=body, idempotent=True, safe=False)
        return _sources_withheld([parse_video(data, call=f"PATCH {path}")])[0]

    # --- features (v2) -----------------------------------------------------------------

    async def feature_catalog(self) -> Mapping[str, tuple[str, ...]]:
        """v2: each feature the API can trigger, with the features it depends on."""
        require_v2(self._api_version, "feature_catalog")
        data = await self._call("GET", V2_FEATURES_PATH, idempotent=True, safe=True)
        return parse_feature_catalog(data, call=f"GET {V2_FEATURES_PATH}")

    async def plan_features(self, video_id: str, desired: Sequence[str]) -> FeaturePlan:
        """v2: where `video_id` stands on the way to the `desired` features (and their
        dependencies): what can start now, what runs, what is blocked, whether all is ready.

        A POST that changes nothing: retried like a read.
        """
        require_v2(self._api_version, "plan_features")
        path = feature_path(video_id, "plan")
        data = await self._call(
            "POST", path, json={"desired": list(desired)}, idempotent=True, safe=True
        )
        return parse_feature_plan(data, call=f"POST {path}")

    async def trigger_feature(self, video_id: str, feature: str, *, force: bool = False) -> str:
        """v2: start `feature` on `video_id`; the feature's status after the call.

        Its dependencies must be ready (else `InvalidRequest`, 409). Without `force` a
        feature already requested is not started again (its status comes back), so the call
        is idempotent and retried like a read. With `force` it runs again each time it is
        sent: a lost answer is not retried once the request may have arrived, as for an
        upload (`ConnectionFailed(ambiguous=True)`), since another attempt could start a
        second run.
        """
        require_v2(self._api_version, "trigger_feature")
        path = feature_path(video_id, feature)
        data = await self._call(
            "POST", path, json={"force": force}, idempotent=not force, safe=False
        )
        return parse_trigger(data, call=f"POST {path}")

    async def _each(self, call: Callable[[str], Awaitable[None]], video_ids: Sequence[str]) -> None:
        """`call` for each id, `_CONCURRENT_PER_VIDEO` at a time; each runs to its end,
        then the first failure (in the order of `video_ids`) is raised."""
        limit = asyncio.Semaphore(_CONCURRENT_PER_VIDEO)

        async def one(video_id: str) -> None:
            async with limit:
                await call(video_id)

        outcomes = await asyncio.gather(*(one(v) for v in video_ids), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    # --- groups ------------------------------------------------------------------------

    async def list_catalog(
        self,
    ) -> tuple[list[RemoteVideo], list[RemoteGroup], Mapping[str, tuple[str, ...]]]:
        """The videos, the groups and (v2) the feature catalog, asked for at once: a plan
        waits one round trip for the three, not one per call. `{}` for v1's features."""
        calls: list[Awaitable[Any]] = [self.list_videos(), self.list_groups()]
        if self._api_version == "v2":
            calls.append(self.feature_catalog())
        tasks = [asyncio.ensure_future(call) for call in calls]
        try:
            done = await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:  # the first failure is the answer; the others are not awaited
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return done[0], done[1], done[2] if len(done) > 2 else {}

    async def list_groups(self) -> list[RemoteGroup]:
        """Every video group of this key."""
        path = groups_path(self._api_version)
        data = await self._call("GET", path, idempotent=True, safe=True)
        return parse_groups(data, call=f"GET {path}")

    async def create_group(
        self, name: str, metadata: Mapping[str, Any] | None = None
    ) -> RemoteGroup:
        """Create a group. Not retried once the request may have arrived (see retry.py)."""
        body: dict[str, Any] = {"name": name}
        if metadata is not None:
            body["metadata"] = dict(metadata)
        path = groups_path(self._api_version)
        data = await self._call("POST", path, json=body, idempotent=False, safe=False)
        return parse_group(data, call=f"POST {path}")

    async def get_group(self, group_id: str) -> RemoteGroup:
        """One group by id."""
        path = group_path(group_id, self._api_version)
        data = await self._call("GET", path, idempotent=True, safe=True)
        return parse_group(data, call=f"GET {path}")

    async def update_group(
        self, group_id: str, *, name: str | None = None, metadata: Mapping[str, Any] | None = None
    ) -> RemoteGroup:
        """Change a group's name and/or metadata in place."""
        if name is None and metadata is None:
            raise ValueError("update_group needs a name or metadata to change")
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if metadata is not None:
            body["metadata"] = dict(metadata)
        path = group_path(group_id, self._api_version)
        data = await self._call("PATCH", path, json=body, idempotent=True, safe=False)
        return parse_group(data, call=f"PATCH {path}")

    async def delete_group(self, group_id: str) -> None:
        """Delete a group. v1 refuses (409, InvalidRequest) while videos are in it; v2
        deletes it and its videos stay, in no group."""
        path = group_path(group_id, self._api_version)

        async def group_gone() -> bool:
            try:
                await self.get_group(group_id)
            except NotFound:
                return True
            return False

        await self._call(
            "DELETE", path, idempotent=True, safe=False, expect_json=False, confirm_gone=group_gone
        )

    # --- version detection -------------------------------------------------------------

    async def probe_v2(self) -> bool:
        """Whether the server serves API v2: one `GET /v2/video-groups` (any client version).

        True for a 2xx answer, False for a 404 or 405; any other failure is raised as from
        any call (`AuthError` for a wrong key), after the usual retries.
        """
        try:
            await self._call("GET", PROBE_PATH, idempotent=True, safe=True, expect_json=False)
        except (NotFound, InvalidRequest) as exc:
            if exc.status in NOT_SERVED_STATUSES:
                return False
            raise
        return True

    # --- one call, with retries --------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Sequence[str]] | None = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, Any] | None = None,
        idempotent: bool,
        safe: bool,
        expect_json: bool = True,
        confirm_gone: Callable[[], Awaitable[bool]] | None = None,
    ) -> Any:
        """Send one API call, retried per `self.retry`; the parsed JSON answer.

        `safe`: the call changes nothing (a read). `idempotent`: sending it twice has the
        effect of sending it once, so it may be retried even when an earlier attempt may
        have reached the server.
        """
        call = f"{method} {path}"
        maybe_applied = False  # some attempt's request may have reached the server

        async def attempt() -> Any:
            nonlocal maybe_applied
            events: list[str] = []

            async def trace(event: str, info: Mapping[str, Any]) -> None:
                events.append(event)

            request = self._http.build_request(
                method,
                path,
                params=params,
                json=json,
                data=data,
                files=files,
                extensions={"trace": trace},
            )
            started = time.perf_counter()
            try:
                response = await self._http.send(request)
            except httpx.DecodingError as exc:
                self._log(method, path, "undecodable body", started)
                raise MalformedResponse(
                    f"the answer could not be decoded: {exc}", call=call
                ) from exc
            except httpx.HTTPError as exc:
                reached = _may_have_reached_server(exc, events)
                maybe_applied = maybe_applied or reached
                self._log(method, path, f"{type(exc).__name__}", started)
                if isinstance(exc, httpx.ConnectError):
                    why, check = _connect_failure(exc, self._host)
                    if check is not None:  # the URL is wrong: no retry can make it right
                        raise BadEndpoint(
                            f"could not connect: {self._scrub(why)}", call=call, hint=check
                        ) from exc
                # THE AMBIGUOUS CASE. The body was sent in full (httpcore traced
                # `send_request_body.complete`) and no answer came: the server may have
                # acted on it. For a call that changes something it is reported as
                # ConnectionFailed(ambiguous=True); retry.py does not send a
                # non-idempotent call (an upload, a group creation) again after it.
                failed = ConnectionFailed(
                    self._scrub(_describe(exc, self._timeout, events, self._host)),
                    call=call,
                    ambiguous=maybe_applied and not safe,
                )
                if not failed.ambiguous and _cut_off_while_sending(events):
                    # A server that refuses a large request closes the connection without
                    # reading the rest, and over asyncio its answer (a 401, a 413) is lost
                    # with it: "check the network" alone would send a wrong key astray.
                    failed.hint = _CUT_OFF_HINT
                raise failed from exc
            self._log(method, path, str(response.status_code), started)
            status = response.status_code
            content_type = response.headers.get("content-type", "")
            # Whatever the server says may end up in an exception message: if it echoes
            # the key (a careless proxy, a debug page), the key goes no further.
            body = response.content.replace(self._api_key.encode(), b"<api key>")
            if 200 <= status < 300:
                return (
                    parse_json(body, content_type, status=status, call=call)
                    if expect_json
                    else None
                )
            # An earlier attempt's answer was lost and this one finds nothing to delete:
            # if what it was to delete is indeed gone, that attempt did it. (Checked, not
            # assumed: the earlier attempt may have had no effect and this 404 may name
            # an id that never existed.)
            if status == 404 and maybe_applied and confirm_gone and await confirm_gone():
                return None
            raise error_for_status(
                status,
                body,
                content_type,
                call=call,
                request_id=response.headers.get("x-request-id"),
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )

        return await call_with_retries(
            self.retry, attempt, idempotent=idempotent, on_retry=self._announce_retry
        )

    def _announce_retry(self, notice: RetryNotice) -> None:
        """Say at the first retry of a run what is retried and for how long at most (the
        default verbosity shows warnings); later retries are only logged (`-v`)."""
        if self._retry_announced:
            return
        self._retry_announced = True
        exc = notice.error
        url = self.base_url + exc.call.partition(" ")[2]
        if isinstance(exc, ConnectionFailed) and exc.message.startswith("could not connect"):
            what = (
                f"cannot reach {self.base_url}: {exc.message.removeprefix('could not connect: ')}"
            )
        elif isinstance(exc, ConnectionFailed):  # connected, then no answer
            what = f"{url} failed: {exc.message}"
        else:
            what = f"{url} answered HTTP {exc.status}: {exc.message}"
        logger.warning(
            "%s; retrying for up to %d s (attempt %d of %d)",
            what,
            math.ceil(notice.within),
            notice.attempt,
            notice.attempts,
        )

    def _log(self, method: str, path: str, outcome: str, started: float) -> None:
        ms = (time.perf_counter() - started) * 1000
        logger.debug("%s %s %s %.0f ms", method, path, outcome, ms)

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key, "<api key>")


def _sources_withheld(videos: list[RemoteVideo]) -> list[RemoteVideo]:
    """The videos with each URL source's query string withheld, as videosync keys URLs."""
    withheld = []
    for video in videos:
        source = url_identity(video.source) if video.source is not None else None
        withheld.append(video if source == video.source else replace(video, source=source))
    return withheld


def _may_have_reached_server(exc: httpx.HTTPError, events: Sequence[str]) -> bool:
    """Whether the whole request may have reached the server before `exc`."""
    if events:  # httpcore traced this attempt: trust its account of what was written
        return any(e.endswith("send_request_body.complete") for e in events)
    # A transport without tracing (a test double, a proxy transport): judge by the kind
    # of failure. Failing to connect or to write means the request did not get through.
    return not isinstance(
        exc,
        (
            httpx.ConnectError,
            httpx.ConnectTimeout,
            httpx.PoolTimeout,
            httpx.WriteError,
            httpx.WriteTimeout,
            httpx.UnsupportedProtocol,
        ),
    )


if TYPE_CHECKING:
    # mypy checks here that the client offers every call the applier makes of it.
    from videosync.api.protocol import CatalogApi

    _implements: type[CatalogApi] = VisionClient
