"""v2 search and chat: ranking, scoping, the pool, pages, and answers that cite their context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from testing.samplemedia import write_sample_video
from tests.emulator.v2.helpers import SYNTHETIC, conforming, error_of, run_features, uploaded_v2

SEARCH = "V2SearchResponse"
EVERYTHING = ("captions", "embeddings")


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three 12 s real videos."""
    folder = tmp_path_factory.mktemp("search")
    return [write_sample_video(folder / f"clip-{i}.mp4", seconds=12, seed=i) for i in (1, 2, 3)]


def _search(api: httpx.Client, query: str, **body: Any) -> dict[str, Any]:
    found: dict[str, Any] = conforming(
        api.post("/v2/search", json={"query": query, **body}), SEARCH
    )
    return found


def _video(api: httpx.Client, path: Path, name: str, *features: str, **fields: str) -> str:
    video_id = uploaded_v2(api, path, video_name=name, **fields)
    run_features(api, video_id, *features, min_len=3, max_len=5)
    return video_id


def test_semantic_search_ranks_the_video_whose_name_matches_first(
    api: httpx.Client, clips: list[Path]
) -> None:
    lighthouse = _video(api, clips[0], "Lighthouse at dusk", *EVERYTHING)
    _video(api, clips[1], "Quarterly review", *EVERYTHING)

    found = _search(api, "lighthouse dusk")

    assert found["data"], found
    assert {r["video_id"] for r in found["data"]} == {lighthouse}
    assert [r["rank"] for r in found["data"]] == list(range(1, len(found["data"]) + 1))
    scores = [r["score"] for r in found["data"]]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    first = found["data"][0]
    assert first["video_name"] == "Lighthouse at dusk"
    assert 0 <= first["start"] < first["end"] <= 12
    assert first["caption"].startswith(SYNTHETIC) and first["transcript"].startswith(SYNTHETIC)
    assert first["thumbnail_url"] is None
    assert httpx.get(first["video_url"]).content == clips[0].read_bytes()
    assert found["search_pool"] == {"video_count": 2, "total_duration": 24.0}


def test_search_finds_words_of_the_synthetic_transcript(
    api: httpx.Client, clips: list[Path]
) -> None:
    one = _video(api, clips[0], "one", *EVERYTHING)
    _video(api, clips[1], "two", *EVERYTHING)
    segments = api.get(f"/v2/videos/{one}/transcript").json()["data"]
    phrase = " ".join(segments[0]["text"].split()[1:4])  # three words after the label

    literal = _search(api, phrase, strategy="text", fields=["transcript"])
    semantic = _search(api, phrase, threshold="high")

    assert literal["data"]
    assert all(phrase.lower() in r["transcript"].lower() for r in literal["data"])
    assert {r["score"] for r in literal["data"]} == {1.0}
    assert any(r["video_id"] == one and r["start"] == 0 for r in literal["data"])
    assert semantic["data"] and all(r["score"] >= 0.75 for r in semantic["data"])


def test_search_is_scoped_by_video_ids_and_group_ids(api: httpx.Client, clips: list[Path]) -> None:
    group = api.post("/v2/video-groups", json={"name": "harbour"}).json()["group_id"]
    grouped = _video(api, clips[0], "harbour tour", *EVERYTHING, group_id=group)
    loose = _video(api, clips[1], "harbour tour again", *EVERYTHING)

    by_id = _search(api, "harbour", video_ids=[loose])
    by_group = _search(api, "harbour", group_ids=[group])
    unknown = _search(api, "harbour", video_ids=["00000000-0000-4000-8000-000000000000"])

    assert {r["video_id"] for r in by_id["data"]} == {loose}
    assert by_id["search_pool"]["video_count"] == 1
    assert {r["video_id"] for r in by_group["data"]} == {grouped}
    assert unknown["data"] == [] and unknown["search_pool"]["video_count"] == 0


def test_a_video_without_the_needed_feature_is_outside_the_pool(
    api: httpx.Client, clips: list[Path]
) -> None:
    _video(api, clips[0], "ready", *EVERYTHING)
    _video(api, clips[1], "captioned", "captions")
    _video(api, clips[2], "transcribed")

    assert _search(api, "ready")["search_pool"]["video_count"] == 1
    assert _search(api, "x", strategy="text")["search_pool"]["video_count"] == 3
    captions_only = _search(api, "x", strategy="text", fields=["captions"])
    assert captions_only["search_pool"]["video_count"] == 2


def test_search_pages_walk_every_moment_once_and_cap_the_page_at_50(
    api: httpx.Client, tmp_path: Path
) -> None:
    video_id = uploaded_v2(api, write_sample_video(tmp_path / "long.mp4", seconds=60))
    run_features(api, video_id, *EVERYTHING, min_len=1, max_len=1)
    body = {"threshold": "none", "page_limit": 7}

    walked, token = [], None
    for _ in range(20):
        page = _search(api, "anything", **body, **({"page_token": token} if token else {}))
        walked.extend(page["data"])
        token = page["next_page_token"]
        if token is None:
            break
    capped = _search(api, "anything", threshold="none", page_limit=500)

    assert token is None and len(walked) == 60
    assert [r["rank"] for r in walked] == list(range(1, 61))
    assert sorted(r["start"] for r in walked) == list(range(60))
    assert len(capped["data"]) == 50 and capped["next_page_token"] is not None


def test_a_bad_page_limit_or_another_query_s_token_is_422(
    api: httpx.Client, clips: list[Path]
) -> None:
    _video(api, clips[0], "clip", *EVERYTHING)
    token = _search(api, "clip", page_limit=1)["next_page_token"]

    too_small = api.post("/v2/search", json={"query": "clip", "page_limit": 0})
    elsewhere = api.post("/v2/search", json={"query": "else", "page_token": token})
    garbled = api.post("/v2/search", json={"query": "clip", "page_token": "x" + token})

    assert error_of(too_small, 422)["param"] == "page_limit"
    assert error_of(elsewhere, 422)["param"] == "page_token"
    assert error_of(garbled, 422)["details"][0]["loc"] == ["body", "page_token"]


def test_a_report_comes_only_when_asked(api: httpx.Client, clips: list[Path]) -> None:
    _video(api, clips[0], "Lighthouse", *EVERYTHING)

    assert _search(api, "lighthouse")["report"] is None
    report = _search(api, "lighthouse", include_report=True)["report"]
    assert report.startswith(SYNTHETIC) and "'Lighthouse'" in report


# --- chat ---------------------------------------------------------------------------------


def _chat(api: httpx.Client, context: list[dict[str, Any]], *questions: str) -> httpx.Response:
    messages = [{"role": "user", "content": q} for q in questions]
    return api.post("/v2/chat", json={"messages": messages, "context": context})


def test_chat_needs_captions_and_cites_each_video_and_range(
    api: httpx.Client, clips: list[Path]
) -> None:
    first = _video(api, clips[0], "Lighthouse")
    error = error_of(_chat(api, [{"video_id": first}], "What is shown?"), 409)
    assert error["message"] == "Feature 'captions' is not ready. Current status: none"
    run_features(api, first, "captions", min_len=3, max_len=5)
    second = _video(api, clips[1], "Harbour", "captions")

    response = _chat(api, [{"video_id": first}, {"video_id": second, "start": 4}], "What is shown?")

    answer = conforming(response, "V2ChatResponse")
    assert answer["model"] == "videosync-emulator-synthetic"
    assert answer["response"].startswith(SYNTHETIC)
    assert "'Lighthouse' (0.0-12.0 s)" in answer["response"]
    assert "'Harbour' (4.0-12.0 s)" in answer["response"]
    assert (
        _chat(api, [{"video_id": first}, {"video_id": second, "start": 4}], "What is shown?").json()
        == answer
    )


def test_chat_refuses_a_conversation_not_ending_with_the_user_or_without_context(
    api: httpx.Client, clips: list[Path]
) -> None:
    video_id = _video(api, clips[0], "clip", "captions")
    ending = {
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
        ],
        "context": [{"video_id": video_id}],
    }

    assert error_of(api.post("/v2/chat", json=ending), 422)["param"] == "messages"
    assert error_of(_chat(api, [], "hi"), 422)["param"] == "context"
    assert error_of(_chat(api, [{"video_id": "nope"}], "hi"), 404)["param"] == "video_id"
    assert error_of(_chat(api, [{"video_id": video_id, "start": 99}], "hi"), 422)["param"] == (
        "context"
    )


def test_filter_and_timestamp_range_narrow_the_moments(
    api: httpx.Client, clips: list[Path], tmp_path: Path
) -> None:
    short = _video(api, clips[0], "walk", *EVERYTHING)
    _video(api, write_sample_video(tmp_path / "long.mp4", seconds=20), "walk", *EVERYTHING)

    by_duration = _search(api, "walk", filter={"duration": {"lte": 15}})
    in_range = _search(api, "walk", timestamp_from=4, timestamp_to=8, page_limit=50)

    assert {r["video_id"] for r in by_duration["data"]} == {short}
    assert by_duration["search_pool"] == {"video_count": 1, "total_duration": 12.0}
    assert in_range["data"]
    assert all(r["end"] > 4 and r["start"] < 8 for r in in_range["data"])
