"""`SyncVisionClient`: the blocking twin of `VisionClient`, for code that is not async.

`plan`, `status` and `import` make a handful of calls one after the other; they use this,
which runs a `VisionClient` on a private event loop and offers the same methods, each
returning its result. The second module of the package that imports httpx (for the
`transport` argument it passes through), beside `client.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx

from videosync.api.client import VisionClient
from videosync.api.retry import RetryPolicy
from videosync.api.versions import ApiVersionChoice
from videosync.model import ApiVersion
from videosync.version import __version__

__all__ = ["SyncVisionClient"]

_T = TypeVar("_T")
_P = ParamSpec("_P")


def _blocking(
    call: Callable[Concatenate[VisionClient, _P], Coroutine[Any, Any, _T]],
) -> Callable[Concatenate[SyncVisionClient, _P], _T]:
    """`VisionClient.call` as a method of `SyncVisionClient`, with the same signature."""

    def method(self: SyncVisionClient, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        return self._run(call(self._client, *args, **kwargs))

    method.__name__, method.__qualname__ = call.__name__, f"SyncVisionClient.{call.__name__}"
    method.__doc__ = call.__doc__
    return method


class SyncVisionClient:
    """`VisionClient`'s calls, one at a time, for code that is not async (plan, status).

    Takes the same arguments and offers the same methods, each returning its result
    directly. Runs the async client on a private event loop, so it must not be used from
    inside a running event loop; close it (or use `with`) when done.

    `api_version="auto"` asks the server here, in the constructor (one `probe_v2` call, as
    `VisionClient.open` does), and speaks v2 if it is served, else v1.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        api_version: ApiVersionChoice = "v1",
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str = f"videosync/{__version__}",
    ) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._client = self._run(
                VisionClient.open(
                    base_url,
                    api_key,
                    api_version=api_version,
                    timeout=timeout,
                    retry=retry,
                    transport=transport,
                    user_agent=user_agent,
                )
            )
        except BaseException:
            self._loop.close()
            raise

    def __repr__(self) -> str:
        return (
            f"SyncVisionClient(base_url={self._client.base_url!r}, "
            f"api_version={self._client.api_version!r})"
        )

    @property
    def base_url(self) -> str:
        return self._client.base_url

    @property
    def api_version(self) -> ApiVersion:
        """The API version every call of this client speaks."""
        return self._client.api_version

    def _run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        return self._loop.run_until_complete(coro)

    def __enter__(self) -> SyncVisionClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool and the private loop."""
        if not self._loop.is_closed():
            self._run(self._client.aclose())
            self._loop.close()

    list_videos = _blocking(VisionClient.list_videos)
    get_videos = _blocking(VisionClient.get_videos)
    upload_file = _blocking(VisionClient.upload_file)
    upload_url = _blocking(VisionClient.upload_url)
    delete_videos = _blocking(VisionClient.delete_videos)
    list_groups = _blocking(VisionClient.list_groups)
    list_catalog = _blocking(VisionClient.list_catalog)
    create_group = _blocking(VisionClient.create_group)
    get_group = _blocking(VisionClient.get_group)
    update_group = _blocking(VisionClient.update_group)
    delete_group = _blocking(VisionClient.delete_group)
    move_videos = _blocking(VisionClient.move_videos)
    update_video = _blocking(VisionClient.update_video)
    feature_catalog = _blocking(VisionClient.feature_catalog)
    plan_features = _blocking(VisionClient.plan_features)
    trigger_feature = _blocking(VisionClient.trigger_feature)
    probe_v2 = _blocking(VisionClient.probe_v2)
