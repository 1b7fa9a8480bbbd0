"""The calls the applier makes of a video catalog, as a `Protocol`: the seam for tests.

`VisionClient` (the HTTP client) is the one implementation videosync ships; a test can pass
anything else with these methods (`testing/fakeapi.py` keeps a catalog in memory), so the
real `Applier` runs against it unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from videosync.api.responses import UploadResult
from videosync.api.uploadstream import Hasher
from videosync.model import RemoteGroup, RemoteVideo

__all__ = ["CatalogApi"]


class CatalogApi(Protocol):
    """The video and group calls of the Vision API that apply and `--wait` use."""

    async def list_videos(self) -> list[RemoteVideo]: ...

    async def get_videos(
        self, video_ids: Sequence[str], *, batch_size: int = 100
    ) -> list[RemoteVideo]: ...

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
    ) -> UploadResult: ...

    async def upload_url(
        self,
        url: str,
        *,
        name: str | None,
        index: bool = True,
        thumbnails: bool = False,
        start: datetime | None = None,
        group_id: str | None = None,
    ) -> UploadResult: ...

    async def delete_videos(self, video_ids: Sequence[str], *, batch_size: int = 100) -> None: ...

    async def list_groups(self) -> list[RemoteGroup]: ...

    async def create_group(
        self, name: str, metadata: Mapping[str, Any] | None = None
    ) -> RemoteGroup: ...

    async def update_group(
        self, group_id: str, *, name: str | None = None, metadata: Mapping[str, Any] | None = None
    ) -> RemoteGroup: ...

    async def delete_group(self, group_id: str) -> None: ...
