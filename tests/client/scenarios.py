"""The client's calls and error classes as recordable scenarios, one cassette each.

`scripts/record_cassettes.py` runs every scenario against the emulator (or, for a
maintainer with a key, the real service) with vcrpy recording; `test_cassettes.py`
replays them offline with `record_mode="none"`. Each scenario asserts what it expects,
so the same code checks the live server when recording and the cassette when replaying.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import vcr

from tests.conftest import API_KEY
from videosync.api.retry import RetryPolicy
from videosync.api.routes import UPLOAD_PATH, V2_VIDEOS_PATH
from videosync.api.sync import SyncVisionClient
from videosync.emulator.faults import FaultInjector, FaultSettings
from videosync.errors import AuthError, InvalidRequest, NotFound, RateLimited, ServerError
from videosync.model import DEFAULT_GROUP

API_PATH_PREFIXES = ("/videos", "/v2/")
"""Where the API's calls go (v1's un-prefixed paths, v2's); nothing else is recorded."""

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"

REPLAY_URL = "http://127.0.0.1:9"
"""Where replayed clients point: vcrpy answers before any connection (port 9 discards)."""

POLICY = RetryPolicy(attempts=3, deadline=60.0, initial=0.001, maximum=0.01, jitter=0.0)
"""Recorded and replayed with the same policy, so both make the same number of requests."""

UPLOAD_PLACEHOLDER = b"<file upload body omitted from the cassette>"

SENSITIVE_HEADERS = ("x-api-key", "authorization")

NO_SUCH_GROUP = "00000000-0000-4000-8000-000000000000"


def _blank_file_uploads(request: Any) -> Any:
    """Cassettes keep no video bytes: a file upload's body becomes a placeholder.

    Requests that are not API calls (the in-process emulator fetching a `video_url`
    with httpx) are not recorded at all.
    """
    if not request.path.startswith(API_PATH_PREFIXES):
        return None
    body = request.body or b""
    if request.path.endswith((UPLOAD_PATH, V2_VIDEOS_PATH)) and b'filename="' in body:
        request.body = UPLOAD_PLACEHOLDER
    return request


def cassette_vcr(record_mode: str, directory: Path = CASSETTES) -> vcr.VCR:
    """The one vcrpy configuration, for recording and for replay."""
    return vcr.VCR(
        cassette_library_dir=str(directory),
        record_mode=record_mode,
        # Not the host: cassettes recorded against any server replay against REPLAY_URL.
        match_on=["method", "path", "query"],
        filter_headers=list(SENSITIVE_HEADERS),
        before_record_request=_blank_file_uploads,
        decode_compressed_response=True,
    )


@dataclass(frozen=True)
class Stage:
    """What a scenario runs against: a live server while recording, a cassette in replay."""

    client: Callable[..., SyncVisionClient]
    """A client of the server: v1, or the version given as `api_version=`."""
    stranger: Callable[[], SyncVisionClient]
    """A client with a key the server does not know."""
    media: Path
    """A small real video file."""
    video_url: str
    """A URL the server can fetch a video from."""
    set_faults: Callable[..., None] | None = None
    """The emulator's fault injection while recording; None in replay or against the real API."""
    settle: Callable[[], None] = lambda: None
    """Waits for the server's background downloads (recording against the emulator)."""

    def faults(self, **settings: Any) -> None:
        if self.set_faults is not None:
            self.set_faults(**settings)


def _seed(pattern: list[bool], kind: str) -> int:
    for seed in range(10_000):
        injector = FaultInjector(FaultSettings(fault_rate=0.5, kinds=(kind,)), seed)
        if [injector.draw()[1] is not None for _ in pattern] == pattern:
            return seed
    raise AssertionError(f"no seed gives {pattern}")


# --- one scenario per call ----------------------------------------------------------------


def upload_file(stage: Stage) -> None:
    with stage.client() as client:
        seen: list[int] = []
        result = client.upload_file(
            stage.media,
            name="Cassette clip",
            filename="media/cassette.mp4",
            progress=seen.append,
            hasher=hashlib.sha256,
        )
        assert result.video_id and result.status
        assert result.size == stage.media.stat().st_size == seen[-1]
        assert result.digest == hashlib.sha256(stage.media.read_bytes()).hexdigest()
        client.delete_videos([result.video_id])


def upload_url(stage: Stage) -> None:
    with stage.client() as client:
        result = client.upload_url(stage.video_url, name="From a URL")
        assert result.video_id and result.status
        stage.settle()
        client.delete_videos([result.video_id])


def list_videos(stage: Stage) -> None:
    with stage.client() as client:
        result = client.upload_file(stage.media, name="Listed", filename="media/listed.mp4")
        listed = {v.video_id: v for v in client.list_videos()}
        assert listed[result.video_id].source == "media/listed.mp4"
        assert listed[result.video_id].name == "Listed"
        client.delete_videos([result.video_id])


def get_videos(stage: Stage) -> None:
    with stage.client() as client:
        result = client.upload_file(stage.media, name="Got", filename="media/got.mp4")
        got = client.get_videos([result.video_id])
        assert [v.video_id for v in got] == [result.video_id]
        client.delete_videos([result.video_id])


def delete_videos(stage: Stage) -> None:
    with stage.client() as client:
        result = client.upload_file(stage.media, name="Doomed", filename="media/doomed.mp4")
        client.delete_videos([result.video_id])
        assert client.get_videos([result.video_id]) == []


def create_group(stage: Stage) -> None:
    with stage.client() as client:
        group = client.create_group("videosync cassette", {"purpose": "recording"})
        assert (group.name, group.metadata) == ("videosync cassette", {"purpose": "recording"})
        client.delete_group(group.group_id)


def list_groups(stage: Stage) -> None:
    with stage.client() as client:
        group = client.create_group("videosync cassette list")
        assert group.group_id in {g.group_id for g in client.list_groups()}
        client.delete_group(group.group_id)


def get_group(stage: Stage) -> None:
    with stage.client() as client:
        group = client.create_group("videosync cassette get")
        assert client.get_group(group.group_id) == group
        client.delete_group(group.group_id)


def update_group(stage: Stage) -> None:
    with stage.client() as client:
        group = client.create_group("videosync cassette update")
        changed = client.update_group(group.group_id, name="renamed", metadata={"v": 2})
        assert (changed.group_id, changed.name, changed.metadata) == (
            group.group_id,
            "renamed",
            {"v": 2},
        )
        client.delete_group(group.group_id)


def delete_group(stage: Stage) -> None:
    with stage.client() as client:
        group = client.create_group("videosync cassette delete")
        client.delete_group(group.group_id)
        with pytest.raises(NotFound):
            client.get_group(group.group_id)


# --- v2: one scenario per call -------------------------------------------------------------


def v2_detect(stage: Stage) -> None:
    with stage.client(api_version="auto") as client:
        assert client.api_version == "v2"


def v2_upload_file(stage: Stage) -> None:
    with stage.client(api_version="v2") as client:
        seen: list[int] = []
        result = client.upload_file(
            stage.media,
            name="Cassette clip v2",
            filename="media/cassette-v2.mp4",
            description="Recorded for a cassette",
            progress=seen.append,
            hasher=hashlib.sha256,
        )
        assert (result.video_id, result.status) == (result.video_id, "uploaded")
        assert result.size == stage.media.stat().st_size == seen[-1]
        assert result.digest == hashlib.sha256(stage.media.read_bytes()).hexdigest()
        client.delete_videos([result.video_id])


def v2_upload_url(stage: Stage) -> None:
    with stage.client(api_version="v2") as client:
        result = client.upload_url(stage.video_url, name="From a URL, v2")
        assert result.video_id and result.status in ("uploading", "uploaded")
        stage.settle()
        client.delete_videos([result.video_id])


def v2_list_videos(stage: Stage) -> None:
    with stage.client(api_version="v2") as client:
        result = client.upload_file(stage.media, name="Listed", filename="media/listed-v2.mp4")
        listed = {v.video_id: v for v in client.list_videos()}
        video = listed[result.video_id]
        assert (video.source, video.name, video.status) == (
            "media/listed-v2.mp4",
            "Listed",
            "uploaded",
        )
        assert [v.video_id for v in client.get_videos([result.video_id])] == [result.video_id]
        client.delete_videos([result.video_id])


def v2_update_video(stage: Stage) -> None:
    with stage.client(api_version="v2") as client:
        group = client.create_group("videosync cassette patch")
        result = client.upload_file(stage.media, name="Before", filename="media/patched.mp4")
        changed = client.update_video(
            result.video_id,
            name="After",
            title="A title",
            description="Words",
            group_id=group.group_id,
        )
        assert (changed.video_id, changed.name, changed.title, changed.description) == (
            result.video_id,
            "After",
            "A title",
            "Words",
        )
        assert changed.group_id == group.group_id
        assert client.update_video(result.video_id, group_id=DEFAULT_GROUP).group_id == (
            DEFAULT_GROUP
        )
        client.delete_videos([result.video_id])
        client.delete_group(group.group_id)


def v2_move_videos(stage: Stage) -> None:
    with stage.client(api_version="v2") as client:
        group = client.create_group("videosync cassette move")
        result = client.upload_file(stage.media, name="Mover", filename="media/mover.mp4")
        client.move_videos(group.group_id, [result.video_id])
        assert [v.group_id for v in client.get_videos([result.video_id])] == [group.group_id]
        client.move_videos(DEFAULT_GROUP, [result.video_id])
        assert [v.group_id for v in client.get_videos([result.video_id])] == [DEFAULT_GROUP]
        client.delete_videos([result.video_id])
        client.delete_group(group.group_id)


def v2_features(stage: Stage) -> None:
    with stage.client(api_version="v2") as client:
        result = client.upload_file(stage.media, name="Features", filename="media/features.mp4")
        catalog = client.feature_catalog()
        assert catalog["captions"] == ("transcript",)
        plan = client.plan_features(result.video_id, ["captions"])
        assert (plan.actionable, plan.done) == (("transcript",), False)
        assert client.trigger_feature(result.video_id, "transcript") in (
            "pending",
            "processing",
            "ready",
        )
        client.delete_videos([result.video_id])


def v2_delete_videos(stage: Stage) -> None:
    with stage.client(api_version="v2") as client:
        ids = [
            client.upload_file(stage.media, name=f"Doomed {n}", filename=f"media/d{n}.mp4").video_id
            for n in (1, 2)
        ]
        client.delete_videos(ids)
        assert client.get_videos(ids) == []


def v2_not_found(stage: Stage) -> None:
    with stage.client(api_version="v2") as client, pytest.raises(NotFound) as caught:
        client.get_group(NO_SUCH_GROUP)
    assert (caught.value.status, caught.value.message) == (404, "Video group not found (group_id)")


# --- one scenario per error class -----------------------------------------------------------


def auth_error(stage: Stage) -> None:
    with stage.stranger() as client, pytest.raises(AuthError) as caught:
        client.list_videos()
    assert caught.value.status == 401
    assert "REKA_API_KEY" in str(caught.value)


def not_found(stage: Stage) -> None:
    with stage.client() as client, pytest.raises(NotFound) as caught:
        client.get_group(NO_SUCH_GROUP)
    assert caught.value.status == 404


def invalid_request(stage: Stage) -> None:
    with stage.client() as client, pytest.raises(InvalidRequest) as caught:
        client.upload_url("ftp://example.com/not-http.mp4", name="Nope")
    assert caught.value.status in (400, 422)


def conflict(stage: Stage) -> None:
    with stage.client() as client:
        group = client.create_group("videosync cassette conflict")
        result = client.upload_file(
            stage.media, name="Holder", filename="media/holder.mp4", group_id=group.group_id
        )
        with pytest.raises(InvalidRequest) as caught:
            client.delete_group(group.group_id)
        assert caught.value.status == 409
        client.delete_videos([result.video_id])
        client.delete_group(group.group_id)


def rate_limited(stage: Stage) -> None:
    stage.faults(fault_rate=1.0, kinds=("429",))
    with stage.client() as client, pytest.raises(RateLimited) as caught:
        client.list_groups()
    stage.faults(fault_rate=0.0)
    assert caught.value.attempts == POLICY.attempts


def server_error(stage: Stage) -> None:
    stage.faults(fault_rate=1.0, kinds=("500",))
    with stage.client() as client, pytest.raises(ServerError) as caught:
        client.list_videos()
    stage.faults(fault_rate=0.0)
    assert (caught.value.status, caught.value.attempts) == (500, POLICY.attempts)


def retried_until_ok(stage: Stage) -> None:
    stage.faults(fault_rate=0.5, seed=_seed([True, False], "503"), kinds=("503",))
    with stage.client() as client:
        assert isinstance(client.list_groups(), list)
    stage.faults(fault_rate=0.0)


SCENARIOS: dict[str, Callable[[Stage], None]] = {
    f.__name__: f
    for f in (
        upload_file,
        upload_url,
        list_videos,
        get_videos,
        delete_videos,
        create_group,
        list_groups,
        get_group,
        update_group,
        delete_group,
        auth_error,
        not_found,
        invalid_request,
        conflict,
        rate_limited,
        server_error,
        retried_until_ok,
        v2_detect,
        v2_upload_file,
        v2_upload_url,
        v2_list_videos,
        v2_update_video,
        v2_move_videos,
        v2_features,
        v2_delete_videos,
        v2_not_found,
    )
}

NEEDS_FAULTS = frozenset({"rate_limited", "server_error", "retried_until_ok"})
"""Scenarios only the emulator can stage; recording against the real API keeps their cassettes."""

RECORDING_KEYS = (API_KEY,)
"""Keys cassettes are recorded with against the emulator; none may appear in a cassette."""


def replay_stage(media: Path) -> Stage:
    """A stage whose clients talk to cassettes only."""
    return Stage(
        client=lambda **version: SyncVisionClient(
            REPLAY_URL, "replay-placeholder-key", retry=POLICY, **version
        ),
        stranger=lambda: SyncVisionClient(REPLAY_URL, "replay-stranger-key", retry=POLICY),
        media=media,
        video_url="http://127.0.0.1:9/replayed.mp4",
    )


class RecordingFailed(Exception):
    """A scenario failed against the live server; no cassette was replaced."""


def record(stage: Stage, directory: Path, names: Iterable[str]) -> list[Path]:
    """Run the named scenarios against `stage`'s live server, each into a fresh cassette.

    Each cassette is recorded aside and moved into `directory` only once its scenario
    passed, so a failed recording never replaces a good cassette.
    """
    written = []
    with tempfile.TemporaryDirectory() as scratch:
        recorder = cassette_vcr("all", Path(scratch))
        for name in names:
            try:
                with recorder.use_cassette(f"{name}.yaml"):
                    SCENARIOS[name](stage)
            except Exception as exc:
                raise RecordingFailed(f"scenario {name}: {type(exc).__name__}: {exc}") from exc
            written.append(
                Path(shutil.move(Path(scratch, f"{name}.yaml"), directory / f"{name}.yaml"))
            )
    return written


@contextlib.contextmanager
def serve_files(directory: Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving `directory` (for `video_url` uploads)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
