"""Parallel apply throughput: 1,000 small uploads against an emulator with 50 ms latency.

    .venv/bin/python bench/apply_throughput.py [--files 1000] [--latency-ms 50] [--repeat 3]

The emulator runs in its own process (`videosync emulator --open --latency MS`); each
measured run uses its own API key, so its own empty tenant. Every file is a distinct small
real video, named in the manifest by one glob. videosync speaks API v1 here (`--api-version
v1`, changed with this script's `--api-version`), as the docs' example does: one upload call
per video. Under v2 an upload is followed by its feature requests (more calls per video),
which neither the example nor the ideal below make.

1. `videosync apply --yes --parallelism 16`, the whole command (start-up, plan, apply),
   against the *ideal*: N uploads x the per-request latency / 16, where the per-request
   latency is the emulated latency (every request waits that long before it is served).
   Also shown: the ideal with the latency replaced by one upload's measured round trip at
   parallelism 1 (latency plus the server's own work), for honesty. Target ≤ 1.5x ideal.
2. At parallelism 16 and 2, `videosync apply --yes --parallelism P` against the API docs'
   "Python Bulk Upload Example" (`bulk_upload_videos`, max_concurrency=P) on the same
   emulator, run as the script it is (`bench/docs_bulk_upload.py`, its own process, timed
   from outside as videosync is: both pay their start-up). The docs do not show its
   `send_upload_request`; the obvious httpx one is written there, given the benefit of the
   doubt: one shared `httpx.AsyncClient` (connection reuse) rather than one client per
   request. Target ≤ 1.0x the example at both.
3. For context, `videosync plan` of the same catalog against an empty tenant: start-up,
   the list calls (each waits the emulated latency) and the plan, which the example, having
   no catalog to compare with, does not make.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.measure import emulator_process, ratio, videosync_command
from testing.samplemedia import write_sample_video


def make_catalog(root: Path, count: int) -> tuple[Path, list[Path]]:
    """`count` distinct tiny real videos under root/media and a manifest globbing them."""
    media = root / "media"
    media.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = media / f"clip-{i:05d}.mp4"
        if not path.exists():
            write_sample_video(path, seed=i, seconds=0.25)
        paths.append(path)
    manifest = root / "videosync.yaml"
    manifest.write_text("version: 1\nvideos:\n  - glob: media/*.mp4\n", encoding="utf-8")
    return manifest, paths


def videosync_apply(
    manifest: Path, url: str, key: str, parallelism: int, count: int, *, api_version: str
) -> float:
    """Seconds for the whole `videosync apply --yes` command, which must succeed."""
    env = {**os.environ, "REKA_API_KEY": key}
    args = videosync_command(manifest, url, "--api-version", api_version, "apply", "--yes")
    args += ["--parallelism", str(parallelism)]
    # A fresh lockfile: every run uploads everything, to its own tenant.
    for stale in (manifest.parent / "videosync.lock", manifest.parent / ".videosync"):
        subprocess.run(["rm", "-rf", str(stale)], check=True)
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"videosync apply failed ({done.returncode}): {done.stderr.strip()}")
    recorded = json.loads((manifest.parent / "videosync.lock").read_text(encoding="utf-8"))
    if len(recorded["videos"]) != count:
        raise SystemExit(f"videosync apply recorded {len(recorded['videos'])} of {count}")
    return elapsed


def videosync_plan(manifest: Path, url: str, key: str, api_version: str) -> float:
    """Seconds for `videosync plan` of the catalog against an empty tenant."""
    args = videosync_command(manifest, url, "--api-version", api_version, "plan")
    start = time.perf_counter()
    subprocess.run(args, env={**os.environ, "REKA_API_KEY": key}, capture_output=True, check=True)
    return time.perf_counter() - start


def docs_example(url: str, key: str, paths: list[Path], concurrency: int) -> float:
    """Seconds for the docs' example run as its own script (bench/docs_bulk_upload.py),
    timed from outside as `videosync apply` is: start-up, imports and uploads."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("".join(f"{p}\n" for p in paths))
    script = Path(__file__).with_name("docs_bulk_upload.py")
    try:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(script), url, key, str(concurrency), listing.name],
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - start
    finally:
        Path(listing.name).unlink()
    if done.returncode != 0:
        raise SystemExit(f"the docs' example failed: {done.stderr.strip()}")
    return elapsed


def one_upload_round_trip(url: str, path: Path) -> float:
    """Median seconds of one small upload at parallelism 1 (latency + server work)."""
    times = []
    with httpx.Client(timeout=60) as client:
        for i in range(7):
            with path.open("rb") as file:
                start = time.perf_counter()
                client.post(
                    f"{url}/videos/upload",
                    headers={"X-Api-Key": f"probe-{i}"},
                    data={"video_name": "x", "index": "true"},
                    files={"file": ("x.mp4", file)},
                ).raise_for_status()
                times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--dir", type=Path, default=None, help="keep the catalog here")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, medians shown")
    parser.add_argument(
        "--api-version",
        choices=("v1", "v2", "auto"),
        default="v1",
        help="what videosync speaks (the docs' example speaks v1)",
    )
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="videosync-apply-bench-"))
    manifest, paths = make_catalog(root / "catalog", args.files)
    n, latency = args.files, args.latency_ms / 1000
    print(
        f"{n} files ({sum(p.stat().st_size for p in paths) / n:.0f} B each), "
        f"emulated latency {args.latency_ms} ms, videosync speaks API {args.api_version}, "
        f"catalog in {root}"
    )
    with emulator_process(
        root / "emulator-data", "--open", "--latency", str(args.latency_ms)
    ) as server:
        url = server.url
        rtt = one_upload_round_trip(url, paths[0])
        print(f"one upload round trip at parallelism 1: {rtt * 1000:.1f} ms")
        fixed = videosync_plan(manifest, url, f"plan-{uuid.uuid4().hex[:8]}", args.api_version)
        print(f"videosync plan of the catalog (start-up, list calls, plan): {fixed:.2f} s")
        for parallelism in (16, 2):
            ours, docs = pair(
                manifest, url, paths, parallelism, args.repeat, api_version=args.api_version
            )
            ideal = n * latency / parallelism
            print(
                f"parallelism {parallelism}: videosync apply {ours:.2f} s, the docs' bulk "
                f"upload example {docs:.2f} s (median of {args.repeat}); ideal "
                f"{n}x{args.latency_ms} ms/{parallelism} = {ideal:.2f} s; with the measured "
                f"round trip {n * rtt / parallelism:.2f} s"
            )
            print(
                f"  videosync/ideal {ratio(ours, ideal)}"
                f"{' (target ≤ 1.50x)' if parallelism == 16 else ''}; "
                f"example/ideal {ratio(docs, ideal)}; "
                f"videosync/example {ratio(ours, docs)} (target ≤ 1.00x)"
            )


def pair(
    manifest: Path, url: str, paths: list[Path], parallelism: int, repeat: int, *, api_version: str
) -> tuple[float, float]:
    """Median seconds of videosync and of the docs' example, run alternately `repeat` times
    (alternating spreads the machine's load changes over both)."""
    ours, docs = [], []
    for _ in range(repeat):
        run = uuid.uuid4().hex[:8]  # fresh tenants: nothing to adopt from an earlier run
        key = f"ours-{run}"
        ours.append(
            videosync_apply(manifest, url, key, parallelism, len(paths), api_version=api_version)
        )
        docs.append(docs_example(url, f"docs-{run}", paths, parallelism))
    return statistics.median(ours), statistics.median(docs)


if __name__ == "__main__":
    main()
