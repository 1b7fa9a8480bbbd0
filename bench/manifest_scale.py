"""How long load+validate takes for manifests of 1k, 10k and 100k entries.

Each entry names its own real (tiny) file, so every check runs as it would for a user:
one stat per file, unique keys, group references, timestamps. The reference, measured in
the same run on the same file, is PyYAML's own `yaml.load` with the C loader: parsing
alone, no locations, no checks.

    .venv/bin/python bench/manifest_scale.py [--dir DIR]

Target (issue 3): 100k entries in at most 3 s on a 2-core machine; 100k/10k ratio ≤ 12.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import yaml

from bench.measure import ratio
from videosync.manifest.loader import load_manifest

SIZES = (1_000, 10_000, 100_000)
PER_FOLDER = 500


def make_files(root: Path, count: int) -> list[str]:
    """`count` tiny files under root/media, reused between runs; their relative paths."""
    paths = []
    for i in range(count):
        rel = f"media/{i // PER_FOLDER:04d}/clip-{i:06d}.mp4"
        paths.append(rel)
        file = root / rel
        if not file.exists():
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(i.to_bytes(4, "big"))
    return paths


def write_manifest(root: Path, paths: list[str]) -> Path:
    lines = [
        "# yaml-language-server: $schema=../schemas/manifest.schema.json",
        "version: 1",
        "groups:",
        "  marketing:",
        "    name: Marketing clips",
        "    metadata: {campaign: launch-2024}",
        "defaults:",
        "  index: true",
        "videos:",
    ]
    for i, rel in enumerate(paths):
        lines.append(f"  - path: {rel}")
        lines.append(f"    name: Clip {i}")
        if i % 10 == 0:
            lines.append("    group: marketing")
            lines.append(f"    start: 2025-04-12T19:{i // 60 % 60:02d}:{i % 60:02d}")
    manifest = root / f"videosync-{len(paths)}.yaml"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def best_of(runs: int, action: Callable[[], object]) -> float:
    """The fastest of `runs` calls, the result's teardown left out of the timing."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
        del result
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "vs-manifest")
    args = parser.parse_args()
    root: Path = args.dir
    root.mkdir(parents=True, exist_ok=True)
    print(f"files in {root} (kept for the next run)")
    paths = make_files(root, max(SIZES))
    timings: dict[int, float] = {}
    print(f"{'entries':>8} {'MB':>6} {'load+validate':>14} {'yaml.load C':>12} {'ratio':>7}")
    for size in SIZES:
        manifest = write_manifest(root, paths[:size])
        runs = 5 if size <= 10_000 else 3
        ours = best_of(runs, partial(load_manifest, manifest))
        text = manifest.read_bytes()
        reference = best_of(runs, partial(yaml.load, text, Loader=yaml.CSafeLoader))
        loaded = load_manifest(manifest)
        assert len(loaded.videos) == size, len(loaded.videos)
        timings[size] = ours
        print(
            f"{size:>8} {len(text) / 1e6:>6.1f} {ours:>13.3f}s {reference:>11.3f}s "
            f"{ratio(ours, reference):>7}"
        )
    print(f"100k/10k ratio: {timings[100_000] / timings[10_000]:.1f} (target ≤ 12)")
    print(f"100k entries: {timings[100_000]:.2f} s (target ≤ 3 s)")
    cli = Path(sys.executable).with_name("videosync")
    if cli.exists():
        manifest = root / "videosync-100000.yaml"
        start = time.perf_counter()
        out = subprocess.run(
            [str(cli), "validate", "-f", str(manifest)], check=True, capture_output=True, text=True
        )
        elapsed = time.perf_counter() - start
        print(f"videosync validate, 100k, whole process: {elapsed:.2f} s: {out.stdout.strip()}")


if __name__ == "__main__":
    main()
