"""Write the example videos: `python scripts/make_media.py DIR` (`make media`).

The files are generated, not committed: a few seconds each, deterministic, real H.264 MP4
(PyAV with its bundled libx264). `DIR/clips/` holds the ones the manifest's glob examples
match. Existing files are left as they are.
"""

from __future__ import annotations

import sys
from pathlib import Path

from videosync.samplemedia import write_sample_video

# (relative path, seconds, seed): distinct seeds give distinct bytes and content hashes.
EXAMPLES: tuple[tuple[str, float, int], ...] = (
    ("intro.mp4", 3.0, 1),
    ("keynote.mp4", 4.0, 2),
    ("clips/clip-01.mp4", 2.0, 3),
    ("clips/clip-02.mp4", 2.0, 4),
    ("clips/extra/clip-03.mp4", 2.0, 5),
)


def make_media(directory: Path) -> list[Path]:
    """Write every example file missing under `directory`; return all their paths."""
    paths = []
    for relative, seconds, seed in EXAMPLES:
        path = directory / relative
        if not path.exists():
            write_sample_video(path, seconds=seconds, seed=seed)
        paths.append(path)
    return paths


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: make_media.py DIR", file=sys.stderr)
        return 2
    for path in make_media(Path(argv[0])):
        print(f"{path}  {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
