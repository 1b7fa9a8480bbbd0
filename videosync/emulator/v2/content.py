"""What the v2 reads show of a stored video: real timing from the file, synthetic words.

Real, read from the media with PyAV (`media.scan`): the duration, every frame's timestamp,
and the scene cuts. That takes one decode of the file, done in a worker thread and cached
per video (and file size).

Synthetic, drawn from a generator seeded by the video id (the same video always reads the
same): the words of the transcript, the captions, the people found in objects and segment
detections. Every synthetic text starts with `SYNTHETIC`, so nobody takes it for a model's
output. Chunks (the unit of captions, objects and search) follow the transcript's
`chunking_config`: lengths drawn between `min_len` and `max_len`, or, with
`use_scene_detection`, ending at the first real cut at least `min_len` in.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread

from videosync.emulator.media import MediaScan, scan
from videosync.emulator.state import EmulatorState
from videosync.emulator.store import VideoRecord
from videosync.emulator.v2.decisions import OBJECT_TYPE, SEGMENT_FRAMES_PER_SECOND

__all__ = [
    "SYNTHETIC",
    "Chunk",
    "Span",
    "VideoContent",
    "content_of",
    "scan_of",
    "segment_frames",
]

SYNTHETIC = "[synthetic]"
"""The first word of every made-up text."""

_DEFAULT_CHUNKING = {"min_len": 15.0, "max_len": 25.0, "use_scene_detection": False}
_OBJECT_SAMPLE_FPS = 1.0
"""Frames a second on which objects reports people (at most `person_localization.max_fps`)."""

_WORDS = tuple(
    " ".join(
        (
            "the camera pans across a quiet harbor while someone describes the morning light",
            "boats move slowly past the pier and a voice explains the plan for the day",
            "people walk along the street near the market under a bright sky",
            "a speaker points at the screen and talks about the next step of the project",
            "the team reviews the results and agrees to try again tomorrow",
            "music plays softly as the scene changes to a wide view of the city",
        )
    ).split(" ")
)
_SHOTS = ("wide shot", "close-up", "medium shot", "slow pan", "static shot", "tracking shot")
_SUBJECTS = ("a street", "a harbor", "a room", "a screen", "a group of people", "a landscape")


@dataclass(frozen=True)
class Span:
    """A stretch of the video with a text (a transcript segment or word, a caption)."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Chunk:
    """One chunk of the video: the unit of captions, objects and search results."""

    index: int
    start: float
    end: float
    transcript: str
    caption: str


@functools.lru_cache(maxsize=64)
def _cached_scan(path: str, video_id: str, size: int | None) -> MediaScan:
    return scan(Path(path))


async def scan_of(state: EmulatorState, video: VideoRecord) -> MediaScan:
    """The video's frame times and scene cuts (decoded once per file, in a worker thread)."""
    path = str(state.store.file_path(video.video_id))
    return await anyio.to_thread.run_sync(_cached_scan, path, video.video_id, video.size)


def _duration(video: VideoRecord, scan: MediaScan) -> float:
    if video.duration:
        return float(video.duration)
    if scan.frame_times:
        step = 1 / video.avg_fps if video.avg_fps else 0.04
        return round(scan.frame_times[-1] + step, 3)
    return 0.0


def _boundaries(
    duration: float, config: Mapping[str, Any], cuts: Sequence[float], rng: random.Random
) -> list[tuple[float, float]]:
    min_len = max(0.5, float(config.get("min_len", _DEFAULT_CHUNKING["min_len"])))
    max_len = max(min_len, float(config.get("max_len", _DEFAULT_CHUNKING["max_len"])))
    scenes = bool(config.get("use_scene_detection", False))
    spans: list[tuple[float, float]] = []
    start = 0.0
    while duration - start > 1e-6:
        snaps = [c for c in cuts if start + min_len <= c < min(start + max_len, duration)]
        if scenes and snaps:
            end = snaps[0]
        elif duration - start <= max_len:
            end = duration
        else:
            end = round(start + rng.uniform(min_len, max_len), 3)
        spans.append((start, end))
        start = end
    return spans


def _sentence(rng: random.Random, words: int) -> str:
    first = rng.randrange(len(_WORDS))
    chosen = [_WORDS[(first + i) % len(_WORDS)] for i in range(max(1, words))]
    return f"{SYNTHETIC} {' '.join(chosen).capitalize()}."


def _segments(rng: random.Random, start: float, end: float) -> list[Span]:
    spans = []
    at = start
    while end - at > 1e-6:
        stop = min(end, round(at + rng.uniform(2.5, 6.0), 3))
        if end - stop < 1.0:
            stop = end
        spans.append(Span(at, stop, _sentence(rng, round((stop - at) * 2.5))))
        at = stop
    return spans


def _caption(rng: random.Random, index: int, start: float, end: float, cuts: int) -> str:
    changes = f"{cuts} scene change{'s' if cuts != 1 else ''}"
    return (
        f"{SYNTHETIC} Chunk {index + 1}, {start:.1f}-{end:.1f} s: a {rng.choice(_SHOTS)} of "
        f"{rng.choice(_SUBJECTS)}; {changes} in the real picture."
    )


@dataclass(frozen=True)
class VideoContent:
    """Everything the reads, search and chat show of one video."""

    video_id: str
    duration: float
    width: int
    height: int
    scan: MediaScan
    chunks: tuple[Chunk, ...]
    segments: tuple[Span, ...]
    objects_seed: str

    def scenes(self) -> list[tuple[float, float]]:
        """Each scene's (start, end): from cut to cut, the first from 0, the last to the end."""
        edges = [0.0, *(c for c in self.scan.cuts if 0 < c < self.duration), self.duration]
        return [(a, b) for a, b in itertools.pairwise(edges) if b > a]

    def words(self) -> list[Span]:
        """Each word of the transcript, its segment's time shared out evenly."""
        found = []
        for segment in self.segments:
            tokens = segment.text.split()
            step = (segment.end - segment.start) / len(tokens)
            for i, token in enumerate(tokens):
                start = round(segment.start + i * step, 3)
                end = segment.end if i == len(tokens) - 1 else round(start + step, 3)
                found.append(Span(start, end, token))
        return found

    def objects(self, options: Mapping[str, Any]) -> list[dict[str, Any]]:
        """`ObjectSegment` of each chunk: up to two people, tracked on sampled real frames."""
        config = options.get("person_localization") or {}
        per_chunk = min(2, int(config.get("max_objects_per_chunk", 10)))
        rate = min(_OBJECT_SAMPLE_FPS, float(config.get("max_fps", 15)))
        times = self.scan.frame_times
        found = []
        for chunk in self.chunks:
            rng = random.Random(f"{self.objects_seed}:{chunk.index}")
            people = [self._box(rng) for _ in range(rng.randint(0, max(0, per_chunk)))]
            detections = []
            for frame in _sampled(times, chunk.start, chunk.end, rate):
                drift = round((times[frame] - chunk.start) * 2)
                for x, y, w, h in people:
                    left = min(max(0, x + drift), self.width - w)
                    detections.append(
                        {
                            "type": OBJECT_TYPE,
                            "person_id": None,
                            "bbox": [left, y, left + w, y + h],
                            "frame_idx": frame,
                            "frame_timestamp_start": times[frame],
                            "frame_timestamp_end": _frame_end(times, frame, self.duration),
                        }
                    )
            found.append({"start": chunk.start, "end": chunk.end, "detections": detections})
        return found

    def _box(self, rng: random.Random) -> tuple[int, int, int, int]:
        w = max(1, round(self.width * rng.uniform(0.15, 0.3)))
        h = max(1, round(self.height * rng.uniform(0.4, 0.8)))
        return rng.randint(0, self.width - w), rng.randint(0, self.height - h), w, h


def _frame_end(times: Sequence[float], frame: int, duration: float) -> float:
    return times[frame + 1] if frame + 1 < len(times) else max(times[frame], duration)


def _sampled(times: Sequence[float], start: float, end: float, rate: float) -> list[int]:
    """Index of the first real frame at or after each 1/`rate` s from `start`, before `end`."""
    frames: list[int] = []
    step = 1 / rate
    at = start
    while at < end:
        i = bisect.bisect_left(times, at - 1e-6)
        if i < len(times) and times[i] < end and (not frames or i != frames[-1]):
            frames.append(i)
        at += step
    return frames


async def content_of(
    state: EmulatorState, video: VideoRecord, transcript_options: Mapping[str, Any] | None
) -> VideoContent:
    """The video's chunks, transcript and captions, chunked as its transcript run asked."""
    scan = await scan_of(state, video)
    duration = _duration(video, scan)
    config = (transcript_options or {}).get("chunking_config") or {}
    rng = random.Random(f"{video.video_id}:chunks")
    chunks = []
    segments: list[Span] = []
    for index, (start, end) in enumerate(_boundaries(duration, config, scan.cuts, rng)):
        said = _segments(random.Random(f"{video.video_id}:transcript:{index}"), start, end)
        segments.extend(said)
        cuts = sum(1 for c in scan.cuts if start < c < end)
        caption = _caption(
            random.Random(f"{video.video_id}:caption:{index}"), index, start, end, cuts
        )
        chunks.append(Chunk(index, start, end, " ".join(s.text for s in said), caption))
    return VideoContent(
        video_id=video.video_id,
        duration=duration,
        width=video.width or 0,
        height=video.height or 0,
        scan=scan,
        chunks=tuple(chunks),
        segments=tuple(segments),
        objects_seed=f"{video.video_id}:objects",
    )


def segment_frames(
    content: VideoContent, prompts: Sequence[str], start: float, end: float, threshold: float
) -> list[dict[str, Any]]:
    """`SegmentFrame`s of the window: real frames, synthetic detections of each prompt."""
    times = content.scan.frame_times
    frames = []
    for frame in _sampled(times, start, end, SEGMENT_FRAMES_PER_SECOND):
        detections = []
        for index, prompt in enumerate(prompts):
            rng = random.Random(f"{content.video_id}:segment:{prompt.lower()}:{frame}")
            for _ in range(rng.choice((0, 1, 1, 2))):
                score = round(rng.random(), 3)
                x_min = rng.uniform(0, content.width * 0.7)
                y_min = rng.uniform(0, content.height * 0.5)
                x_max = min(content.width, x_min + rng.uniform(0.1, 0.3) * content.width)
                y_max = min(content.height, y_min + rng.uniform(0.2, 0.5) * content.height)
                if score < threshold:
                    continue
                box = {"x_min": x_min, "y_min": y_min, "x_max": x_max, "y_max": y_max}
                detections.append(
                    {
                        "label": prompt,
                        "prompt_index": index,
                        "score": score,
                        "bbox": {k: round(v, 1) for k, v in box.items()},
                    }
                )
        frames.append({"timestamp": times[frame], "detections": detections})
    return frames
