"""Kill -9 `videosync apply` at 50 random instants; after each, one apply must converge.

    .venv/bin/python bench/apply_kill.py [--instants 50] [--seed 50] [--dir DIR] [--no-journal]

Each round changes the catalog (replaces, a create or a delete, a group update, a video
moving between groups: tests/apply/churn.py), starts `videosync apply --yes` against an
emulator in its own process (40 ms latency, to widen the windows), kills it with SIGKILL
at a random instant after its plan is shown, then runs one more apply through the library.
After it the remote catalog must equal the manifest: one copy per entry, the one the
lockfile records, nothing else; one group per managed group; the lockfile valid; the next
plan without changes; the journal gone. Prints how many kills fell inside a run, and the
time per round.

`--no-journal` deletes `.videosync/` before each re-run, as on a CI runner that starts
empty (issue 12), and churns a catalog of 104 videos in two managed groups and `default`
(`GroupedCatalog`) instead of six.
"""

from __future__ import annotations

import argparse
import functools
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import videosync
from bench.measure import emulator_process
from testing.samplemedia import write_sample_video
from tests.apply.churn import GroupedCatalog, churn, convergence_problems, kill_at_random_instant
from videosync.workdir import journal_path, workdir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instants", type=int, default=50)
    parser.add_argument("--seed", type=int, default=50)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument(
        "--no-journal",
        action="store_true",
        help="delete .videosync/ before each re-run; churn 104 videos in two managed groups",
    )
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="videosync-kill-bench-"))
    samples = root / "samples"
    samples.mkdir(parents=True, exist_ok=True)
    videos = [write_sample_video(samples / f"v{i}.mp4", seed=i) for i in range(11, 19)]
    folder = root / "catalog"
    manifest = folder / "videosync.yaml"
    rng = random.Random(args.seed)
    change: Callable[[int, random.Random], None] = functools.partial(churn, folder, videos)
    window = 0.3
    if args.no_journal:
        change, window = GroupedCatalog(folder, videos).churn, 0.5  # a round's run is longer
    key = f"kill-bench-{args.seed}-{time.time_ns()}"
    inside = 0
    started = time.perf_counter()
    with emulator_process(root / "emulator-data", "--open", "--latency", "40") as server:
        url = server.url
        for round_ in range(args.instants):
            change(round_, rng)
            inside += kill_at_random_instant(manifest, url, key, rng, window=window)
            if args.no_journal:
                shutil.rmtree(workdir(folder))
            done = videosync.apply(manifest, api_url=url, api_key=key, max_delete_percent=100)
            problems = [] if done.ok else [f"the recovering apply failed: {done.result}"]
            problems += convergence_problems(manifest, url, key)
            if journal_path(folder).exists():
                problems.append("the journal was left behind")
            if problems:
                raise SystemExit(f"instant {round_ + 1}: " + "\n".join(problems))
    elapsed = time.perf_counter() - started
    print(
        f"{args.instants} kill -9 instants ({inside} inside a run, the rest after it ended): "
        f"after each, one apply converged: no duplicate, nothing lost, lockfile valid; "
        f"{elapsed / args.instants:.2f} s per round"
    )


if __name__ == "__main__":
    main()
