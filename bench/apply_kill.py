"""Kill -9 `videosync apply` at 50 random instants; after each, one apply must converge.

    .venv/bin/python bench/apply_kill.py [--instants 50] [--seed 50] [--dir DIR]

Each round changes the catalog (replaces, a create or a delete, a group update, a video
moving between groups: tests/apply/churn.py), starts `videosync apply --yes` against an
emulator in its own process (40 ms latency, to widen the windows), kills it with SIGKILL
at a random instant after its plan is shown, then runs one more apply through the library.
After it the remote catalog must equal the manifest: one copy per entry, the one the
lockfile records, nothing else; the lockfile valid; the journal gone. Prints how many
kills fell inside a run, and the time per round.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

import videosync
from bench.measure import emulator_process
from testing.samplemedia import write_sample_video
from tests.apply.churn import churn, kill_at_random_instant
from videosync.api.sync import SyncVisionClient
from videosync.manifest.loader import load_manifest
from videosync.state.lockfile import load_lockfile, lockfile_path
from videosync.workdir import journal_path


def converged(manifest: Path, url: str, key: str) -> str | None:
    """None when the remote catalog equals the manifest, else what differs."""
    lockfile = load_lockfile(lockfile_path(manifest))
    keys = {v.key for v in load_manifest(manifest).videos}
    if set(lockfile.videos) != keys:
        return f"lockfile keys {sorted(set(lockfile.videos) ^ keys)} differ from the manifest"
    with SyncVisionClient(url, key) as client:
        videos = client.list_videos()
    twice = [s for s, n in Counter(v.source for v in videos).items() if n > 1]
    if twice:
        return f"duplicates: {twice}"
    remote = {v.video_id: v.source for v in videos}
    recorded = {e.video_id: k for k, e in lockfile.videos.items()}
    if remote != recorded:
        return f"remote {remote} is not the recorded {recorded}"
    if journal_path(manifest.parent).exists():
        return "the journal was left behind"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instants", type=int, default=50)
    parser.add_argument("--seed", type=int, default=50)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="videosync-kill-bench-"))
    samples = root / "samples"
    samples.mkdir(parents=True, exist_ok=True)
    videos = [write_sample_video(samples / f"v{i}.mp4", seed=i) for i in range(11, 19)]
    folder = root / "catalog"
    manifest = folder / "videosync.yaml"
    rng = random.Random(args.seed)
    key = f"kill-bench-{args.seed}-{time.time_ns()}"
    inside = 0
    started = time.perf_counter()
    with emulator_process(root / "emulator-data", "--open", "--latency", "40") as server:
        url = server.url
        for round_ in range(args.instants):
            churn(folder, videos, round_, rng)
            inside += kill_at_random_instant(manifest, url, key, rng)
            done = videosync.apply(manifest, api_url=url, api_key=key)
            problem = None if done.ok else f"the recovering apply failed: {done.result}"
            problem = problem or converged(manifest, url, key)
            if problem:
                raise SystemExit(f"instant {round_ + 1}: {problem}")
    elapsed = time.perf_counter() - started
    print(
        f"{args.instants} kill -9 instants ({inside} inside a run, the rest after it ended): "
        f"after each, one apply converged: no duplicate, nothing lost, lockfile valid; "
        f"{elapsed / args.instants:.2f} s per round"
    )


if __name__ == "__main__":
    main()
