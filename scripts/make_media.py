"""Write the example videos: `python scripts/make_media.py DIR` (`make media`).

This is how `examples/catalog/media/` was made: a few seconds each, real H.264 MP4 (PyAV
with its bundled libx264). Those files are committed, not regenerated: the output is the
same from run to run, but another libx264 or PyAV may encode other bytes, and a lockfile's
content hashes must not depend on that. `DIR/clips/` holds the ones the manifest's glob
matches. Existing files are left as they are.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from testing.samplemedia import write_example_set


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description="Write the example videos into DIR (existing files are left as they are)."
    )
    parser.add_argument("dir", type=Path, metavar="DIR", help="e.g. examples/catalog/media")
    args = parser.parse_args(argv)
    for path in write_example_set(args.dir):
        print(f"{path}  {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
