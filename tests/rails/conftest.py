"""Catalogs of real small videos on disk, for the rails' and moves' end-to-end tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from testing.samplemedia import write_sample_video
from tests.conftest import API_KEY


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REKA_API_KEY", API_KEY)
    monkeypatch.delenv("VIDEOSYNC_API_URL", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture(scope="session")
def distinct_videos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Ten small real videos, each with its own content (seeds 31..40)."""
    folder = tmp_path_factory.mktemp("rails-videos")
    return [write_sample_video(folder / f"s{seed}.mp4", seed=seed) for seed in range(31, 41)]


def write_manifest(folder: Path, entries: list[str]) -> Path:
    """`folder/videosync.yaml` with one `videos:` entry per item of `entries` (YAML flow maps)."""
    path = folder / "videosync.yaml"
    body = "".join(f"  - {entry}\n" for entry in entries)
    text = "version: 1\nvideos:\n" + body if entries else "version: 1\nvideos: []\n"
    path.write_text(text, encoding="utf-8")
    return path


def make_catalog(folder: Path, videos: list[Path], count: int, extra: str = "") -> Path:
    """`count` files media/v0.mp4 … in `folder`, one entry each (`extra` added to each entry)."""
    media = folder / "media"
    media.mkdir(parents=True, exist_ok=True)
    entries = []
    for n in range(count):
        shutil.copyfile(videos[n], media / f"v{n}.mp4")
        entries.append(f"{{path: media/v{n}.mp4{extra}}}")
    return write_manifest(folder, entries)
