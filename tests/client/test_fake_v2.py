"""`FakeCatalog(api_version="v2")` answers as the emulator's v2 does, call for call.

The applier's tests run against the fake: one script of v2 calls runs against both here,
and what a caller can see (the videos' fields, statuses, features, errors) must agree.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from testing.fakeapi import FakeCatalog
from tests.conftest import API_KEY
from videosync.api.client import VisionClient
from videosync.api.protocol import CatalogApi
from videosync.emulator import RunningEmulator
from videosync.errors import ApiError
from videosync.model import DEFAULT_GROUP, RemoteVideo


def _seen(video: RemoteVideo) -> tuple[Any, ...]:
    return (
        video.name,
        video.title,
        video.description,
        video.status,
        video.indexing_status,
        dict(video.features or {}),
    )


async def _script(api: CatalogApi, media: Path) -> list[Any]:
    """v2 calls a run makes, and what each showed (ids and group ids left out)."""
    seen: list[Any] = [api.api_version]

    async def attempt(call: Any) -> Any:
        try:
            return await call
        except ApiError as exc:
            return (type(exc).__name__, exc.status)

    group = await api.create_group("Fake or not")
    video_id = (await api.upload_file(media, name="Clip", filename="media/clip.mp4")).video_id
    seen.append(_seen((await api.get_videos([video_id]))[0]))
    seen.append(_seen(await api.update_video(video_id, name="Renamed")))
    seen.append(_seen(await api.update_video(video_id, title="Title", description="")))
    seen.append(_seen(await api.update_video(video_id, name="Again")))
    moved = await api.update_video(video_id, group_id=group.group_id)
    seen.append(moved.group_id == group.group_id)
    await api.move_videos(DEFAULT_GROUP, [video_id])
    await api.move_videos(group.group_id, [video_id])
    await api.delete_group(group.group_id)  # v2: the video stays, in no group
    seen.append([v.group_id for v in await api.get_videos([video_id])])
    seen.append(await attempt(api.update_video(video_id, name=" ")))
    seen.append(await api.feature_catalog())
    seen.append(await api.plan_features(video_id, ["embeddings", "objects"]))
    seen.append(await attempt(api.trigger_feature(video_id, "captions")))
    seen.append(await api.trigger_feature(video_id, "transcript"))
    seen.append(await api.trigger_feature(video_id, "objects"))
    seen.append(await api.plan_features(video_id, ["embeddings", "objects"]))
    seen.append(_seen((await api.list_videos())[0]))
    unknown = "00000000-0000-4000-8000-000000000000"
    seen.append(await attempt(api.delete_videos([video_id, unknown])))
    seen.append(await api.list_videos())
    return seen


def test_the_fake_and_the_emulator_agree_on_a_v2_run(
    emulator: RunningEmulator, sample_video: Path
) -> None:
    async def on_emulator() -> list[Any]:
        async with VisionClient(emulator.url, API_KEY, api_version="v2") as client:
            return await _script(client, sample_video)

    fake = FakeCatalog(api_version="v2")
    assert asyncio.run(_script(fake, sample_video)) == asyncio.run(on_emulator())
    assert fake.videos == {}
