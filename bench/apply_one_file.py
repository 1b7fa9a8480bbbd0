"""A whole `videosync apply` of one large new file, beside `curl -F` of the same file.

    .venv/bin/python bench/apply_one_file.py [--size-mib 1024] [--repeat 3] [--dir DIR]

DESIGN.md ("Performance"): a whole apply of one large new file takes close to what
`curl -F` alone takes against the same server, because the file is read once, hashed as
it streams. Starts `videosync emulator` as a subprocess on 127.0.0.1; a catalog of one new
file (random bytes) is applied by the installed CLI (`python -m videosync apply --yes`,
the whole command: start-up, plan, upload, lockfile) in three places: outside any git
repository, in a git work tree (the file untracked: trackable by plain git), and in one
whose `.gitattributes` makes the file git-LFS-tracked. Each run starts from no lockfile
and an empty server; best of `--repeat`, alternated with curl. The lockfile's recorded git
identities (`git_oid`, `sha256`) are printed: they are what the upload hashed besides BLAKE3.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.measure import (  # noqa: E402
    GiB,
    MiB,
    curl_upload_seconds,
    delete_every_video,
    emulator_process,
    make_file,
    ratio,
)

KEY = "bench-key"
FIELDS = {"video_name": "bench", "index": "true"}
PLACES = ("outside git", "in git", "in git, LFS")


def _place_catalog(catalog: Path, place: str) -> None:
    """Make `catalog` a plain folder, a git work tree, or one where the file is LFS-tracked."""
    shutil.rmtree(catalog / ".git", ignore_errors=True)
    (catalog / ".gitattributes").unlink(missing_ok=True)
    if place != "outside git":
        subprocess.run(["git", "init", "-q", str(catalog)], check=True)
    if place == "in git, LFS":
        (catalog / ".gitattributes").write_text("media/*.mp4 filter=lfs diff=lfs merge=lfs -text\n")


def _apply_seconds(catalog: Path, url: str) -> tuple[float, list[str]]:
    """Seconds for the whole `videosync apply --yes`; the identities its lockfile recorded."""
    for stale in (catalog / "videosync.lock", catalog / ".videosync"):
        if stale.is_dir():
            shutil.rmtree(stale)
        stale.unlink(missing_ok=True)
    env = {**os.environ, "REKA_API_KEY": KEY}
    args = [
        sys.executable,
        "-m",
        "videosync",
        "-q",
        "-f",
        str(catalog / "videosync.yaml"),
        "--api-url",
        url,
        "apply",
        "--yes",
    ]
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"videosync apply failed ({done.returncode}): {done.stderr.strip()}")
    videos = json.loads((catalog / "videosync.lock").read_text(encoding="utf-8"))["videos"]
    (entry,) = videos.values()
    return elapsed, [name for name in ("git_oid", "sha256") if entry.get(name)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=GiB // MiB)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    parser.add_argument("--dir", type=Path, help="where the catalog goes (default: a tmp dir)")
    args = parser.parse_args()
    if shutil.which("git") is None:
        raise SystemExit("git is needed for the in-git runs")

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        work = Path(tmp)
        catalog = work / "catalog"
        (catalog / "media").mkdir(parents=True)
        (catalog / "videosync.yaml").write_text(
            "version: 1\nvideos:\n  - glob: media/*.mp4\n", encoding="utf-8"
        )
        size = args.size_mib * MiB
        path = make_file(catalog / "media" / "big.mp4", size)
        curl: list[float] = []
        applied: dict[str, list[float]] = {place: [] for place in PLACES}
        recorded: dict[str, list[str]] = {}
        with emulator_process(work / "data", "--api-key", KEY) as server:
            for _ in range(args.repeat):
                curl.append(curl_upload_seconds(f"{server.url}/videos/upload", KEY, path, FIELDS))
                delete_every_video(server.url, KEY)
                for place in PLACES:
                    _place_catalog(catalog, place)
                    seconds, recorded[place] = _apply_seconds(catalog, server.url)
                    applied[place].append(seconds)
                    delete_every_video(server.url, KEY)

    best_curl = min(curl)
    print(f"file: {args.size_mib} MiB, emulator on loopback, best of {args.repeat}")
    print(f"curl -F                        {best_curl:7.2f} s  1.00x")
    for place in PLACES:
        best = min(applied[place])
        identities = " ".join(recorded[place]) or "none"
        print(
            f"apply, {place:<22}  {best:7.2f} s  {ratio(best, best_curl):>5}  records: {identities}"
        )


if __name__ == "__main__":
    main()
