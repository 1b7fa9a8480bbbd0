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

from videosync.api.responses import FeaturePlan, UploadResult
from videosync.api.uploadstream import Hasher
from videosync.model import ApiVersion, RemoteGroup, RemoteVideo

__all__ = ["UNCHANGED", "CatalogApi", "Unchanged"]


class Unchanged:
    """The type of `UNCHANGED`: a PATCH field left out (None there means "no group")."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = Unchanged()


class CatalogApi(Protocol):
    """The video and group calls of the Vision API that apply and `--wait` use.

    `api_version` says which version the calls speak. Under v1, `update_video`,
    `feature_catalog`, `plan_features` and `trigger_feature` are not available (the
    planner never asks for them there); `upload_*`'s `description` is v2's, and `start`,
    `index` and `thumbnails` are v1's (v2 has no such fields: the planner refuses them).
    """

    @property
    def api_version(self) -> ApiVersion: ...

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
        description: str | None = None,
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
        description: str | None = None,
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

    async def move_videos(self, group_id: str, video_ids: Sequence[str]) -> None:
        """Move videos into `group_id` (`default`: out of any group), keeping their ids."""
        ...

    async def update_video(
        self,
        video_id: str,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        group_id: str | Unchanged = UNCHANGED,
    ) -> RemoteVideo:
        """v2: change a video in place; None (and UNCHANGED for the group) leaves a field,
        `group_id="default"` takes it out of its group."""
        ...

    async def feature_catalog(self) -> Mapping[str, tuple[str, ...]]:
        """v2: each feature the API can trigger, with the features it depends on."""
        ...

    async def plan_features(self, video_id: str, desired: Sequence[str]) -> FeaturePlan:
        """v2: what can start now towards `desired` on this video."""
        ...

    async def trigger_feature(self, video_id: str, feature: str, *, force: bool = False) -> str:
        """v2: start `feature` (again, with `force`); the feature's status after the call."""
        ...
