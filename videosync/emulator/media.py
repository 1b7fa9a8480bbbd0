"""Reading a stored file with PyAV (FFmpeg): its metadata, proof it decodes, its scene cuts.

PyAV rather than a container parser such as hachoir: decoding a frame is what tells a
playable video from a file that merely has a plausible header.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
from av.video.reformatter import VideoReformatter

__all__ = ["CUT_THRESHOLD", "MIN_SCENE", "MediaInfo", "MediaScan", "NotAVideo", "probe", "scan"]

CUT_THRESHOLD = 0.35
"""Mean grey difference (0..1) between two frames' thumbnails that makes a scene cut."""

MIN_SCENE = 0.5
"""Seconds: a change sooner than this after the previous cut is not another cut."""

_THUMB = (16, 9)
_THUMB = (16, 9)


@dataclass(frozen=True)
class MediaInfo:
    """What the API's Video metadata says about the picture (field names = store columns)."""

    width: int
    height: int
    avg_fps: float | None
    duration: float | None
    """Seconds."""


class NotAVideo(Exception):
    """The file has no decodable video stream; the message says why."""


def probe(path: Path) -> MediaInfo:
    """Read width, height, frame rate and duration of `path`, decoding one frame to be sure.

    Blocking (it reads the file): call it from a worker thread in the server.
    """
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise NotAVideo("no video stream in the file")
            stream = container.streams.video[0]
            # One frame needs no decoder threads: starting them costs more than the decode.
            stream.codec_context.thread_count = 1
            if next(iter(container.decode(stream)), None) is None:
                raise NotAVideo("the video stream has no decodable frame")
            rate = stream.average_rate
            if container.duration is not None:
                duration: float | None = container.duration / av.time_base
            elif stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = None
            return MediaInfo(
                width=int(stream.codec_context.width),
                height=int(stream.codec_context.height),
                avg_fps=round(float(rate), 3) if rate else None,
                duration=round(duration, 3) if duration is not None else None,
            )
    except av.FFmpegError as exc:
        raise NotAVideo(f"not a decodable video: {exc.strerror or exc}") from exc


@dataclass(frozen=True)
class MediaScan:
    """What one decode of the file tells: each frame's time and where the scenes cut."""

    frame_times: tuple[float, ...]
    cuts: tuple[float, ...]


def _thumbnail(frame: av.VideoFrame, shrink: VideoReformatter) -> bytes:
    width, height = _THUMB
    small = shrink.reformat(frame, width=width, height=height, format="gray", interpolation="AREA")
    plane = small.planes[0]
    raw, stride = bytes(plane), plane.line_size
    return b"".join(raw[row * stride : row * stride + width] for row in range(height))


def _difference(a: bytes, b: bytes) -> float:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / (255 * len(a))


def scan(path: Path) -> MediaScan:
    """Every frame's time and the scene cuts of `path`: one decode. Blocking (a worker thread).

    A cut is where the picture changes at once: each frame is shrunk to a 16x9 grey
    thumbnail and compared with the one before; a mean difference over `CUT_THRESHOLD` (of
    full scale) is a cut, unless it comes less than `MIN_SCENE` after the previous one.
    """
    times: list[float] = []
    cuts: list[float] = []
    previous: bytes | None = None
    shrink = VideoReformatter()  # one for the file: it keeps its scaler between frames
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                if frame.time is None or (times and frame.time <= times[-1]):
                    continue
                now = max(0.0, float(frame.time))
                thumbnail = _thumbnail(frame, shrink)
                changed = previous is not None and _difference(previous, thumbnail) > CUT_THRESHOLD
                if changed and now - (cuts[-1] if cuts else 0.0) >= MIN_SCENE:
                    cuts.append(round(now, 3))
                previous = thumbnail
                times.append(round(now, 3))
    except av.FFmpegError:
        pass  # a damaged tail: what decoded before it is what the video has
    return MediaScan(frame_times=tuple(times), cuts=tuple(cuts))
