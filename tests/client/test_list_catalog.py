"""A plan lists the catalog in one round trip: videos, groups and (v2) the feature catalog
are asked for at once, against the real emulator over loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.conftest import API_KEY
from videosync.api.client import VisionClient
from videosync.emulator import RunningEmulator
from videosync.errors import AuthError
from videosync.model import ApiVersion


class _InFlight(httpx.AsyncBaseTransport):
    """The real transport, counting how many requests are open at once."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.now = 0
        self.most = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(0.05)  # long enough for the other calls to start meanwhile
            return await self._inner.handle_async_request(request)
        finally:
            self.now -= 1

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.mark.parametrize(("version", "calls"), [("v1", 2), ("v2", 3)])
def test_the_catalog_is_listed_in_one_round_trip(
    version: ApiVersion,
    calls: int,
    emulator: RunningEmulator,
    sample_videos: list[Path],
) -> None:
    async def scenario() -> None:
        counted = _InFlight()
        async with VisionClient(
            emulator.url, API_KEY, api_version=version, transport=counted
        ) as client:
            group = await client.create_group("Launch")
            await client.upload_file(sample_videos[0], name="Intro", filename="intro.mp4")
            counted.most = 0

            videos, groups, features = await client.list_catalog()

            assert counted.most == calls  # all at once
            assert [v.name for v in videos] == ["Intro"]
            assert group.group_id in {g.group_id for g in groups}
            if version == "v2":
                assert features == await client.feature_catalog()
                assert "captions" in features
            else:
                assert features == {}

    asyncio.run(scenario())


def test_a_failing_listing_fails_the_catalog_and_leaves_no_call_running(
    emulator: RunningEmulator,
) -> None:
    async def scenario() -> None:
        async with VisionClient(emulator.url, "not-the-key") as client:
            with pytest.raises(AuthError):
                await client.list_catalog()
            running = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            assert running == []

    asyncio.run(scenario())
