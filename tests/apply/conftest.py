"""Catalogs, command runs and checks of the remote state for the applier's tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from testing.samplemedia import write_sample_video
from tests.conftest import API_KEY
from tests.plan.catalog import write_catalog
from videosync.api.sync import SyncVisionClient
from videosync.cli import main
from videosync.emulator import RunningEmulator
from videosync.manifest.loader import load_manifest
from videosync.model import Lockfile, RemoteVideo
from videosync.state.lockfile import load_lockfile, lockfile_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the `videosync` command line in-process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def command(manifest: Path, url: str, *args: str) -> list[str]:
    """`videosync -f MANIFEST --api-url URL ARGS...` as a command line."""
    return [sys.executable, "-m", "videosync", "-f", str(manifest), "--api-url", url, *args]


def child_env() -> dict[str, str]:
    env = {**os.environ, "REKA_API_KEY": API_KEY, "PYTHONUNBUFFERED": "1"}
    env.pop("VIDEOSYNC_API_URL", None)
    return env


def spawn(manifest: Path, url: str, *args: str) -> subprocess.Popen[str]:
    """`videosync -f MANIFEST --api-url URL ARGS...` in its own process (stdout, stderr piped)."""
    env = child_env()
    return subprocess.Popen(
        command(manifest, url, *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.fixture(scope="session")
def more_videos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Eight small distinct real videos (seeds 11..18), for catalogs that change."""
    folder = tmp_path_factory.mktemp("more-videos")
    return [write_sample_video(folder / f"v{seed}.mp4", seed=seed) for seed in range(11, 19)]


@pytest.fixture
def catalog(tmp_path: Path, sample_videos: list[Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The plan tests' catalog (a managed group, three files, one protected), unapplied."""
    monkeypatch.setenv("REKA_API_KEY", API_KEY)
    monkeypatch.delenv("VIDEOSYNC_API_URL", raising=False)
    return write_catalog(tmp_path / "catalog", sample_videos)


def remote_videos(emulator: RunningEmulator) -> list[RemoteVideo]:
    with SyncVisionClient(emulator.url, API_KEY) as client:
        return client.list_videos()


def assert_converged(manifest: Path, emulator: RunningEmulator) -> Lockfile:
    """Remote equals the manifest: one copy per entry, the one recorded, and nothing else."""
    lockfile = load_lockfile(lockfile_path(manifest))  # valid, or this raises
    keys = {v.key for v in load_manifest(manifest).videos}
    assert set(lockfile.videos) == keys
    videos = remote_videos(emulator)
    sources = Counter(v.source for v in videos)
    assert all(n == 1 for n in sources.values()), f"duplicates: {sources}"
    assert {v.video_id for v in videos} == {e.video_id for e in lockfile.videos.values()}
    by_id = {v.video_id: v for v in videos}
    for key, entry in lockfile.videos.items():
        assert by_id[entry.video_id].source == key
        assert by_id[entry.video_id].name == entry.spec.name
    return lockfile
