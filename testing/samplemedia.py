"""Small, real, deterministic H.264 videos for tests, examples and the demo.

Encoded with PyAV, whose wheel bundles FFmpeg and libx264, so no system ffmpeg is needed.
The same arguments always give the same bytes; a different `seed` gives a different
colour sequence and therefore a different file (and content hash).
"""

from __future__ import annotations

import random
from pathlib import Path

import av

__all__ = ["EXAMPLE_SET", "write_example_set", "write_sample_video"]

EXAMPLE_SET: tuple[tuple[str, float, int], ...] = (
    ("intro.mp4", 3.0, 1),
    ("outro.mp4", 2.0, 6),
    ("keynote.mp4", 4.0, 2),
    ("clips/clip-01.mp4", 2.0, 3),
    ("clips/clip-02.mp4", 2.0, 4),
    ("clips/extra/clip-03.mp4", 2.0, 5),
)
"""The example videos (relative path, seconds, seed); `clips/` is for the glob examples."""


def _frame_colours(seed: int, frames: int) -> list[bytes]:
    """One opaque RGBA pixel per frame: a seeded start colour drifting by a seeded step."""
    rng = random.Random(seed)
    start = [rng.randrange(256) for _ in range(3)]
    step = [rng.randrange(1, 7) for _ in range(3)]
    colours = []
    for i in range(frames):
        rgb = [(c + s * i) % 256 for c, s in zip(start, step, strict=True)]
        colours.append(bytes([*rgb, 255]))
    return colours


def write_sample_video(
    path: Path,
    *,
    seconds: float = 2.0,
    width: int = 160,
    height: int = 120,
    fps: int = 24,
    seed: int = 0,
) -> Path:
    """Write an H.264 MP4 of `seconds` at `width`x`height` and `fps` to `path`; return `path`.

    Each frame is a flat colour with a moving bar, so the encoder has something to do but
    the file stays small (tens of KB).
    """
    frames = max(1, round(seconds * fps))
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        # Single-threaded with fixed options: libx264's output then depends only on input.
        stream.codec_context.options = {"preset": "veryfast", "crf": "30", "threads": "1"}
        stream.codec_context.thread_count = 1
        bar = max(1, width // 8)
        for i, colour in enumerate(_frame_colours(seed, frames)):
            x = (i * 4) % max(1, width - bar)
            inverse = bytes([*(255 - c for c in colour[:3]), 255])
            row = colour * x + inverse * bar + colour * (width - x - bar)
            frame = av.VideoFrame.from_bytes(row * height, width, height, format="rgba")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_example_set(directory: Path) -> list[Path]:
    """Write every file of `EXAMPLE_SET` missing under `directory`; return all their paths."""
    paths = []
    for relative, seconds, seed in EXAMPLE_SET:
        path = directory / relative
        if not path.exists():
            write_sample_video(path, seconds=seconds, seed=seed)
        paths.append(path)
    return paths
