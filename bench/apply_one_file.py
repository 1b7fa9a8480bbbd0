"""A whole `videosync apply` of one large new file, beside `curl -F` of the same file.

    .venv/bin/python bench/apply_one_file.py [--size-mib 1024] [--repeat 3] [--dir DIR]

DESIGN.md ("Performance"): a whole apply of one large new file takes close to what
`curl -F` alone takes against the same server, because the file is read once, hashed as
it streams. Starts `videosync emulator` as a subprocess on 127.0.0.1; a catalog of one new
file (random bytes) is applied by the installed CLI (`python -m videosync apply --yes`,
the whole command: start-up, plan, upload, lockfile) in three places: outside any git
repository, in a git work tree (the file untracked: trackable by plain git), and in one
whose `.gitattributes` makes the file git-LFS-tracked; then in two where it is committed
(plain and LFS), as in a CI checkout of a merge. Each run starts from no lockfile and an
empty server; best of `--repeat`, alternated with curl. The lockfile's recorded git
identities (`git_oid`, `sha256`) are printed. What the upload hashes besides BLAKE3: both
outside git (either may count once it is committed), the blob id in git, the sha256 with
LFS, and nothing for a committed file, whose identity git's index already holds.

Every measured run, curl's too, starts right after `back_page_cache` (bench/measure.py):
on this VM, a write into page cache the host has taken back costs several times the CPU.
The table shows each command's CPU and the emulator's during it; (the two) / cores is the
least wall time the machine allows for it, however well the work overlaps.
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
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.measure import (  # noqa: E402
    GiB,
    MiB,
    PeakRss,
    back_page_cache,
    curl_upload_command,
    delete_every_video,
    emulator_process,
    make_file,
    ratio,
    videosync_command,
)
from tests.hashgit.fakelfs import git_config  # noqa: E402

KEY = "bench-key"
FIELDS = {"video_name": "bench", "index": "true"}
MANIFEST = "version: 1\nvideos:\n  - glob: media/*.mp4\n"
PLACES = ("outside git", "in git", "in git, LFS")
COMMITTED = ("committed", "committed, LFS")
"""Where the file is already committed, as in a CI checkout of a merge: git vouches for it."""
IDENT = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]


def _place_catalog(catalog: Path, place: str) -> None:
    """Make `catalog` a plain folder, a git work tree, or one where the file is LFS-tracked."""
    shutil.rmtree(catalog / ".git", ignore_errors=True)
    (catalog / ".gitattributes").unlink(missing_ok=True)
    if place != "outside git":
        subprocess.run(["git", "init", "-q", str(catalog)], check=True)
    if place == "in git, LFS":
        (catalog / ".gitattributes").write_text("media/*.mp4 filter=lfs diff=lfs merge=lfs -text\n")


def _committed_catalog(folder: Path, media: Path, *, lfs: bool) -> Path:
    """A repository whose one file (a hard link to `media`) is committed, plain or with LFS
    (the tests' stand-in filter in the repository's config); stored uncompressed."""
    (folder / "media").mkdir(parents=True)
    os.link(media, folder / "media" / media.name)
    (folder / "videosync.yaml").write_text(MANIFEST, encoding="utf-8")
    (folder / ".gitignore").write_text("videosync.lock\n.videosync/\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    if lfs:
        (folder / ".gitattributes").write_text("media/*.mp4 filter=lfs diff=lfs merge=lfs -text\n")
        for option in git_config(folder.parent / "lfs-store")[1::2]:
            key, _, command = option.partition("=")
            subprocess.run(["git", "-C", str(folder), "config", key, command], check=True)
    quick = ["-c", "core.compression=0", "-c", "core.looseCompression=0"]
    for args in (["add", "."], ["commit", "-qm", "media"]):
        subprocess.run(["git", "-C", str(folder), *IDENT, *quick, *args], check=True)
    return folder


@dataclass(frozen=True)
class Run:
    """One measured command: wall seconds, CPU seconds (its own and the emulator's), peak RSS."""

    seconds: float
    cpu: float
    server_cpu: float
    peak_rss: int


def _measured(args: list[str], env: dict[str, str], server: psutil.Process) -> Run:
    """Run `args` to the end (it must succeed) and measure it and the emulator meanwhile."""
    with tempfile.TemporaryFile() as err:
        before = server.cpu_times()
        start = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=err)
        # wait4's own peak RSS would be the bench's: a vfork'ed child counts its parent's.
        with PeakRss(proc.pid) as rss:
            _, status, usage = os.wait4(proc.pid, 0)  # its rusage: CPU with its children's
        seconds = time.perf_counter() - start
        after = server.cpu_times()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            message = err.read().decode(errors="replace").strip()
            raise SystemExit(f"{args[0]} failed ({proc.returncode}): {message}")
    server_cpu = (after.user - before.user) + (after.system - before.system)
    return Run(seconds, usage.ru_utime + usage.ru_stime, server_cpu, rss.peak)


def _fresh(catalog: Path) -> None:
    for stale in (catalog / "videosync.lock", catalog / ".videosync"):
        if stale.is_dir():
            shutil.rmtree(stale)
        stale.unlink(missing_ok=True)


def _recorded(catalog: Path) -> list[str]:
    """The git identities the lockfile recorded beside the content hash."""
    videos = json.loads((catalog / "videosync.lock").read_text(encoding="utf-8"))["videos"]
    (entry,) = videos.values()
    return [name for name in ("git_oid", "sha256") if entry.get(name)]


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
        (catalog / "videosync.yaml").write_text(MANIFEST, encoding="utf-8")
        size = args.size_mib * MiB
        path = make_file(catalog / "media" / "big.mp4", size)
        env = {**os.environ, "REKA_API_KEY": KEY}
        # As installed: each module compiled once and its bytecode cached (a shell with this
        # set recompiles every changed module on every start: +0.1 s of start-up here).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        committed = {
            place: _committed_catalog(work / f"committed-{n}", path, lfs="LFS" in place)
            for n, place in enumerate(COMMITTED)
        }
        names = ("curl -F", "plan", *PLACES, *COMMITTED)
        runs: dict[str, list[Run]] = {name: [] for name in names}
        recorded: dict[str, list[str]] = {}
        with emulator_process(work / "data", "--api-key", KEY) as server:
            emulator = psutil.Process(server.pid)
            for _ in range(args.repeat):  # alternating, so a noisy moment hurts every side
                back_page_cache(work, size + size // 4)
                curl = curl_upload_command(f"{server.url}/videos/upload", KEY, path, FIELDS)
                runs["curl -F"].append(_measured([*curl, "--fail"], env, emulator))
                delete_every_video(server.url, KEY)
                for place in (*PLACES, *COMMITTED):
                    where = committed.get(place, catalog)
                    if place in PLACES:
                        _place_catalog(catalog, place)
                    _fresh(where)
                    manifest = where / "videosync.yaml"
                    if place == PLACES[0]:  # start-up and plan: the fixed part of an apply
                        command = videosync_command(manifest, server.url, "plan")
                        runs["plan"].append(_measured(command, env, emulator))
                    back_page_cache(work, size + size // 4)
                    command = videosync_command(manifest, server.url, "apply", "--yes")
                    runs[place].append(_measured(command, env, emulator))
                    recorded[place] = _recorded(where)
                    delete_every_video(server.url, KEY)
    _report(runs, recorded, args.size_mib, args.repeat)


def _report(
    runs: dict[str, list[Run]], recorded: dict[str, list[str]], size_mib: int, repeat: int
) -> None:
    best = {name: min(each, key=lambda run: run.seconds) for name, each in runs.items()}
    curl = best["curl -F"]
    cores = os.cpu_count() or 1
    print(f"file: {size_mib} MiB, emulator on loopback, {cores} cores, best of {repeat}")
    print(f"{'':<30} {'wall':>7} {'ratio':>6}  {'its CPU':>7} {'server CPU':>10}  {'peak RSS':>8}")
    for name, run in best.items():
        identities = ""
        if name in recorded:
            identities = f"  records: {' '.join(recorded[name]) or 'none'}"
        label = name if name in ("curl -F", "plan") else f"apply, {name}"
        if name == "plan":
            label = "plan (start-up + plan)"
        print(
            f"{label:<30} {run.seconds:6.2f}s {ratio(run.seconds, curl.seconds):>6}  "
            f"{run.cpu:6.2f}s {run.server_cpu:9.2f}s  {run.peak_rss / MiB:6.0f} MiB{identities}"
        )
    plan = best["plan"]
    print(
        "target: apply <= 1.2x curl -F in each place, peak RSS <= 120 MB. Floor: the least "
        f"wall this machine allows: start-up + plan ({plan.seconds:.2f} s, one core), then "
        f"the rest of its CPU and the emulator's spread over all {cores} cores"
    )
    for place in (*PLACES, *COMMITTED):
        run = best[place]
        floor = plan.seconds + (run.cpu - plan.cpu + run.server_cpu) / cores
        print(
            f"  apply, {place:<22} floor {floor:5.2f} s = {ratio(floor, curl.seconds)} "
            f"curl; the wall is {ratio(run.seconds, floor)} that floor"
        )


if __name__ == "__main__":
    main()
