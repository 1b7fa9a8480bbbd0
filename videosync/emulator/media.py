"""Reading a stored file's video metadata with PyAV (FFmpeg), and proving it decodes.

PyAV rather than a container parser such as hachoir: decoding a frame is what tells a
playable video from a file that merely has a plausible header.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

__all__ = ["MediaInfo", "NotAVideo", "probe"]


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
