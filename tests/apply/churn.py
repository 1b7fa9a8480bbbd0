"""Catalogs that change every round, and applies killed with SIGKILL at random instants.

Shared by the kill tests (20 instants with the journal kept, tests/apply/test_interrupted.py;
50 with `.videosync/` deleted before each re-run, tests/apply/test_no_journal.py) and the
bench (bench/apply_kill.py). `churn` changes a catalog of six files; `GroupedCatalog` one
of over a hundred in two managed groups, and `convergence_problems` says how the remote
catalog, the lockfile and the next plan differ from a converged one.
"""

from __future__ import annotations

import os
import random
import shutil
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import videosync
from videosync.api.sync import SyncVisionClient
from videosync.errors import ExitCode, VideosyncError
from videosync.manifest.loader import load_manifest
from videosync.model import DEFAULT_GROUP
from videosync.planning.render import render_text
from videosync.state.lockfile import load_lockfile, lockfile_path

CHURN = """\
version: 1
groups:
  clips:
    name: Clips
    metadata: {{round: {round}}}
videos:
  - glob: media/*.mp4
    group: clips
  - path: extra/x.mp4
    group: {extra_group}
"""


class Lines:
    """The lines a subprocess writes to one of its pipes, read in a thread as they come."""

    def __init__(self, pipe: object) -> None:
        self.lines: list[str] = []
        self._event = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe: object) -> None:
        for line in pipe:  # type: ignore[attr-defined]
            self.lines.append(line)
            self._event.set()
        self._closed = True
        self._event.set()

    def wait_for(self, prefix: str, timeout: float = 20.0) -> bool:
        """Whether a line starting with `prefix` came within `timeout` seconds (False at
        once when the pipe closes without one)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            closed = self._closed
            if any(line.startswith(prefix) for line in self.lines):
                return True
            if closed:
                return False
            self._event.wait(0.01)
            self._event.clear()
        return False

    def text(self) -> str:
        self._thread.join(timeout=10)
        return "".join(self.lines)


def churn(folder: Path, videos: list[Path], round_: int, rng: random.Random) -> None:
    """Give the next apply work of every kind: replaces, a create or delete, a group update."""
    media = folder / "media"
    media.mkdir(parents=True, exist_ok=True)
    for name in ("a", "b", "c", "d"):
        if round_ == 0 or rng.random() < 0.5:
            shutil.copyfile(rng.choice(videos), media / f"{name}.mp4")
    extra = media / "e.mp4"
    if extra.exists() and round_ % 2:
        extra.unlink()
    elif not extra.exists():
        shutil.copyfile(rng.choice(videos), extra)
    (folder / "extra").mkdir(exist_ok=True)
    shutil.copyfile(videos[round_ % len(videos)], folder / "extra" / "x.mp4")
    manifest = CHURN.format(round=round_, extra_group="clips" if round_ % 3 else "default")
    (folder / "videosync.yaml").write_text(manifest, encoding="utf-8")


def kill_at_random_instant(
    manifest: Path,
    url: str,
    api_key: str,
    rng: random.Random,
    window: float = 0.3,
    *,
    faults: bool = False,
) -> bool:
    """Start `videosync apply --yes`, kill -9 it at a random instant after its plan is
    shown; whether it was killed before it finished.

    With `faults` injected, a run they stop before its plan (an API error, exit 1, once
    its retries are spent) ended before the kill: False. Otherwise no plan is an error.
    """
    env = {**os.environ, "REKA_API_KEY": api_key, "PYTHONUNBUFFERED": "1"}
    env.pop("VIDEOSYNC_API_URL", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "videosync",
            "-f",
            str(manifest),
            "--api-url",
            url,
            "apply",
            "--yes",
            "--parallelism",
            "2",
            "--max-delete-percent",  # churn replaces most of a small catalog each round
            "100",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    out, err = Lines(proc.stdout), Lines(proc.stderr)
    if not out.wait_for("Plan: "):
        proc.kill()
        code = proc.wait()
        if faults and code == ExitCode.ERROR and err.text().startswith("error: "):
            out.text()
            return False
        raise AssertionError(f"apply showed no plan (exit {code}): {out.text()}{err.text()}")
    time.sleep(rng.uniform(0.0, window))
    running = proc.poll() is None
    proc.kill()
    proc.wait()
    err.text()
    finished = any(line.startswith("Apply complete") for line in out.text().splitlines())
    return running and not finished


def tagged_copy(video: Path, target: Path, tag: str) -> Path:
    """Copy `video` to `target` with an MP4 `free` box holding `tag` appended: a file of its
    own (its own hash) that still probes and decodes as the same video; return `target`."""
    body = tag.encode("utf-8")
    box = struct.pack(">I", 8 + len(body)) + b"free" + body
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(video.read_bytes() + box)
    return target


class GroupedCatalog:
    """A catalog of `size` small videos in two managed groups and `default`, changed each round.

    Round 0 writes `size` entries spread over the groups `one`, `two` and `default`. Every
    later round replaces the content of three entries, deletes two and adds two, moves
    three to another of the three groups (a replace: the API fixes a video's group at
    upload), updates group `one`'s metadata and renames group `two`. Each entry is a `path:`
    of its own, so its key stays when its group changes; every fifth has a `start:`.
    """

    GROUPS = ("one", "two", DEFAULT_GROUP)

    def __init__(self, folder: Path, videos: Sequence[Path], size: int = 104) -> None:
        self.folder = folder
        self.manifest = folder / "videosync.yaml"
        self._videos = list(videos)
        self._size = size
        self._groups: dict[str, str] = {}  # key → group ref
        self._made = 0

    def churn(self, round_: int, rng: random.Random) -> None:
        """Change files and manifest for round `round_` (0 writes the catalog)."""
        if round_ == 0:
            for _ in range(self._size):
                self._add(round_, rng)
        else:
            picked = rng.sample(sorted(self._groups), 8)
            for key in picked[:3]:
                self._write(key, round_, rng)
            for key in picked[3:5]:
                (self.folder / key).unlink()
                del self._groups[key]
            for key in picked[5:]:
                others = [g for g in self.GROUPS if g != self._groups[key]]
                self._groups[key] = rng.choice(others)
            for _ in range(2):
                self._add(round_, rng)
        self.manifest.write_text(self._manifest_text(round_), encoding="utf-8")

    def _add(self, round_: int, rng: random.Random) -> None:
        key = f"media/v{self._made:04d}.mp4"
        self._made += 1
        self._groups[key] = rng.choice(self.GROUPS)
        self._write(key, round_, rng)

    def _write(self, key: str, round_: int, rng: random.Random) -> None:
        tagged_copy(rng.choice(self._videos), self.folder / key, f"{key} round {round_}")

    def _manifest_text(self, round_: int) -> str:
        lines = [
            "version: 1",
            "groups:",
            f"  one: {{name: One, metadata: {{round: {round_}}}}}",
            f"  two: {{name: Two {round_ % 3}, metadata: {{kind: churn}}}}",
            "videos:",
        ]
        for key in sorted(self._groups):
            lines += [f"  - path: {key}", f"    group: {self._groups[key]}"]
            number = int(key[len("media/v") : -len(".mp4")])
            if number % 5 == 0:
                lines.append(f"    start: 2025-04-12T19:{number // 60 % 60:02d}:{number % 60:02d}Z")
        return "\n".join(lines) + "\n"


def convergence_problems(manifest: Path, url: str, api_key: str) -> list[str]:
    """How the catalog differs from converged (empty when it is): each manifest key on the
    server exactly once and nothing else, one group per managed group, every key recorded
    with the id it has remotely, the lockfile valid, and the next plan without changes."""
    try:
        lockfile = load_lockfile(lockfile_path(manifest))
    except VideosyncError as exc:
        return [f"the lockfile is not valid: {exc}"]
    desired = load_manifest(manifest)
    keys = {v.key for v in desired.videos}
    with SyncVisionClient(url, api_key) as client:
        videos = client.list_videos()
        groups = client.list_groups()
    problems = []
    sources = Counter(v.source for v in videos)
    twice = {s: n for s, n in sorted(sources.items(), key=str) if n > 1 and s in keys}
    if twice:
        problems.append(f"{len(twice)} manifest keys have duplicate remote videos: {twice}")
    missing = sorted(keys - sources.keys())
    if missing:
        problems.append(f"{len(missing)} manifest keys have no remote video: {missing}")
    extra = {s: n for s, n in sorted(sources.items(), key=str) if s not in keys}
    if extra:
        problems.append(f"remote videos of no manifest key, by source: {extra}")
    names = Counter(g.name for g in groups)
    wanted = {g.ref: g for g in desired.groups if g.managed}
    expected = {g.name or ref: 1 for ref, g in wanted.items()}
    if dict(names) != expected:
        problems.append(f"remote groups by name {dict(names)}, not one each of {expected}")
    unrecorded = sorted(keys - lockfile.videos.keys())
    if unrecorded:
        problems.append(f"{len(unrecorded)} manifest keys are not in the lockfile: {unrecorded}")
    left = sorted(lockfile.videos.keys() - keys)
    if left:
        problems.append(f"the lockfile records keys the manifest does not have: {left}")
    by_id = {v.video_id: v for v in videos}
    lost = [
        f"{key} ({entry.video_id})"
        for key, entry in sorted(lockfile.videos.items())
        if key in keys and (entry.video_id not in by_id or by_id[entry.video_id].source != key)
    ]
    if lost:
        problems.append(f"{len(lost)} recorded videos are not on the server: {lost}")
    group_ids = {g.group_id: g.name for g in groups}
    for ref, group in sorted(wanted.items()):
        rec = lockfile.groups.get(ref)
        if rec is None or group_ids.get(rec.group_id) != group.name:
            problems.append(f"group {ref} is recorded as {rec}, not as the remote {group.name!r}")
    plan = videosync.plan(manifest, api_url=url, api_key=api_key).plan
    if plan.has_changes:
        problems.append(f"the next plan is not empty:\n{render_text(plan)}")
    return problems
