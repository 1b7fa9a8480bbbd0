"""`video_url` uploads: downloaded in the background, then stored like an uploaded file.

The download has a time limit (`fetch_timeout`, in all) and the upload size limit, and
connects only where the `DestinationPolicy` allows (each redirect checked again). An
unreachable or refused URL, an HTTP error or a file that is not a decodable video ends the
video in `failed`; the reason is logged (the Video object has no field for it) and kept in
the store.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path

import anyio
import anyio.to_thread
import httpx

from videosync.emulator.destinations import DestinationPolicy, RefusedUrl, guarded_client
from videosync.emulator.media import NotAVideo, probe
from videosync.emulator.store import Store

__all__ = ["Fetcher"]

logger = logging.getLogger("videosync.emulator")

MAX_REDIRECTS = 10


class FetchFailed(Exception):
    """The URL could not be downloaded; the message says why."""


@asynccontextmanager
async def _followed(
    client: httpx.AsyncClient, policy: DestinationPolicy, url: str
) -> AsyncIterator[httpx.Response]:
    """The streamed response at the end of `url`'s redirects, each of them checked.

    A redirect's body is never read (httpx's own following reads it whole).
    """
    request = client.build_request("GET", url)
    for _ in range(MAX_REDIRECTS + 1):
        policy.check_url(request.url)
        response = await client.send(request, stream=True)
        if response.next_request is None:
            try:
                yield response
            finally:
                await response.aclose()
            return
        await response.aclose()
        request = response.next_request
    raise FetchFailed(f"{url} redirects more than {MAX_REDIRECTS} times")


async def _download(
    policy: DestinationPolicy, url: str, dest: Path, max_bytes: int, timeout: float
) -> int:
    size = 0
    try:
        with anyio.fail_after(timeout):
            async with (
                guarded_client(policy, timeout) as client,
                _followed(client, policy, url) as response,
            ):
                if response.status_code != 200:
                    raise FetchFailed(f"GET {url} answered HTTP {response.status_code}")
                with dest.open("wb") as out:
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise FetchFailed(f"{url} is larger than {max_bytes} bytes")
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
    except TimeoutError:
        raise FetchFailed(f"downloading {url} took longer than {timeout:g} s") from None
    except RefusedUrl as exc:
        raise FetchFailed(f"refused to download {url}: {exc}") from None
    except httpx.HTTPError as exc:
        raise FetchFailed(f"cannot download {url}: {exc or type(exc).__name__}") from exc
    return size


class Fetcher:
    """Runs one background task per `video_url` upload in the server's event loop."""

    def __init__(
        self, store: Store, max_bytes: int, timeout: float, policy: DestinationPolicy
    ) -> None:
        self._store = store
        self._policy = policy
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._tasks: set[asyncio.Task[None]] = set()

    async def vet(self, url: str) -> None:
        """Raise `RefusedUrl` for a URL that would never be fetched (see `destinations`)."""
        await self._policy.vet(url)

    def start(self, video_id: str, url: str) -> None:
        task = asyncio.get_running_loop().create_task(self._fetch(video_id, url))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait(self) -> None:
        """Wait for every download in flight (tests and the demo use it)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel(self) -> None:
        """Stop every download; the store marks them failed on the next start."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _fail(self, video_id: str, reason: str) -> None:
        logger.warning("video %s failed: %s", video_id, reason)
        self._store.finish_video(video_id, ready_at=time.time(), error=reason)

    async def _fetch(self, video_id: str, url: str) -> None:
        temp = self._store.temp_path()
        try:
            try:
                size = await _download(self._policy, url, temp, self._max_bytes, self._timeout)
                info = await anyio.to_thread.run_sync(probe, temp)
            except (FetchFailed, NotAVideo) as exc:
                self._fail(video_id, str(exc))
                return
            except Exception as exc:  # whatever else went wrong, the video must not hang
                self._fail(video_id, f"cannot download {url}: {type(exc).__name__}: {exc}")
                return
            await anyio.to_thread.run_sync(self._store.commit_file, temp, video_id)
            if not self._store.finish_video(
                video_id, ready_at=time.time(), size=size, **asdict(info)
            ):
                # Deleted while downloading: drop the file we just put in place.
                self._store.file_path(video_id).unlink(missing_ok=True)
        finally:
            temp.unlink(missing_ok=True)
