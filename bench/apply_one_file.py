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


def _videosync(catalog: Path, url: str, *command: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "videosync",
        "-q",
        "-f",
        str(catalog / "videosync.yaml"),
        "--api-url",
        url,
        *command,
    ]


def _recorded(catalog: Path) -> list[str]:
    """The git identities the lockfile recorded beside the content hash."""
    videos = json.loads((catalog / "videosync.lock").read_text(encoding="utf-8"))["videos"]
    (entry,) = videos.values()
    return [name for name in ("git_oid", "sha256") if entry.get(name)]


def _curl(url: str, path: Path) -> list[str]:
    curl = shutil.which("curl")
    if curl is None:
        raise SystemExit("curl is needed as the reference: apt-get install curl")
    args = [curl, "-sS", "--fail", "-o", "/dev/null", "-X", "POST", f"{url}/videos/upload"]
    args += ["-H", f"X-Api-Key: {KEY}", "-F", f"file=@{path}"]
    for name, value in FIELDS.items():
        args += ["-F", f"{name}={value}"]
    return args


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
        env = {**os.environ, "REKA_API_KEY": KEY}
        runs: dict[str, list[Run]] = {name: [] for name in ("curl -F", "plan", *PLACES)}
        recorded: dict[str, list[str]] = {}
        with emulator_process(work / "data", "--api-key", KEY) as server:
            emulator = psutil.Process(server.pid)
            for _ in range(args.repeat):  # alternating, so a noisy moment hurts every side
                back_page_cache(work, size + size // 4)
                runs["curl -F"].append(_measured(_curl(server.url, path), env, emulator))
                delete_every_video(server.url, KEY)
                for place in PLACES:
                    _place_catalog(catalog, place)
                    _fresh(catalog)
                    if place == PLACES[0]:  # start-up and plan: the fixed part of an apply
                        command = _videosync(catalog, server.url, "plan")
                        runs["plan"].append(_measured(command, env, emulator))
                    back_page_cache(work, size + size // 4)
                    command = _videosync(catalog, server.url, "apply", "--yes")
                    runs[place].append(_measured(command, env, emulator))
                    recorded[place] = _recorded(catalog)
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
    print(
        "target: apply <= 1.2x curl -F in each place, peak RSS <= 120 MB. Floor on this "
        f"machine: (its CPU + server CPU) / {cores} cores, when both never wait."
    )
    for place in PLACES:
        run = best[place]
        floor = (run.cpu + run.server_cpu) / cores
        print(
            f"  apply, {place:<22} CPU floor {floor:5.2f} s = {ratio(floor, curl.seconds)} "
            f"curl; the wall is {ratio(run.seconds, floor)} that floor"
        )


if __name__ == "__main__":
    main()
