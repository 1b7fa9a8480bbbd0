"""The vendor's official client, reka-mcp 0.1.10, works against the emulator unchanged.

The client runs in a venv of its own (`make .venv-reka`: it needs Python >= 3.12 and
mcp < 2); tests/emulator/reka_mcp_driver.py, run there, calls every tool of its MCP stdio
server and every method of its Python API against this emulator, with only the documented
base-URL and key settings changed, and prints a JSON report. This test reads the report as a
user would read the client's answers: each call succeeded, and what it says is sensible
(names, groups, feature statuses, times inside the video, search hits, answers, frames).
Every problem is listed at once, each with the call that showed it.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from testing.samplemedia import write_sample_video
from tests.conftest import API_KEY
from videosync.emulator import RunningEmulator

REPO = Path(__file__).resolve().parents[2]
REKA_PYTHON = REPO / ".venv-reka" / "bin" / "python"
DRIVER = Path(__file__).with_name("reka_mcp_driver.py")

SECONDS = 4.0
WIDTH, HEIGHT = 320, 240
SLACK = 0.25
"""Seconds a reported duration or time may stray past the video's (frame and packet rounding)."""

FEATURE_STATUSES = {"none", "pending", "processing", "ready", "failed", "blocked"}


class Report:
    """The driver's report, and the problems found in it so far."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.calls = {c["label"]: c for c in data.get("calls", [])}
        self.problems: list[str] = []

    def problem(self, label: str, text: str) -> None:
        call = self.calls.get(label, {})
        self.problems.append(f"{label} ({call.get('via')} {call.get('name')}): {text}")

    def result(self, label: str) -> Any:
        """The result of call `label`; None (and no extra problem) when it failed or is absent."""
        call = self.calls.get(label)
        if call is None:
            self.problems.append(f"{label}: the driver made no such call")
            return None
        return call.get("result") if call.get("ok") else None

    def check(self, label: str, condition: bool, text: str) -> None:
        if not condition and self.calls.get(label, {}).get("ok"):
            self.problem(label, text)

    def times(
        self, label: str, items: Iterable[Any], low: float = 0.0, high: float = SECONDS
    ) -> None:
        """Every item's start/end is a number inside [low, high] (with slack), start <= end."""
        for item in items:
            start, end = _get(item, "start"), _get(item, "end")
            if not (_number(start) and _number(end)):
                self.problem(label, f"no numeric start/end in {item!r:.200}")
            elif not (low - SLACK <= start <= end <= high + SLACK):
                self.problem(label, f"times {start}..{end} not within {low}..{high}: {item!r:.200}")


def _get(value: Any, *keys: str | int) -> Any:
    for key in keys:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _ids(videos: Any) -> list[Any]:
    return [v.get("video_id") for v in videos or [] if isinstance(v, dict)]


def _named(videos: Any, video_id: str) -> Any:
    for video in videos or []:
        if isinstance(video, dict) and video.get("video_id") == video_id:
            return _get(video, "metadata", "video_name")
    return None


@pytest.mark.slow
def test_official_client_reka_mcp_works_against_the_emulator(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    if not REKA_PYTHON.exists():
        pytest.fail(f"{REKA_PYTHON} is missing: run `make .venv-reka`", pytrace=False)
    media = tmp_path / "media"
    videos = [
        write_sample_video(
            media / f"reka-{seed}.mp4", seconds=SECONDS, width=WIDTH, height=HEIGHT, seed=seed
        )
        for seed in (11, 12, 13)
    ]
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    args = ["--api-url", emulator.url, "--api-key", API_KEY, "--videos", *map(str, videos)]
    done = subprocess.run(
        [str(REKA_PYTHON), str(DRIVER), *args],
        capture_output=True,
        text=True,
        timeout=150,
        env=env,
        check=False,
    )
    if done.returncode == 2 or not done.stdout.strip():
        pytest.fail(f"the driver broke (exit {done.returncode}):\n{done.stderr[-6000:]}")
    report = Report(json.loads(done.stdout))
    (tmp_path / "report.json").write_text(done.stdout)

    check_setup(report)
    for call in report.data["calls"]:
        if not call.get("ok"):
            expected = call.get("expected_error")
            detail = f"expected {expected}, got " if expected else ""
            args_text = json.dumps(call.get("args"))[:300]
            report.problem(
                call["label"],
                f"{detail}{call.get('error') or call.get('result')!s:.600} [args {args_text}]",
            )
    check_mcp_videos(report)
    check_mcp_reads(report)
    check_mcp_search_ask_segment(report)
    check_mcp_groups(report)
    check_python_api(report)
    check_python_reads(report)
    check_python_groups_and_rest(report)

    if report.problems:
        listing = "\n".join(f"- {p}" for p in report.problems)
        pytest.fail(
            f"reka-mcp against the emulator: {len(report.problems)} problem(s); full report in "
            f"{tmp_path / 'report.json'}\n{listing}\n--- driver stderr (tail) ---\n"
            f"{done.stderr[-3000:]}",
            pytrace=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]


def check_setup(report: Report) -> None:
    data = report.data
    versions = data.get("versions", {})
    if versions.get("reka-mcp") != "0.1.10" or not str(versions.get("mcp", "2")).startswith("1."):
        report.problems.append(f".venv-reka holds {versions}; rebuild it: make .venv-reka")
    for crash in ("mcp_crash", "python_crash"):
        if crash in data:
            report.problems.append(f"{crash}: {data[crash]}")
    listed = data.get("mcp", {}).get("tools_listed", [])
    if len(listed) < 17:
        report.problems.append(f"the MCP server listed only {listed}")
    if data.get("tools_not_called"):
        report.problems.append(f"tools never called: {data['tools_not_called']}")
    if data.get("methods_not_called"):
        report.problems.append(f"RekaClient methods never called: {data['methods_not_called']}")


def check_mcp_videos(report: Report) -> None:
    facts = report.data.get("mcp", {})
    url_id, file_id, group_a = facts.get("url_video"), facts.get("file_video"), facts.get("group_a")
    upload = report.result("mcp.upload_video")
    report.check(
        "mcp.upload_video",
        _get(upload, "status") in ("uploading", "uploaded") and isinstance(url_id, str),
        f"answer {upload}",
    )
    video = report.result("mcp.get_video.uploaded")
    report.check("mcp.get_video.uploaded", _get(video, "status") == "uploaded", f"got {video}")
    report.check(
        "mcp.get_video.uploaded",
        _get(video, "metadata", "video_name") == "reka-mcp url upload"
        and _get(video, "metadata", "description") == "uploaded by reka-mcp from a URL"
        and _get(video, "group_id") == group_a,
        f"name, description or group not as uploaded: {video}",
    )
    duration = _get(video, "metadata", "duration")
    report.check(
        "mcp.get_video.uploaded",
        _number(duration) and abs(duration - SECONDS) <= SLACK,
        f"duration {duration}, the file has {SECONDS} s",
    )
    report.check(
        "mcp.get_video.uploaded",
        (_get(video, "metadata", "width"), _get(video, "metadata", "height")) == (WIDTH, HEIGHT),
        f"size not {WIDTH}x{HEIGHT}: {_get(video, 'metadata')}",
    )
    failed = report.result("mcp.get_video.missing_url")
    report.check(
        "mcp.get_video.missing_url",
        _get(failed, "status") == "failed" and bool(_get(failed, "error")),
        f"an upload from a URL that answers 404 should end 'failed' with an error: {failed}",
    )
    for label, wanted in (
        ("mcp.index_video.file_path", ["captions", "transcript"]),
        ("mcp.index_video.video_id", ["captions", "embeddings", "transcript"]),
    ):
        indexed = report.result(label)
        report.check(
            label,
            _get(indexed, "status") == "ready"
            and all(_get(indexed, "features", f) == "ready" for f in wanted),
            f"not ready: {indexed}",
        )
    indexed_video = report.result("mcp.get_video.indexed")
    features = _get(indexed_video, "features") or {}
    report.check(
        "mcp.get_video.indexed",
        all(features.get(f) == "ready" for f in ("transcript", "captions", "embeddings"))
        and set(features.values()) <= FEATURE_STATUSES,
        f"features {features}",
    )

    listing = report.result("mcp.list_videos")
    report.check(
        "mcp.list_videos",
        {url_id, file_id} <= set(_ids(listing))
        and _named(listing, url_id) == "reka-mcp url upload",
        f"uploaded videos {url_id}, {file_id} (named 'reka-mcp url upload') not listed: "
        f"{[(v, _named(listing, v)) for v in _ids(listing)]}",
    )
    report.check(
        "mcp.list_videos",
        _named(listing, file_id) == Path(facts.get("file_path", "")).name,
        f"the one-step file upload (sent without a name) is named {_named(listing, file_id)!r}",
    )
    in_a = report.result("mcp.list_videos.group_a")
    report.check("mcp.list_videos.group_a", _ids(in_a) == [url_id], f"group A holds {_ids(in_a)}")
    groups = report.result("mcp.list_groups")
    report.check(
        "mcp.list_groups",
        any(
            _get(g, "group_id") == group_a and _get(g, "name") == "reka-mcp group A"
            for g in groups or []
        ),
        f"group A missing: {groups}",
    )
    for label in ("mcp.update_video.rename", "mcp.get_video.renamed"):
        renamed = report.result(label)
        report.check(
            label,
            _get(renamed, "metadata", "video_name") == "reka-mcp renamed"
            and _get(renamed, "metadata", "title") == "A title from reka-mcp"
            and _get(renamed, "metadata", "description") == "described again by reka-mcp"
            and _get(renamed, "group_id") == group_a,
            f"rename not shown (or group lost): {_get(renamed, 'metadata')}, group "
            f"{_get(renamed, 'group_id')}",
        )
    listing = report.result("mcp.list_videos.renamed")
    report.check(
        "mcp.list_videos.renamed",
        _named(listing, url_id) == "reka-mcp renamed",
        f"listing names it {_named(listing, url_id)!r}",
    )


def check_mcp_reads(report: Report) -> None:
    text = report.result("mcp.get_transcript.text")
    report.check(
        "mcp.get_transcript.text",
        bool(_get(text, "text")) and _get(text, "truncated") is False,
        f"empty transcript text: {text}",
    )
    for label in (
        "mcp.get_transcript.segments",
        "mcp.get_captions",
        "mcp.get_scenes",
        "mcp.get_captions.file_video",
    ):
        listing = report.result(label)
        items = _get(listing, "data") or []
        report.check(label, bool(items), f"no items: {listing}")
        report.times(label, items)
    for item in _get(report.result("mcp.get_transcript.segments"), "data") or []:
        if not (isinstance(item.get("text"), str) and item["text"].strip()):
            report.problem("mcp.get_transcript.segments", f"segment without text: {item}")
    for item in _get(report.result("mcp.get_captions"), "data") or []:
        if not (isinstance(item.get("caption"), str) and item["caption"].strip()):
            report.problem("mcp.get_captions", f"caption without text: {item}")
    scenes = _get(report.result("mcp.get_scenes"), "data") or []
    if [s.get("index") for s in scenes] != list(range(len(scenes))) and scenes:
        report.problem("mcp.get_scenes", f"scene indexes not 0..n-1: {scenes}")
    text_window = report.result("mcp.get_transcript.text_window")
    report.check(
        "mcp.get_transcript.text_window",
        bool(_get(text_window, "text")),
        f"no text between 1 and 3 s: {text_window}",
    )
    captions_window = _get(report.result("mcp.get_captions.window"), "data") or []
    report.check("mcp.get_captions.window", bool(captions_window), "no caption in 0..2 s")
    for item in captions_window:
        if not (_get(item, "start") <= 2.0 + SLACK and _get(item, "end") >= -SLACK):
            report.problem("mcp.get_captions.window", f"outside 0..2 s: {item}")
    words = _get(report.result("mcp.get_transcript.words"), "data")
    report.check("mcp.get_transcript.words", bool(words), f"no words: {words}")
    report.times("mcp.get_transcript.words", [w for w in words or [] if "start" in w])
    window = _get(report.result("mcp.get_transcript.window"), "data") or []
    for item in window:
        if not (_get(item, "start") <= 1.0 + SLACK and _get(item, "end") >= -SLACK):
            report.problem("mcp.get_transcript.window", f"outside 0..1 s: {item}")
    summary = report.result("mcp.summarize_video")
    report.check(
        "mcp.summarize_video",
        _get(summary, "name") == "reka-mcp renamed"
        and "warnings" not in (summary or {})
        and bool(_get(summary, "transcript_preview"))
        and (_get(summary, "scene_count") or 0) >= 1,
        f"summary {summary}",
    )


def check_mcp_search_ask_segment(report: Report) -> None:
    facts = report.data.get("mcp", {})
    url_id, file_id = facts.get("url_video"), facts.get("file_video")
    for label in ("mcp.search_videos", "mcp.search_videos.video_ids", "mcp.search_videos.group"):
        hits = _get(report.result(label), "results") or []
        report.check(
            label,
            url_id in _ids(hits),
            f"the video ({url_id}) is not found by its own caption words "
            f"{facts.get('search_query')!r}: {hits}",
        )
        report.times(label, hits)
        for hit in hits:
            if not (_number(hit.get("score")) and 0 <= hit["score"] <= 1):
                report.problem(label, f"score not in 0..1: {hit}")
        if label != "mcp.search_videos":
            report.check(label, set(_ids(hits)) <= {url_id}, f"hits outside the filter: {hits}")
        report.check(
            label,
            [h.get("rank") for h in hits] == list(range(1, len(hits) + 1))
            and _get(hits, 0, "video_id") == url_id,
            f"ranks not 1..n, or the video's own words do not rank it first: {hits}",
        )
    name_hits = [
        h.get("video_name")
        for h in _get(report.result("mcp.search_videos"), "results") or []
        if h.get("video_id") == url_id
    ]
    report.check(
        "mcp.search_videos",
        all(n == "reka-mcp renamed" for n in name_hits),
        f"hits name the video {name_hits}",
    )
    for label in (
        "mcp.ask_video",
        "mcp.ask_video.follow_up",
        "mcp.ask_video.follow_up.window",
        "mcp.ask_video.window",
        "mcp.ask_video.videos",
    ):
        answer = report.result(label)
        report.check(
            label,
            isinstance(_get(answer, "answer"), str)
            and bool(answer["answer"].strip())
            and bool(_get(answer, "conversation_id")),
            f"no answer: {answer}",
        )
    answer = str(_get(report.result("mcp.ask_video"), "answer") or "")
    report.check(
        "mcp.ask_video",
        "reka-mcp renamed" in answer or (url_id or "?") in answer,
        f"the answer does not cite the video (name 'reka-mcp renamed' or id): {answer[:300]!r}",
    )
    both = str(_get(report.result("mcp.ask_video.videos"), "answer") or "")
    report.check(
        "mcp.ask_video.videos",
        ("reka-mcp renamed" in both or (url_id or "?") in both)
        and ((file_id or "?") in both or Path(facts.get("file_path", "?")).name in both),
        f"the answer does not cite both videos: {both[:300]!r}",
    )
    check_segment(report, "mcp.segment_video", 0.5, 3.5, 0.3)
    check_segment(report, "mcp.segment_video.default_window", 0.0, SECONDS, 0.5)


def check_segment(report: Report, label: str, start: float, end: float, threshold: float) -> None:
    result = report.result(label)
    if result is None:
        return
    frames = result.get("frames") or []
    report.check(label, bool(frames), f"no frames: {result}")
    report.check(
        label,
        result.get("frame_count") == len(frames),
        f"frame_count {result.get('frame_count')} for {len(frames)} frames",
    )
    report.check(
        label,
        result.get("frame_size") == {"width": WIDTH, "height": HEIGHT},
        f"frame_size {result.get('frame_size')}",
    )
    for frame in frames:
        stamp = frame.get("timestamp")
        if not (_number(stamp) and start - 0.05 <= stamp <= end + 0.05):
            report.problem(label, f"frame at {stamp} outside the window {start}..{end}")
        for detection in frame.get("detections") or []:
            box = detection.get("bbox") or {}
            if not (_number(detection.get("score")) and detection["score"] >= threshold):
                report.problem(label, f"score under the threshold {threshold}: {detection}")
            if not (
                0 <= box.get("x_min", -1) <= box.get("x_max", -1) <= WIDTH
                and 0 <= box.get("y_min", -1) <= box.get("y_max", -1) <= HEIGHT
            ):
                report.problem(label, f"bbox outside the frame: {detection}")


def check_mcp_groups(report: Report) -> None:
    facts = report.data.get("mcp", {})
    url_id, file_id = facts.get("url_video"), facts.get("file_video")
    group_a, group_b = facts.get("group_a"), facts.get("group_b")
    moved = report.result("mcp.update_video.move_in")
    report.check("mcp.update_video.move_in", _get(moved, "group_id") == group_a, f"got {moved}")
    two = _ids(report.result("mcp.list_videos.group_a.two"))
    report.check("mcp.list_videos.group_a.two", set(two) == {url_id, file_id}, f"group A: {two}")
    out = report.result("mcp.update_video.ungroup")
    report.check(
        "mcp.update_video.ungroup",
        out is not None and out.get("group_id") is None,
        f"still grouped: {out}",
    )
    one = _ids(report.result("mcp.list_videos.group_a.one"))
    report.check("mcp.list_videos.group_a.one", one == [url_id], f"group A: {one}")
    for label in ("mcp.delete_group.empty", "mcp.delete_group.nonempty", "mcp.delete_video"):
        report.check(label, bool(_get(report.result(label), "status")), "no status")
    kept = report.result("mcp.get_video.after_group_delete")
    report.check(
        "mcp.get_video.after_group_delete",
        kept is not None and kept.get("group_id") is None,
        f"deleting its group should leave the video ungrouped: {kept}",
    )
    left = [_get(g, "group_id") for g in report.result("mcp.list_groups.after_deletes") or []]
    report.check(
        "mcp.list_groups.after_deletes",
        group_a not in left and group_b not in left,
        f"deleted groups still listed: {left}",
    )
    after = _ids(report.result("mcp.list_videos.after_delete"))
    report.check(
        "mcp.list_videos.after_delete",
        file_id not in after and url_id in after,
        f"listing after deleting {file_id}: {after}",
    )
    catalog = report.result("mcp.resource.features")
    report.check(
        "mcp.resource.features",
        isinstance(catalog, dict)
        and {"transcript", "captions", "embeddings", "objects"} <= set(catalog),
        f"catalog {catalog}",
    )
    video = report.result("mcp.resource.video")
    report.check("mcp.resource.video", _get(video, "video_id") == url_id, f"got {video}")


def check_python_api(report: Report) -> None:
    facts = report.data.get("python_api", {})
    vid, group_c = facts.get("python_video"), facts.get("group_c")
    catalog = report.result("py.get_feature_catalog") or {}
    report.check(
        "py.get_feature_catalog",
        {"transcript", "captions", "embeddings", "objects"} <= set(catalog)
        and "transcript" in (_get(catalog, "captions", "depends_on") or [])
        and _get(catalog, "transcript", "depends_on") == [],
        f"catalog {catalog}",
    )
    video = report.result("py.get_video.uploaded")
    report.check(
        "py.get_video.uploaded",
        _get(video, "status") == "uploaded"
        and _get(video, "metadata", "video_name") == "reka-mcp python upload"
        and _get(video, "metadata", "description") == "uploaded by the reka-mcp Python API"
        and _get(video, "group_id") == group_c,
        f"got {video}",
    )
    url_vid = facts.get("python_url_video")
    listed = report.result("py.list_videos.ids")
    report.check(
        "py.list_videos.ids",
        sorted(_ids(listed)) == sorted([vid, url_vid])
        and _named(listed, url_vid) == "reka-mcp py url"
        and _get(listed, 0, "status") == "uploaded"
        and _get(listed, 1, "status") == "uploaded",
        f"ids filter gave {listed}",
    )
    in_c = _ids(report.result("py.list_group_videos.c"))
    report.check("py.list_group_videos.c", in_c == [vid], f"group C holds {in_c}")
    first = report.result("py.plan_features.first")
    report.check(
        "py.plan_features.first",
        _get(first, "done") is False and "transcript" in (_get(first, "actionable") or []),
        f"plan of a fresh video: {first}",
    )
    for feature in ("transcript", "captions", "embeddings"):
        label = f"py.trigger_feature.{feature}"
        answer = report.result(label)
        report.check(
            label,
            _get(answer, "feature") == feature
            and _get(answer, "video_id") == vid
            and _get(answer, "status") in FEATURE_STATUSES - {"none", "failed", "blocked"},
            f"trigger answered {answer}",
        )
    done = report.result("py.plan_features.done")
    report.check(
        "py.plan_features.done",
        _get(done, "done") is True
        and all(
            _get(done, "statuses", f) == "ready" for f in ("transcript", "captions", "embeddings")
        ),
        f"plan after waiting {facts.get('features_wait')}: {done}",
    )
    triggered = report.result("py.objects.trigger")
    report.check(
        "py.objects.trigger",
        _get(triggered, "feature") == "objects" and _get(triggered, "status") in FEATURE_STATUSES,
        f"trigger answered {triggered}",
    )
    features = _get(report.result("py.get_video.features"), "features") or {}
    report.check(
        "py.get_video.features",
        all(
            features.get(f) == "ready" for f in ("transcript", "captions", "embeddings", "objects")
        ),
        f"features {features} (objects wait {facts.get('objects_wait')})",
    )


def check_python_reads(report: Report) -> None:
    objects = report.result("py.objects.read") or []
    report.check("py.objects.read", bool(objects), "no objects")
    report.times("py.objects.read", objects)
    for chunk in objects:
        for detection in chunk.get("detections") or []:
            report.times(
                "py.objects.read",
                [
                    {
                        "start": detection.get("frame_timestamp_start"),
                        "end": detection.get("frame_timestamp_end"),
                    }
                ],
                chunk.get("start", 0.0),
                chunk.get("end", SECONDS),
            )
            bbox = detection.get("bbox")
            if not (isinstance(bbox, list) and len(bbox) == 4 and all(map(_number, bbox))):
                report.problem("py.objects.read", f"bbox not 4 numbers: {detection}")
    for label in ("py.get_transcript.segments", "py.get_captions", "py.get_scenes"):
        items = report.result(label) or []
        report.check(label, bool(items), "no items")
        report.times(label, items)
    text = report.result("py.get_transcript.text")
    report.check("py.get_transcript.text", bool(_get(text, "text")), f"text {text}")
    words = report.result("py.get_transcript.words") or []
    report.check("py.get_transcript.words", bool(words), "no words")
    window = report.result("py.get_transcript.window") or []
    for item in window:
        if not (_get(item, "start") <= 1.5 + SLACK and _get(item, "end") >= -SLACK):
            report.problem("py.get_transcript.window", f"outside 0..1.5 s: {item}")
    for label, whole_label in (
        ("py.paginate.scenes.one_per_page", "py.get_scenes"),
        ("py.paginate.words.two_per_page", "py.get_transcript.words"),
    ):
        paged, whole = report.result(label), report.result(whole_label)
        report.check(
            label,
            paged == whole and len(paged or []) >= 2,
            f"small pages, followed by next_page_token, gave {paged}; one page {whole}",
        )


def check_python_groups_and_rest(report: Report) -> None:
    facts = report.data.get("python_api", {})
    vid, group_c, group_d = facts.get("python_video"), facts.get("group_c"), facts.get("group_d")
    moved = report.result("py.update_video.move_to_d")
    report.check("py.update_video.move_to_d", _get(moved, "group_id") == group_d, f"got {moved}")
    report.check(
        "py.list_group_videos.d",
        _ids(report.result("py.list_group_videos.d")) == [vid],
        f"group D holds {_ids(report.result('py.list_group_videos.d'))}",
    )
    report.check(
        "py.list_group_videos.c.empty",
        _ids(report.result("py.list_group_videos.c.empty")) == [],
        f"group C still holds {_ids(report.result('py.list_group_videos.c.empty'))}",
    )
    for label in ("py.search_videos.group", "py.search_videos.ids"):
        hits = report.result(label) or []
        report.check(
            label,
            vid in _ids(hits) and set(_ids(hits)) == {vid},
            f"query {facts.get('search_query')!r} found {hits}",
        )
        report.times(label, hits)
    out = report.result("py.update_video.ungroup")
    report.check(
        "py.update_video.ungroup", out is not None and out.get("group_id") is None, f"got {out}"
    )
    report.check(
        "py.list_group_videos.d.empty",
        _ids(report.result("py.list_group_videos.d.empty")) == [],
        "group D still holds the video",
    )
    renamed = report.result("py.update_video.rename")
    report.check(
        "py.update_video.rename",
        _get(renamed, "metadata", "video_name") == "reka-mcp python renamed"
        and _get(renamed, "metadata", "title") == "Python title"
        and _get(renamed, "group_id") is None,
        f"got {renamed}",
    )
    for label in ("py.chat", "py.chat.window"):
        answer = report.result(label)
        report.check(
            label,
            bool(str(_get(answer, "response") or "").strip()) and bool(_get(answer, "model")),
            f"answer {answer}",
        )
    check_segment(report, "py.segment_video", 0.0, 2.0, 0.3)
    after = _ids(report.result("py.list_videos.after_deletes"))
    report.check(
        "py.list_videos.after_deletes",
        vid not in after and facts.get("python_url_video") not in after,
        f"deleted videos still listed: {after}",
    )
    left = [_get(g, "group_id") for g in report.result("py.list_groups.after_deletes") or []]
    report.check(
        "py.list_groups.after_deletes",
        group_c not in left and group_d not in left,
        f"deleted groups still listed: {left}",
    )
