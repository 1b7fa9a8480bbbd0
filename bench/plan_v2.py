"""How long a plan of 10k and 100k entries takes under API v2, beside the same plan under v1.

One catalog per size, as `plan_scale.py` builds it: N tiny real files named one by one in
the manifest, and an emulator (own process) whose store holds the N videos, seeded by
direct SQLite inserts. The videos were indexed, so v2 lists each with its title, its
description and a `features` map (transcript, captions and embeddings ready), and the
feature catalog with its dependencies (captions needs transcript, embeddings transcript
and captions, objects transcript). The manifest declares no features: `index: true`
stands for those three under v2, so the v2 planner works out each video's required
features and compares names and titles, where v1 compares names and groups. Each
version plans against its own lockfile (v1's, and v2's recording the features): both
plans find no changes.

The two versions run side by side, alternating which goes first, best of `--rounds`:

- plan: `make_plan`, the library call `videosync plan` makes (manifest, lockfile, stat and
  hash cache, list calls, planner), warm (the hash cache filled by a first plan);
- compute_plan: the planner alone, on the listing each version fetched;
- list calls: `fetch_remote` alone (v2 lists the feature catalog too).

    .venv/bin/python bench/plan_v2.py [--dir DIR] [--sizes 10000,100000] [--rounds 3]

Target (issue 15): a plan of 100k entries under v2 within 10 % of v1's (v2/v1 ≤ 1.10).
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.measure import emulator_process
from bench.plan_scale import API_KEY, make_catalog, seed_store
from videosync.commands.plan import fetch_remote, local_states, make_plan
from videosync.gcpause import collector_paused
from videosync.manifest.loader import load_manifest
from videosync.model import (
    INDEX_FEATURES,
    ApiVersion,
    LockEntry,
    Lockfile,
    RemoteState,
    Source,
    VideoSpec,
)
from videosync.planning.planner import compute_plan
from videosync.planning.render import render_text
from videosync.state.lockfile import lockfile_path, save_lockfile

VERSIONS: tuple[ApiVersion, ApiVersion] = ("v1", "v2")
TARGET = 1.10


def lockfile_of(
    version: ApiVersion, files: list[tuple[str, int, str]], ids: dict[str, str]
) -> Lockfile:
    """The lockfile an apply under `version` writes for the seeded catalog."""
    features = INDEX_FEATURES if version == "v2" else ()
    videos = {
        key: LockEntry(
            video_id=ids[key],
            spec=VideoSpec(
                Path(key).name,
                "default",
                "default",
                None,
                True,
                False,
                Source(path=key),
                features=features,
            ),
            size=size,
            hash=digest,
            uploaded_at="2026-01-01T00:00:00Z",
        )
        for key, size, digest in files
    }
    return Lockfile(videos=videos, api_version="v2" if version == "v2" else None)


def best_of(rounds: int, run: Callable[[ApiVersion], float]) -> dict[ApiVersion, float]:
    """Each version's best of `rounds` runs (`run` returns the seconds its timed part took),
    alternating which version goes first.

    Each run starts as a fresh process would: without the previous run's millions of
    objects for the cyclic collector to walk.
    """
    times: dict[ApiVersion, list[float]] = {v: [] for v in VERSIONS}
    for round_ in range(rounds):
        for version in VERSIONS if round_ % 2 == 0 else VERSIONS[::-1]:
            gc.collect()
            times[version].append(run(version))
    return {version: min(seconds) for version, seconds in times.items()}


def measure(
    root: Path, count: int, sample: Path, rounds: int
) -> dict[str, dict[ApiVersion, float]]:
    """Time plan, list calls and compute_plan under both versions; print a line for each."""
    manifest, files = make_catalog(root, count)
    data_dir = root / "emulator-data"
    results: dict[str, dict[ApiVersion, float]] = {}
    with emulator_process(data_dir, "--api-key", API_KEY) as server:
        url = server.url
        ids = seed_store(data_dir, url, sample, files)
        lockfiles = {version: lockfile_of(version, files, ids) for version in VERSIONS}

        def whole_plan(version: ApiVersion) -> float:
            save_lockfile(lockfile_path(manifest), lockfiles[version])  # not the plan's time
            gc.collect()
            started = time.perf_counter()
            run = make_plan(manifest, api_url=url, api_key=API_KEY, api_version=version)
            seconds = time.perf_counter() - started
            if run.plan.has_changes or run.plan.api_version != version:
                print(render_text(run.plan)[-3000:])
                raise SystemExit(f"expected no changes under {version}")
            assert len(run.remote.videos) == count
            return seconds

        whole_plan("v1")  # hashes every file once: the cache serves every later plan
        results["plan"] = best_of(rounds, whole_plan)

        desired = load_manifest(manifest)
        remotes: dict[ApiVersion, RemoteState] = {}

        def listing(version: ApiVersion) -> float:
            started = time.perf_counter()
            with collector_paused():  # as make_plan lists
                remotes[version] = fetch_remote(url, API_KEY, api_version=version, manifest=desired)
            return time.perf_counter() - started

        results["list calls"] = best_of(rounds, listing)
        local = local_states(desired, lockfiles["v1"])

        def planner(version: ApiVersion) -> float:
            remote = remotes[version]
            started = time.perf_counter()
            with collector_paused():  # as make_plan runs it
                plan = compute_plan(
                    desired,
                    lockfiles[version],
                    remote.videos,
                    remote.groups,
                    local=local,
                    api_version=version,
                    feature_dependencies=remote.feature_dependencies,
                )
            seconds = time.perf_counter() - started
            assert not plan.has_changes, f"compute_plan under {version} found changes"
            return seconds

        results["compute_plan"] = best_of(rounds, planner)
    for what, seconds in results.items():
        v1, v2 = seconds["v1"], seconds["v2"]
        print(
            f"{count:>7} entries, {what:<12}: v1 {v1:6.2f} s, v2 {v2:6.2f} s, "
            f"v2/v1 {v2 / v1:.2f} (best of {rounds})",
            flush=True,
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each version, best kept")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    from testing.samplemedia import write_sample_video

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        base = Path(tmp)
        sample = write_sample_video(base / "sample.mp4", seconds=0.5)
        results = {n: measure(base / f"n{n}", n, sample, args.rounds) for n in sizes}
    top = max(results)
    plan = results[top]["plan"]
    ratio = plan["v2"] / plan["v1"]
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(
        f"{top} entries: v2 plan {plan['v2']:.2f} s, v1 plan {plan['v1']:.2f} s, "
        f"v2/v1 {ratio:.2f} (target ≤ {TARGET:.2f}: {verdict})"
    )
    sys.exit(0)


if __name__ == "__main__":
    main()
