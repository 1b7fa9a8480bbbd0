"""The shared fixtures work: an emulator that answers, and real sample videos."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import API_KEY
from videosync.emulator import RunningEmulator


def test_emulator_fixture_answers_status_and_accepts_the_test_key(
    emulator: RunningEmulator,
) -> None:
    assert httpx.get(emulator.url + "/").json()["status"] == "ok"
    listing = httpx.post(emulator.url + "/videos/get", headers={"X-Api-Key": API_KEY})
    assert listing.status_code == 200
    assert listing.json() == {"results": []}


def test_sample_videos_are_distinct_small_mp4_files(sample_videos: list[Path]) -> None:
    contents = [p.read_bytes() for p in sample_videos]
    assert len(set(contents)) == 3
    assert all(c[4:8] == b"ftyp" and len(c) < 100_000 for c in contents)
