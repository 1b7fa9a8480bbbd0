"""v2 features: catalog, plan, triggers in dependency order, timings, failures, restarts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import API_KEY
from tests.emulator.v2.helpers import upload_v2, uploaded_v2, video_v2
from videosync.emulator import EmulatorConfig, RunningEmulator, start_emulator
from videosync.emulator.config import FAILABLE_FEATURES

FULL = ["transcript", "captions", "embeddings"]


def _plan(api: httpx.Client, video_id: str, desired: list[str]) -> dict[str, Any]:
    response = api.post(f"/v2/videos/{video_id}/features/plan", json={"desired": desired})
    assert response.status_code == 200, response.text
    plan: dict[str, Any] = response.json()
    return plan


def _trigger(api: httpx.Client, video_id: str, feature: str, **body: Any) -> httpx.Response:
    return api.post(f"/v2/videos/{video_id}/features/{feature}", json=body)


def _run_like_the_official_client(
    api: httpx.Client, video_id: str, desired: list[str]
) -> list[list[str]]:
    """Plan, trigger every actionable feature, repeat until done; the rounds triggered."""
    rounds: list[list[str]] = []
    for _ in range(10):
        plan = _plan(api, video_id, desired)
        if plan["done"]:
            return rounds
        rounds.append(plan["actionable"])
        for feature in plan["actionable"]:
            assert _trigger(api, video_id, feature, force=False).status_code == 200
    raise AssertionError(f"not done after 10 rounds: {plan}")


def test_catalog_lists_the_four_features_and_their_dependencies(api: httpx.Client) -> None:
    catalog = {f["name"]: f for f in api.get("/v2/features").json()["features"]}

    assert {name: f["depends_on"] for name, f in catalog.items()} == {
        "transcript": [],
        "captions": ["transcript"],
        "embeddings": ["transcript", "captions"],
        "objects": ["transcript"],
    }
    assert catalog["transcript"]["description"] == "Speech-to-text transcription and video chunking"
    assert tuple(catalog) == FAILABLE_FEATURES  # every feature with a trigger can be made to fail


def test_plan_and_trigger_follow_the_dependencies(api: httpx.Client, sample_video: Path) -> None:
    video_id = uploaded_v2(api, sample_video)

    first = _plan(api, video_id, ["embeddings"])
    assert first["all_required"] == FULL
    assert first["statuses"] == dict.fromkeys(FULL, "none")
    assert (first["actionable"], first["done"]) == (["transcript"], False)

    rounds = _run_like_the_official_client(api, video_id, ["embeddings"])

    assert rounds == [["transcript"], ["captions"], ["embeddings"]]
    assert video_v2(api, video_id)["features"] == dict.fromkeys(FULL, "ready")


def test_a_trigger_before_its_dependency_is_409_naming_it(
    api: httpx.Client, sample_video: Path
) -> None:
    video_id = uploaded_v2(api, sample_video)

    response = _trigger(api, video_id, "embeddings")

    assert response.status_code == 409
    assert "'transcript'" in response.json()["error"]["message"]
    assert video_v2(api, video_id)["features"] == {}


def test_a_trigger_twice_runs_once_and_force_runs_again(
    api: httpx.Client, sample_video: Path
) -> None:
    video_id = uploaded_v2(api, sample_video)

    first = _trigger(api, video_id, "transcript").json()
    again = _trigger(api, video_id, "transcript").json()
    forced = _trigger(api, video_id, "transcript", force=True)

    assert first == again == {"video_id": video_id, "feature": "transcript", "status": "ready"}
    assert forced.status_code == 200


def test_scenes_come_with_scene_detection_else_the_plan_says_how(
    api: httpx.Client, sample_video: Path
) -> None:
    video_id = uploaded_v2(api, sample_video)
    _trigger(api, video_id, "transcript").raise_for_status()

    plan = _plan(api, video_id, ["scenes"])
    assert plan["statuses"] == {"transcript": "ready", "scenes": "none"}
    assert plan["reconfigure"]["scenes"]["trigger"] == "transcript"
    assert plan["reconfigure"]["scenes"]["config"] == {
        "chunking_config": {"use_scene_detection": True}
    }

    _trigger(
        api, video_id, "transcript", force=True, **plan["reconfigure"]["scenes"]["config"]
    ).raise_for_status()

    assert _plan(api, video_id, ["scenes"])["done"] is True
    assert video_v2(api, video_id)["features"] == {"transcript": "ready", "scenes": "ready"}


def test_features_without_a_trigger_route_are_blocked_with_a_reason(
    api: httpx.Client, sample_video: Path
) -> None:
    video_id = uploaded_v2(api, sample_video)

    plan = _plan(api, video_id, ["chapters"])

    assert plan["blocked"] == ["chapters"]
    assert "trigger route" in plan["errors"]["chapters"]
    assert plan["done"] is False


def test_an_injected_failure_blocks_what_depends_on_it_until_forced(
    api: httpx.Client, emulator: RunningEmulator, sample_video: Path
) -> None:
    video_id = uploaded_v2(api, sample_video)
    _trigger(api, video_id, "transcript").raise_for_status()
    emulator.set_feature_failures(1.0, ("captions",))

    assert _trigger(api, video_id, "captions").json()["status"] == "failed"
    plan = _plan(api, video_id, ["embeddings"])
    assert plan["statuses"] == {
        "transcript": "ready",
        "captions": "failed",
        "embeddings": "blocked",
    }
    assert plan["blocked"] == ["embeddings"]
    assert set(plan["errors"]) == {"captions", "embeddings"}
    assert plan["actionable"] == []
    # Without force a failed feature stays failed; with force it runs again.
    emulator.set_feature_failures(0.0)
    assert _trigger(api, video_id, "captions").json()["status"] == "failed"
    assert _trigger(api, video_id, "captions", force=True).json()["status"] == "ready"
    assert _plan(api, video_id, ["embeddings"])["actionable"] == ["embeddings"]


def test_a_failure_rate_fails_some_runs_and_a_restart_keeps_the_outcome(
    tmp_path: Path, sample_video: Path
) -> None:
    config = EmulatorConfig(
        data_dir=tmp_path / "data", api_keys=(API_KEY,), feature_failure_rate=0.5, seed=7
    )
    with start_emulator(config) as running, _client(running) as api:
        ids = [uploaded_v2(api, sample_video) for _ in range(12)]
        statuses = [_trigger(api, i, "transcript").json()["status"] for i in ids]

    with start_emulator(config) as restarted, _client(restarted) as api:
        after = [video_v2(api, i)["features"]["transcript"] for i in ids]

    assert 0 < statuses.count("failed") < 12
    assert set(statuses) == {"ready", "failed"}
    assert after == statuses


def test_a_video_that_does_not_decode_fails_its_upload_and_takes_no_feature(
    api: httpx.Client, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video" * 100)

    response = upload_v2(api, junk, video_name="junk")
    video_id = response.json()["video_id"]

    assert response.status_code == 202
    assert response.json()["status"] == "failed"
    assert video_v2(api, video_id)["error"]
    refused = _trigger(api, video_id, "transcript")
    assert refused.status_code == 409
    assert "not uploaded" in refused.json()["error"]["message"]


@pytest.fixture
def slow_data(tmp_path: Path) -> Path:
    return tmp_path / "slow-emulator"


def _client(running: RunningEmulator) -> httpx.Client:
    return httpx.Client(base_url=running.url, headers={"X-Api-Key": API_KEY})


@pytest.fixture
def slow(slow_data: Path) -> Iterator[RunningEmulator]:
    """An emulator whose feature runs take 0.6 s pending, then 0.6 s processing."""
    config = EmulatorConfig(data_dir=slow_data, api_keys=(API_KEY,), index_delay=0.6)
    with start_emulator(config) as running:
        yield running


def _wait_for(api: httpx.Client, video_id: str, feature: str, status: str) -> float:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if video_v2(api, video_id)["features"].get(feature) == status:
            return time.monotonic()
        time.sleep(0.05)
    raise AssertionError(f"{feature} never became {status}: {video_v2(api, video_id)}")


def test_a_run_is_pending_then_processing_then_ready(
    slow: RunningEmulator, sample_video: Path
) -> None:
    with _client(slow) as api:
        video_id = uploaded_v2(api, sample_video)
        started = time.monotonic()

        assert _trigger(api, video_id, "transcript").json()["status"] == "pending"
        assert _plan(api, video_id, ["captions"])["processing"] == ["transcript"]
        _wait_for(api, video_id, "transcript", "processing")
        ready = _wait_for(api, video_id, "transcript", "ready")

        assert ready - started >= 1.2
        assert _plan(api, video_id, ["captions"])["actionable"] == ["captions"]


def test_a_restarted_emulator_goes_on_where_it_was(slow_data: Path, sample_video: Path) -> None:
    config = EmulatorConfig(data_dir=slow_data, api_keys=(API_KEY,), index_delay=0.6)
    with start_emulator(config) as first, _client(first) as api:
        video_id = uploaded_v2(api, sample_video)
        _trigger(api, video_id, "transcript").raise_for_status()
        assert video_v2(api, video_id)["features"] == {"transcript": "pending"}

    with start_emulator(config) as second, _client(second) as api:
        _wait_for(api, video_id, "transcript", "ready")
        assert _trigger(api, video_id, "captions").json()["status"] == "pending"

    with start_emulator(config) as third, _client(third) as api:
        _wait_for(api, video_id, "captions", "ready")
        assert video_v2(api, video_id)["features"] == {"transcript": "ready", "captions": "ready"}
