"""First-plan hashing speed: videosync's streaming hash beside `sha256sum` on the same bytes.

A first plan over a lockfile someone else wrote (a fresh clone in CI) must hash every
recorded file once; the stat cache makes every later plan read nothing. Measured here:
the same 1 GiB file hashed by `sha256sum` and by `local_file_states` (what `plan` calls,
with an empty cache), and the same GiB split in 4 files, which videosync hashes in a thread
pool. Files are read once beforehand, so both sides read from the page cache.

    .venv/bin/python bench/hash.py [--dir DIR]

Target (issue 5): at least 0.9x the MB/s of sha256sum.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.measure import GiB, MiB, make_file, ratio
from videosync.hashing import BYTES_READ, HashCache, hash_file, local_file_states


def sha256sum_seconds(files: list[Path]) -> float:
    tool = shutil.which("sha256sum")
    if tool is None:
        raise SystemExit("sha256sum is needed as the reference (coreutils)")
    started = time.perf_counter()
    subprocess.run([tool, *map(str, files)], check=True, capture_output=True)
    return time.perf_counter() - started


def videosync_seconds(files: list[Path]) -> tuple[float, list[str]]:
    paths = {f.name: f for f in files}
    sizes = {f.name: f.stat().st_size for f in files}
    before = BYTES_READ.total
    started = time.perf_counter()
    states = local_file_states(paths, sizes, HashCache.in_memory())
    elapsed = time.perf_counter() - started
    assert BYTES_READ.total - before == sum(sizes.values())
    return elapsed, [states[f.name].digest or "" for f in files]


def check_digests(files: list[Path], digests: list[str]) -> None:
    tool = shutil.which("sha256sum") or "sha256sum"
    out = subprocess.run([tool, *map(str, files)], check=True, capture_output=True, text=True)
    expected = ["sha256:" + line.split()[0] for line in out.stdout.splitlines()]
    if expected != digests:
        raise SystemExit("videosync's digests differ from sha256sum's")


def report(label: str, files: list[Path]) -> None:
    total = sum(f.stat().st_size for f in files)
    for f in files:  # into the page cache, so neither side pays for the disk
        hash_file(f)
    ref = min(sha256sum_seconds(files) for _ in range(2))
    ours, digests = min((videosync_seconds(files) for _ in range(2)), key=lambda r: r[0])
    check_digests(files, digests)
    print(
        f"{label}: sha256sum {total / ref / 1e6:7.0f} MB/s, videosync {total / ours / 1e6:7.0f} "
        f"MB/s -> {ratio(ref, ours)} of sha256sum's speed (target >= 0.9x)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="where the 2 GiB of test files go")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        report("1 file of 1 GiB   ", [make_file(folder / "one.bin", GiB)])
        (folder / "one.bin").unlink()
        parts = [make_file(folder / f"part-{i}.bin", 256 * MiB) for i in range(4)]
        report("4 files of 256 MiB", parts)


if __name__ == "__main__":
    main()
