"""Every client call against the real emulator over loopback, with injected faults.

Each retry rule is proven on the wire: the emulator injects the fault, the client's log
has one line per request it sent, and the emulator's state shows what took effect.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.client.conftest import request_lines
from tests.client.scenarios import serve_files
from tests.conftest import API_KEY
from videosync.api.client import VisionClient
from videosync.api.retry import RetryPolicy
from videosync.api.sync import SyncVisionClient
from videosync.emulator import EmulatorConfig, RunningEmulator, start_emulator
from videosync.emulator.faults import FaultInjector, FaultSettings
from videosync.errors import (
    ApiError,
    AuthError,
    ConnectionFailed,
    InvalidRequest,
    NotFound,
    RateLimited,
    ServerError,
)

LIVE = RetryPolicy(attempts=3, deadline=30.0, initial=0.01, maximum=0.05, jitter=0.0)


@pytest.fixture
def client(emulator: RunningEmulator) -> Iterator[SyncVisionClient]:
    with SyncVisionClient(emulator.url, API_KEY, retry=LIVE) as client:
        yield client


@pytest.fixture
def file_server(sample_videos: list[Path]) -> Iterator[str]:
    """An HTTP server on loopback serving the sample videos (for `video_url` uploads)."""
    with serve_files(sample_videos[0].parent) as url:
        yield url


def seed_for(pattern: list[bool], kind: str) -> int:
    """A seed whose first draws at fault_rate 0.5 fault (True) or not exactly as `pattern`."""
    for seed in range(10_000):
        injector = FaultInjector(FaultSettings(fault_rate=0.5, kinds=(kind,)), seed)
        if [injector.draw()[1] is not None for _ in pattern] == pattern:
            return seed
    raise AssertionError(f"no seed gives {pattern}")


def test_every_call_round_trips(
    client: SyncVisionClient,
    emulator: RunningEmulator,
    sample_videos: list[Path],
    file_server: str,
    client_log: pytest.LogCaptureFixture,
) -> None:
    group = client.create_group("Marketing", {"campaign": "launch"})
    start = datetime(2025, 4, 12, 19, 5, 45, tzinfo=timezone.utc)
    uploaded = client.upload_file(
        sample_videos[0],
        name="Intro",
        filename="media/intro.mp4",
        start=start,
        group_id=group.group_id,
    )
    url = f"{file_server}/{sample_videos[1].name}"
    fetched = client.upload_url(url, name=None)
    emulator.wait_for_downloads()

    videos = {v.video_id: v for v in client.list_videos()}
    assert set(videos) == {uploaded.video_id, fetched.video_id}
    intro = videos[uploaded.video_id]
    assert (intro.name, intro.group_id, intro.source, intro.start_ms) == (
        "Intro",
        group.group_id,
        "media/intro.mp4",
        int(start.timestamp() * 1000),
    )
    assert (intro.width, intro.height) == (160, 120)
    assert videos[fetched.video_id].source == url
    assert videos[fetched.video_id].group_id == "default"

    assert [v.video_id for v in client.get_videos([uploaded.video_id], batch_size=1)] == [
        uploaded.video_id
    ]
    assert client.list_groups() == [group]
    assert client.get_group(group.group_id) == group
    renamed = client.update_group(group.group_id, name="Clips", metadata={"campaign": "v2"})
    assert (renamed.name, renamed.metadata) == ("Clips", {"campaign": "v2"})

    with pytest.raises(InvalidRequest) as refused:
        client.delete_group(group.group_id)
    assert refused.value.status == 409

    client.delete_videos([uploaded.video_id, fetched.video_id])
    client.delete_group(group.group_id)
    assert client.list_videos() == []
    assert client.list_groups() == []
    assert API_KEY not in client_log.text


def test_progress_reaches_the_file_size_and_digest_is_the_files_sha256(
    client: SyncVisionClient, sample_video: Path
) -> None:
    seen: list[int] = []

    result = client.upload_file(
        sample_video, name="S", filename="s.mp4", progress=seen.append, hasher=hashlib.sha256
    )

    size = sample_video.stat().st_size
    assert seen[-1] == size == result.size
    assert seen == sorted(seen)
    assert result.digest == hashlib.sha256(sample_video.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", ["429", "500", "503", "drop"])
def test_injected_fault_is_retried_until_the_call_passes(
    client: SyncVisionClient,
    emulator: RunningEmulator,
    kind: str,
    client_log: pytest.LogCaptureFixture,
) -> None:
    emulator.set_faults(fault_rate=0.5, seed=seed_for([True, True, False], kind), kinds=(kind,))

    assert client.list_videos() == []

    assert len(request_lines(client_log, "POST", "/videos/get")) == 3


@pytest.mark.parametrize(
    ("kind", "error"),
    [("429", RateLimited), ("500", ServerError), ("503", ServerError), ("drop", ConnectionFailed)],
)
def test_fault_that_persists_fails_after_every_attempt(
    client: SyncVisionClient,
    emulator: RunningEmulator,
    kind: str,
    error: type[ApiError],
    client_log: pytest.LogCaptureFixture,
) -> None:
    emulator.set_faults(fault_rate=1.0, kinds=(kind,))

    with pytest.raises(error) as caught:
        client.list_groups()

    assert caught.value.attempts == 3
    assert len(request_lines(client_log, "GET", "/videos/groups")) == 3
    assert "(after 3 attempts)" in str(caught.value)


def test_upload_whose_answer_is_dropped_is_ambiguous_and_stored_once(
    client: SyncVisionClient,
    emulator: RunningEmulator,
    sample_video: Path,
    client_log: pytest.LogCaptureFixture,
) -> None:
    emulator.set_faults(fault_rate=1.0, kinds=("drop_after_body",))

    with pytest.raises(ConnectionFailed) as caught:
        client.upload_file(sample_video, name="Once", filename="media/once.mp4")

    assert caught.value.ambiguous is True
    assert len(request_lines(client_log, "POST", "/videos/upload")) == 1
    emulator.set_faults(fault_rate=0.0)
    # The server did store it: the caller can find it by its key and adopt it.
    assert [(v.name, v.source) for v in client.list_videos()] == [("Once", "media/once.mp4")]


def test_upload_dropped_before_its_body_was_sent_is_sent_again(
    client: SyncVisionClient,
    emulator: RunningEmulator,
    tmp_path: Path,
    client_log: pytest.LogCaptureFixture,
) -> None:
    # The emulator drops the connection before reading the body; a body larger than the
    # socket buffers cannot all be written, so the client knows it did not arrive.
    big = tmp_path / "big.mp4"
    big.write_bytes(b"\0" * (32 * 1024 * 1024))
    emulator.set_faults(fault_rate=1.0, kinds=("drop",))

    with pytest.raises(ConnectionFailed) as caught:
        client.upload_file(big, name="Drop", filename="media/drop.mp4")

    assert caught.value.ambiguous is False
    assert caught.value.message == "the connection broke while sending the request"
    assert len(request_lines(client_log, "POST", "/videos/upload")) == 3
    emulator.set_faults(fault_rate=0.0)
    assert client.list_videos() == []


def test_delete_whose_answer_is_dropped_is_retried_and_confirmed(
    client: SyncVisionClient,
    emulator: RunningEmulator,
    sample_video: Path,
    client_log: pytest.LogCaptureFixture,
) -> None:
    video = client.upload_file(sample_video, name="D", filename="d.mp4")
    emulator.set_faults(
        fault_rate=0.5,
        seed=seed_for([True, False, False], "drop_after_body"),
        kinds=("drop_after_body",),
    )

    client.delete_videos([video.video_id])

    assert len(request_lines(client_log, "DELETE", "/videos/delete")) == 2
    emulator.set_faults(fault_rate=0.0)
    assert client.list_videos() == []


def test_client_errors_are_not_retried(
    client: SyncVisionClient,
    emulator: RunningEmulator,
    sample_video: Path,
    client_log: pytest.LogCaptureFixture,
) -> None:
    with (
        SyncVisionClient(emulator.url, "wrong-key", retry=LIVE) as stranger,
        pytest.raises(AuthError) as unauthorised,
    ):
        stranger.list_videos()
    with pytest.raises(NotFound) as missing:
        client.get_group("no-such-group")
    with pytest.raises(InvalidRequest) as invalid:
        client.upload_url("ftp://example.com/a.mp4", name="A")
    with pytest.raises(NotFound):
        client.delete_videos(["no-such-video"])

    assert [e.value.status for e in (unauthorised, missing, invalid)] == [401, 404, 422]
    assert str(unauthorised.value) == (
        "POST /videos/get: HTTP 401: Invalid API key "
        "(check REKA_API_KEY, or use --api-url local for the embedded emulator)"
    )
    assert len(request_lines(client_log, "POST", "/videos/get")) == 1
    assert len(request_lines(client_log, "GET", "/videos/groups/no-such-group")) == 1
    assert len(request_lines(client_log, "POST", "/videos/upload")) == 1
    assert len(request_lines(client_log, "DELETE", "/videos/delete")) == 1


def test_retry_after_from_the_server_is_waited_for(
    tmp_path: Path, client_log: pytest.LogCaptureFixture
) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "data", api_keys=(API_KEY,), retry_after=1)
    policy = RetryPolicy(attempts=3, initial=0.01, maximum=5.0, jitter=0.0)
    with (
        start_emulator(config) as emulator,
        SyncVisionClient(emulator.url, API_KEY, retry=policy) as client,
    ):
        emulator.set_faults(fault_rate=0.5, seed=seed_for([True, False], "429"), kinds=("429",))

        assert client.list_groups() == []

    assert "retry 1 in 1.00 s: GET /videos/groups failed" in client_log.text


def test_connection_refused_is_retried_then_reported(client_log: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with (
        SyncVisionClient(f"http://127.0.0.1:{port}", API_KEY, retry=LIVE) as client,
        pytest.raises(ConnectionFailed) as caught,
    ):
        client.create_group("G")

    assert caught.value.ambiguous is False
    assert caught.value.attempts == 3
    assert str(caught.value).startswith("POST /videos/groups: could not connect: ")


def test_async_client_keeps_many_uploads_in_flight_on_one_pool(
    emulator: RunningEmulator, sample_videos: list[Path]
) -> None:
    async def upload_all() -> list[str]:
        async with VisionClient(emulator.url, API_KEY, retry=LIVE) as client:
            results = await asyncio.gather(
                *(
                    client.upload_file(path, name=f"clip {n}", filename=f"clips/{n}.mp4")
                    for n, path in enumerate(sample_videos * 3)
                )
            )
            return [r.video_id for r in results]

    ids = asyncio.run(upload_all())

    with SyncVisionClient(emulator.url, API_KEY) as client:
        listed = {v.video_id: v.source for v in client.list_videos()}
    assert len(set(ids)) == 9
    assert listed == {video_id: f"clips/{n}.mp4" for n, video_id in enumerate(ids)}
