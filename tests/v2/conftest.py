"""Catalogs, command runs and the emulator's view of them, for the API v2 end-to-end tests.

The suite pins `VIDEOSYNC_API_VERSION=v1` for every test (tests/conftest.py): each command
here says its version itself (`--api-version`), as a user switching versions would.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from testing.samplemedia import write_sample_video
from tests.apply.conftest import run
from tests.conftest import API_KEY
from videosync.api.sync import SyncVisionClient
from videosync.api.versions import ApiVersionChoice
from videosync.emulator import EmulatorConfig, RunningEmulator, start_emulator
from videosync.model import RemoteVideo

FEATURE_DELAY = 0.3
"""Seconds each stage of a feature takes on `slow_emulator`: pending, then processing."""

_UPLOAD_ROUTES = ("POST /videos/upload ", "POST /v1/videos/upload ", "POST /v2/videos ")


class RequestLog:
    """The emulator's request log as `METHOD PATH STATUS` lines, in the order served."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self._caplog = caplog
        self._mark = 0

    def _all(self) -> list[str]:
        return [
            " ".join(r.getMessage().split()[:3])
            for r in self._caplog.records
            if r.name == "videosync.emulator"
        ]

    def since_mark(self) -> list[str]:
        """The requests served since the last `mark()` (or the start of the test)."""
        return self._all()[self._mark :]

    def mark(self) -> None:
        """Start counting anew: `since_mark` shows only what comes after this."""
        self._mark = len(self._all())

    def uploads(self) -> list[str]:
        """The uploads the emulator took since the mark (v1 or v2, file or URL)."""
        return [line for line in self.since_mark() if line.startswith(_UPLOAD_ROUTES)]

    def deletes(self) -> list[str]:
        return [line for line in self.since_mark() if line.startswith("DELETE ")]

    def triggers(self) -> list[tuple[str, str, str]]:
        """Feature runs asked for since the mark: (video_id, feature, status) in order."""
        found = []
        for line in self.since_mark():
            method, path, status = line.split(" ")
            parts = path.strip("/").split("/")
            # POST /v2/videos/{id}/features/{name}; `features/plan` only asks.
            if method == "POST" and len(parts) == 5 and parts[:2] == ["v2", "videos"]:
                _, _, video_id, features, name = parts
                if features == "features" and name != "plan":
                    found.append((video_id, name, status))
        return found


@pytest.fixture
def requests_seen(caplog: pytest.LogCaptureFixture) -> RequestLog:
    caplog.set_level(logging.INFO, logger="videosync.emulator")
    return RequestLog(caplog)


@pytest.fixture
def slow_emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    """An emulator whose features (and v1 indexing) take FEATURE_DELAY s per stage."""
    config = EmulatorConfig(
        data_dir=tmp_path / "slow-emulator-data",
        api_keys=(API_KEY,),
        retry_after=0,
        index_delay=FEATURE_DELAY,
    )
    with start_emulator(config) as running:
        yield running


@pytest.fixture(scope="session")
def fifty_videos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Fifty small distinct real videos (1 s each, a few kB), seeds 200..249."""
    folder = tmp_path_factory.mktemp("fifty-videos")
    return [
        write_sample_video(folder / f"clip-{i:02d}.mp4", seconds=1, seed=200 + i) for i in range(50)
    ]


class Catalog:
    """A manifest folder and the `videosync` command line run on it against one server."""

    def __init__(
        self, folder: Path, url: str, capsys: pytest.CaptureFixture[str], videos: list[Path]
    ) -> None:
        self.folder = folder
        self.manifest = folder / "videosync.yaml"
        self.url = url
        self._capsys = capsys
        media = folder / "media"
        media.mkdir(parents=True, exist_ok=True)
        for video in videos:
            shutil.copyfile(video, media / video.name)

    @property
    def lockfile(self) -> Path:
        return self.folder / "videosync.lock"

    def write(self, text: str) -> None:
        self.manifest.write_text(text, encoding="utf-8")

    def videosync(self, version: str, *args: str) -> tuple[int, str, str]:
        """`videosync -f MANIFEST --api-url URL --api-version VERSION ARGS...`, in-process."""
        return run(
            self._capsys,
            "-f",
            str(self.manifest),
            "--api-url",
            self.url,
            "--api-version",
            version,
            *args,
        )

    def ok(self, version: str, *args: str) -> str:
        """Run a command that must succeed; its stdout."""
        code, out, err = self.videosync(version, *args)
        assert code == 0, f"exit {code}\n{out}{err}"
        return out

    def remote(self, version: ApiVersionChoice = "v2") -> dict[str, RemoteVideo]:
        """The server's videos by source (videosync uploads each under its key)."""
        with SyncVisionClient(self.url, API_KEY, api_version=version) as client:
            videos = client.list_videos()
        by_source = {v.source: v for v in videos if v.source is not None}
        assert len(by_source) == len(videos), "a video without a source, or one twice"
        return by_source


MakeCatalog = Callable[[str, list[Path]], Catalog]


@pytest.fixture
def make_catalog(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> MakeCatalog:
    """`make_catalog(url, videos)`: a folder with `videos` in media/, run against `url`."""
    monkeypatch.setenv("REKA_API_KEY", API_KEY)
    monkeypatch.delenv("VIDEOSYNC_API_URL", raising=False)

    def make(url: str, videos: list[Path]) -> Catalog:
        return Catalog(tmp_path / "catalog", url, capsys, videos)

    return make
