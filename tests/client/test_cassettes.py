"""Cassette replay, offline: every call and every error class, every interaction played.

And the key: no cassette, committed or freshly recorded, and no log line holds it.
Re-record with `scripts/record_cassettes.py` (README, section "API client").
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.client.scenarios import (
    API_PATH_PREFIXES,
    CASSETTES,
    NEEDS_FAULTS,
    POLICY,
    RECORDING_KEYS,
    SCENARIOS,
    SENSITIVE_HEADERS,
    UPLOAD_PLACEHOLDER,
    Stage,
    cassette_vcr,
    record,
    replay_stage,
    serve_files,
)
from tests.conftest import API_KEY
from videosync.api.sync import SyncVisionClient
from videosync.emulator import RunningEmulator


def test_every_scenario_has_a_cassette_and_no_cassette_is_orphaned() -> None:
    assert sorted(p.stem for p in CASSETTES.glob("*.yaml")) == sorted(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_replays_offline_and_plays_every_interaction(
    name: str, sample_video: Path
) -> None:
    with cassette_vcr("none").use_cassette(f"{name}.yaml") as cassette:
        SCENARIOS[name](replay_stage(sample_video))

    assert cassette.play_count > 0
    assert cassette.all_played


def _leaks(path: Path, keys: tuple[str, ...]) -> list[str]:
    """What in the cassette at `path` could give a key away."""
    text = path.read_text()
    found = [f"the key {key[:3]}…" for key in keys if key in text]
    for interaction in yaml.safe_load(text)["interactions"]:
        request = interaction["request"]
        found += [h for h in request["headers"] if h.lower() in SENSITIVE_HEADERS]
        body = request["body"] or ""
        body = body.encode() if isinstance(body, str) else body
        if b'filename="' in body:
            found.append(f"a file upload body in {request['uri']}")
        if not urlsplit(request["uri"]).path.startswith(API_PATH_PREFIXES):
            found.append(f"a request that is no API call: {request['uri']}")
    return found


@pytest.mark.parametrize("path", sorted(CASSETTES.glob("*.yaml")), ids=lambda p: p.stem)
def test_committed_cassette_holds_no_key_header_or_video_bytes(path: Path) -> None:
    assert _leaks(path, (*RECORDING_KEYS, API_KEY)) == []


def test_recording_writes_no_key_to_cassettes_or_log_lines(
    emulator: RunningEmulator,
    sample_video: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with serve_files(sample_video.parent) as files, caplog.at_level(logging.DEBUG):
        stage = Stage(
            client=lambda **version: SyncVisionClient(
                emulator.url, API_KEY, retry=POLICY, **version
            ),
            stranger=lambda: SyncVisionClient(emulator.url, "not-a-key", retry=POLICY),
            media=sample_video,
            video_url=f"{files}/{sample_video.name}",
            set_faults=emulator.set_faults,
            settle=emulator.wait_for_downloads,
        )
        written = record(stage, tmp_path, SCENARIOS)

    assert {p.stem for p in written} == set(SCENARIOS) >= NEEDS_FAULTS
    assert [leak for path in written for leak in _leaks(path, (API_KEY,))] == []
    uploads = (tmp_path / "upload_file.yaml").read_text()
    assert UPLOAD_PLACEHOLDER.decode() in uploads
    assert any(r.name == "videosync.api.client" for r in caplog.records)
    assert API_KEY not in caplog.text
