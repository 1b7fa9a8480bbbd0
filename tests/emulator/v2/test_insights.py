"""v2 reads (transcript, captions, scenes, objects) and segment, on real sample media."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import av
import httpx
import pytest

from testing.samplemedia import write_sample_video
from tests.emulator.v2.helpers import SYNTHETIC, conforming, error_of, run_features, uploaded_v2


def write_cut_video(path: Path, scenes: list[tuple[int, float]], fps: int = 24) -> Path:
    """An H.264 file of flat grey scenes (level, seconds) with a small moving bar: a hard
    cut where the level changes, nothing a cut detector should take for one elsewhere."""
    width, height = 160, 120
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.options = {"preset": "veryfast", "threads": "1"}
        index = 0
        for level, seconds in scenes:
            for _ in range(round(seconds * fps)):
                x = (index * 2) % (width - 16)
                pixel = bytes([level, level, level, 255])
                row = pixel * x + b"\x80\x80\x80\xff" * 16 + pixel * (width - x - 16)
                frame = av.VideoFrame.from_bytes(row * height, width, height, format="rgba")
                container.mux(stream.encode(frame))
                index += 1
        container.mux(stream.encode())
    return path


def walk(api: httpx.Client, path: str, schema: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paginated read, following `next_page_token` to the end."""
    items: list[dict[str, Any]] = []
    token = None
    for _ in range(1000):
        query = {**params, **({"page_token": token} if token else {})}
        page = conforming(api.get(path, params=query), schema)
        items.extend(page["data"])
        token = page["next_page_token"]
        if token is None:
            return items
    raise AssertionError("the pages never end")


@pytest.fixture(scope="module")
def long_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("long")
    return write_sample_video(folder / "long.mp4", seconds=30, seed=7)


@pytest.fixture(scope="module")
def cut_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cuts")
    return write_cut_video(folder / "cuts.mp4", [(30, 2.0), (220, 2.0), (30, 2.0)])


TRANSCRIPT = "PaginatedResponse_TranscriptSegment_"


# --- readiness and errors ---------------------------------------------------------------------


def test_each_read_is_409_until_its_feature_is_ready(api: httpx.Client, sample_video: Path) -> None:
    video_id = uploaded_v2(api, sample_video)

    for read in ("transcript", "captions", "objects"):
        error = error_of(api.get(f"/v2/videos/{video_id}/{read}"), 409)
        assert error["message"] == f"Feature '{read}' is not ready. Current status: none"
        assert error["param"] == read
    run_features(api, video_id)
    conforming(api.get(f"/v2/videos/{video_id}/transcript"), TRANSCRIPT)
    assert api.get(f"/v2/videos/{video_id}/captions").status_code == 409


def test_scenes_are_409_when_transcript_ran_without_scene_detection(
    api: httpx.Client, sample_video: Path
) -> None:
    video_id = uploaded_v2(api, sample_video)
    run_features(api, video_id)

    error = error_of(api.get(f"/v2/videos/{video_id}/scenes"), 409)

    assert "use_scene_detection: true" in error["message"]
    assert "transcript status: ready" in error["message"]
    assert error["param"] == "scenes"


def test_an_unknown_video_is_404_on_every_read(api: httpx.Client) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    for read in ("transcript", "captions", "scenes", "objects"):
        assert error_of(api.get(f"/v2/videos/{missing}/{read}"), 404)["param"] == "video_id"
    segment = api.post(f"/v2/videos/{missing}/segment", json={"prompts": []})
    assert error_of(segment, 404)["param"] == "video_id"


def test_a_bad_page_limit_or_page_token_is_422_naming_it(
    api: httpx.Client, long_video: Path
) -> None:
    video_id = uploaded_v2(api, long_video)
    run_features(api, video_id, "captions", min_len=2, max_len=3)
    path = f"/v2/videos/{video_id}"
    token = api.get(f"{path}/transcript", params={"page_limit": 1}).json()["next_page_token"]

    for params in ({"page_limit": 0}, {"page_limit": "ten"}):
        assert error_of(api.get(f"{path}/transcript", params=params), 422)["param"] == (
            "page_limit"
        )
    for bad in ("garbage", token):  # a token of another read is no token of this one
        error = error_of(api.get(f"{path}/captions", params={"page_token": bad}), 422)
        assert error["param"] == "page_token"
        assert error["details"][0]["loc"] == ["query", "page_token"]
    assert error_of(api.get(f"{path}/transcript", params={"start": "soon"}), 422)["param"] == (
        "start"
    )
    assert error_of(api.get(f"{path}/transcript", params={"format": "srt"}), 422)["param"] == (
        "format"
    )


# --- transcript ---------------------------------------------------------------------------


def test_transcript_pages_walk_every_segment_once_in_time_order(
    api: httpx.Client, long_video: Path
) -> None:
    video_id = uploaded_v2(api, long_video)
    run_features(api, video_id, min_len=4, max_len=6)
    path = f"/v2/videos/{video_id}/transcript"

    walked = walk(api, path, TRANSCRIPT, page_limit=3)

    whole = conforming(api.get(path, params={"page_limit": 1000}), TRANSCRIPT)
    assert whole["next_page_token"] is None
    assert walked == whole["data"]
    assert len(walked) > 6
    assert walked[0]["start"] == 0 and walked[-1]["end"] == 30.0
    for before, after in itertools.pairwise(walked):
        assert before["end"] == after["start"]
    assert all(s["text"].startswith(SYNTHETIC) for s in walked)
    assert walk(api, path, TRANSCRIPT, page_limit=3) == walked  # deterministic


def test_transcript_text_is_the_whole_transcript_and_words_share_its_times(
    api: httpx.Client, long_video: Path
) -> None:
    video_id = uploaded_v2(api, long_video)
    run_features(api, video_id)
    path = f"/v2/videos/{video_id}/transcript"
    segments = walk(api, path, TRANSCRIPT)

    text = conforming(api.get(path, params={"format": "text"}), "TranscriptTextResponse")
    words = walk(api, path, TRANSCRIPT, format="words", page_limit=40)

    assert set(text) == {"text"}
    assert text["text"] == " ".join(s["text"] for s in segments)
    assert " ".join(w["text"] for w in words) == text["text"]
    assert all(0 <= w["start"] < w["end"] <= 30.0 for w in words)


def test_start_and_end_keep_the_items_overlapping_the_range(
    api: httpx.Client, long_video: Path
) -> None:
    video_id = uploaded_v2(api, long_video)
    run_features(api, video_id, min_len=4, max_len=6)
    path = f"/v2/videos/{video_id}/transcript"
    every = walk(api, path, TRANSCRIPT)

    ranged = walk(api, path, TRANSCRIPT, start=10, end=20)

    assert ranged == [s for s in every if s["end"] > 10 and s["start"] < 20]
    assert ranged[0]["start"] < 10 < ranged[0]["end"] or ranged[0]["start"] == 10


# --- captions, scenes, objects ------------------------------------------------------------


def test_captions_are_one_per_chunk_within_the_chunking_config(
    api: httpx.Client, long_video: Path
) -> None:
    video_id = uploaded_v2(api, long_video)
    run_features(api, video_id, "captions", min_len=4, max_len=6)

    captions = walk(api, f"/v2/videos/{video_id}/captions", "PaginatedResponse_CaptionEntry_")

    assert captions[0]["start"] == 0 and captions[-1]["end"] == 30.0
    assert all(4 <= c["end"] - c["start"] <= 6 for c in captions[:-1])
    assert all(c["caption"].startswith(SYNTHETIC) for c in captions)


def test_scenes_are_the_real_cuts_and_chunks_snap_to_them(
    api: httpx.Client, cut_video: Path
) -> None:
    video_id = uploaded_v2(api, cut_video)
    run_features(api, video_id, "captions", min_len=1, max_len=5, use_scene_detection=True)

    scenes = walk(api, f"/v2/videos/{video_id}/scenes", "PaginatedResponse_SceneEntry_")
    captions = walk(api, f"/v2/videos/{video_id}/captions", "PaginatedResponse_CaptionEntry_")

    assert scenes == [
        {"index": 0, "start": 0.0, "end": 2.0},
        {"index": 1, "start": 2.0, "end": 4.0},
        {"index": 2, "start": 4.0, "end": 6.0},
    ]
    assert [(c["start"], c["end"]) for c in captions] == [(0, 2), (2, 4), (4, 6)]


def test_objects_are_people_inside_the_frame_on_real_frames(
    api: httpx.Client, long_video: Path
) -> None:
    video_id = uploaded_v2(api, long_video)
    run_features(api, video_id, "objects", min_len=4, max_len=6)
    path = f"/v2/videos/{video_id}/objects"
    schema = "PaginatedResponse_ObjectSegment_"

    segments = walk(api, path, schema, page_limit=2)

    detections = [d for s in segments for d in s["detections"]]
    assert detections, "no person in 30 s of chunks"
    for segment in segments:
        for d in segment["detections"]:
            x_min, y_min, x_max, y_max = d["bbox"]
            assert 0 <= x_min < x_max <= 160 and 0 <= y_min < y_max <= 120
            assert (d["type"], d["person_id"]) == ("person", None)
            assert segment["start"] <= d["frame_timestamp_start"] < segment["end"]
            assert d["frame_timestamp_start"] == pytest.approx(d["frame_idx"] / 24, abs=1e-3)
    assert walk(api, path, schema, type="person") == [s for s in segments if s["detections"]]
    assert walk(api, path, schema, type="face") == []


# --- segment ------------------------------------------------------------------------------


def _segment(api: httpx.Client, video_id: str, **body: Any) -> httpx.Response:
    return api.post(
        f"/v2/videos/{video_id}/segment",
        json={"prompts": [{"type": "text", "text": "person"}], **body},
    )


def test_segment_needs_no_feature_and_samples_real_frames_of_the_default_window(
    api: httpx.Client, long_video: Path
) -> None:
    video_id = uploaded_v2(api, long_video)

    answer = conforming(_segment(api, video_id, start=20), "SegmentResponse")

    assert answer["frame_size"] == {"width": 160, "height": 120}
    assert answer["frame_count"] == len(answer["frames"]) == 20  # 20-30 s, 2 a second
    for frame in answer["frames"]:
        assert 20 <= frame["timestamp"] < 30
        assert frame["timestamp"] == pytest.approx(round(frame["timestamp"] * 24) / 24, abs=1e-3)
        for d in frame["detections"]:
            assert (d["label"], d["prompt_index"]) == ("person", 0)
            assert 0.3 <= d["score"] <= 1
            box = d["bbox"]
            assert 0 <= box["x_min"] < box["x_max"] <= 160
            assert 0 <= box["y_min"] < box["y_max"] <= 120
    assert _segment(api, video_id, start=20).json() == answer


def test_segment_threshold_drops_lower_scores(api: httpx.Client, long_video: Path) -> None:
    video_id = uploaded_v2(api, long_video)
    prompts = [{"type": "text", "text": "person"}, {"type": "text", "text": "boat"}]

    low = conforming(_segment(api, video_id, prompts=prompts, threshold=0), "SegmentResponse")
    high = conforming(_segment(api, video_id, prompts=prompts, threshold=0.8), "SegmentResponse")

    assert [f["timestamp"] for f in low["frames"]] == [f["timestamp"] for f in high["frames"]]
    for kept, every in zip(high["frames"], low["frames"], strict=True):
        assert kept["detections"] == [d for d in every["detections"] if d["score"] >= 0.8]
    assert {d["prompt_index"] for f in low["frames"] for d in f["detections"]} == {0, 1}


def test_segment_window_rules(api: httpx.Client, long_video: Path) -> None:
    video_id = uploaded_v2(api, long_video)

    for body, param in (
        ({"start": 0, "end": 15.5}, "end"),
        ({"start": 5, "end": 5}, "end"),
        ({"start": 31}, "start"),
        ({"start": -1}, "start"),
        ({"threshold": 1.5}, "threshold"),
        ({"prompts": []}, "prompts"),
    ):
        assert error_of(_segment(api, video_id, **body), 422)["param"] == param, body
    clamped = conforming(_segment(api, video_id, start=25, end=35), "SegmentResponse")
    assert [f["timestamp"] for f in clamped["frames"]][-1] < 30
    assert clamped["frame_count"] == 10
    exact = conforming(_segment(api, video_id, start=1, end=16), "SegmentResponse")
    assert exact["frame_count"] == 30
