"""kill -9 of an API v2 apply that mixes uploads, replaces, in-place updates and feature
triggers, at 20 instants spread over its run: one re-run converges each time, with no
duplicate upload and a valid lockfile (issue 15), whether `.videosync/` survived the kill
or not."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.apply.churn import Lines, tagged_copy
from tests.apply.conftest import run, spawn
from tests.conftest import API_KEY
from videosync.api.sync import SyncVisionClient
from videosync.emulator import EmulatorConfig, RunningEmulator, start_emulator
from videosync.manifest.loader import load_manifest
from videosync.model import DEFAULT_GROUP, FEATURES
from videosync.planning.inplace import required_features
from videosync.state.lockfile import load_lockfile, lockfile_path

GROUPS = ("clips", "talks", DEFAULT_GROUP)
ADDABLE = ("captions", "objects", "embeddings")
"""Features a round may add to an entry that declares `features:` (each needs transcript)."""


@dataclass
class Entry:
    """What the manifest says of one file."""

    name: str
    title: str
    group: str
    features: tuple[str, ...] | None
    """None: no `features:` written, so `index: true` stands for transcript, captions
    and embeddings."""


@dataclass
class V2Catalog:
    """A catalog of small videos in two managed groups and `default`, with titles and
    features, that each round changes in every way a v2 apply acts on.

    Round 0 writes 24 entries. Every later round adds three files (uploads, each with
    features to start), deletes one entry, renames three, retitles three, moves three to
    another group (in-place updates: PATCH) and adds a feature to three (feature triggers
    on videos already there).
    """

    folder: Path
    videos: Sequence[Path]
    entries: dict[str, Entry] = field(default_factory=dict)
    made: int = 0

    @property
    def manifest(self) -> Path:
        return self.folder / "videosync.yaml"

    def churn(self, round_: int, rng: random.Random) -> None:
        """Change files and manifest for round `round_` (0 writes the catalog)."""
        if round_ == 0:
            for _ in range(24):
                self._add(round_, rng)
        else:
            keys = sorted(self.entries)
            picked = rng.sample(keys, 12)
            del self.entries[picked[0]]
            (self.folder / picked[0]).unlink()
            for key in picked[1:4]:
                self.entries[key].name = f"{Path(key).stem} r{round_}"
            for key in picked[4:7]:
                self.entries[key].title = f"Title of {Path(key).stem}, round {round_}"
            for key in picked[7:10]:
                entry = self.entries[key]
                entry.group = rng.choice([g for g in GROUPS if g != entry.group])
            for key in picked[10:12]:  # new content: a replace (upload, then delete the old)
                self._write(key, round_, rng)
            growable = [
                key
                for key in keys
                if key in self.entries
                and (features := self.entries[key].features) is not None
                and any(f not in features for f in ADDABLE)
            ]
            for key in rng.sample(growable, min(3, len(growable))):
                entry = self.entries[key]
                assert entry.features is not None
                more = rng.choice([f for f in ADDABLE if f not in entry.features])
                entry.features = tuple(f for f in FEATURES if f in {*entry.features, more})
            for _ in range(3):
                self._add(round_, rng)
        self.manifest.write_text(self._manifest_text(), encoding="utf-8")

    def _add(self, round_: int, rng: random.Random) -> None:
        key = f"media/v{self.made:03d}.mp4"
        # Every sixth declares no features: `index: true` stands for three of them.
        features = None if self.made % 6 == 5 else ("transcript",)
        self.entries[key] = Entry(
            name=Path(key).stem,
            title=f"Title of {Path(key).stem}",
            group=rng.choice(GROUPS),
            features=features,
        )
        self.made += 1
        self._write(key, round_, rng)

    def _write(self, key: str, round_: int, rng: random.Random) -> None:
        tagged_copy(rng.choice(list(self.videos)), self.folder / key, f"{key} round {round_}")

    def _manifest_text(self) -> str:
        lines = [
            "version: 1",
            "groups:",
            "  clips: {name: Clips, metadata: {kind: clips}}",
            "  talks: {name: Talks}",
            "videos:",
        ]
        for key, entry in sorted(self.entries.items()):
            lines += [
                f"  - path: {key}",
                f"    name: {json.dumps(entry.name)}",
                f"    title: {json.dumps(entry.title)}",
                f"    group: {entry.group}",
            ]
            if entry.features is not None:
                lines.append(f"    features: [{', '.join(entry.features)}]")
        return "\n".join(lines) + "\n"


@pytest.fixture
def slow_features(tmp_path: Path) -> Iterator[RunningEmulator]:
    """An emulator whose feature runs take a moment (pending, then processing, then ready),
    so an apply must start each one and a kill can land between them."""
    config = EmulatorConfig(
        data_dir=tmp_path / "emulator-data", api_keys=(API_KEY,), retry_after=0, index_delay=0.1
    )
    with start_emulator(config) as running:
        yield running


@pytest.fixture
def v2_catalog(
    tmp_path: Path, more_videos: list[Path], monkeypatch: pytest.MonkeyPatch
) -> V2Catalog:
    """An empty `V2Catalog`, with the API key in the environment the commands read."""
    monkeypatch.setenv("REKA_API_KEY", API_KEY)
    monkeypatch.delenv("VIDEOSYNC_API_URL", raising=False)
    return V2Catalog(tmp_path / "catalog", more_videos)


def _apply_v2(manifest: Path, url: str, *more: str) -> tuple[subprocess.Popen[str], Lines, Lines]:
    """`videosync apply --yes` under API v2 in its own process, its plan read as it comes."""
    args = ("--api-version", "v2", "apply", "--yes", "--parallelism", "2", *more)
    proc = spawn(manifest, url, *args)
    out, err = Lines(proc.stdout), Lines(proc.stderr)
    if not out.wait_for("Plan: "):
        proc.kill()
        raise AssertionError(f"apply showed no plan (exit {proc.wait()}): {out.text()}{err.text()}")
    return proc, out, err


def _timed_full_run(manifest: Path, url: str, *more: str) -> float:
    """Seconds from the plan shown to the end of an uncut v2 apply."""
    proc, out, err = _apply_v2(manifest, url, *more)
    shown = time.monotonic()
    code = proc.wait(timeout=60)
    elapsed = time.monotonic() - shown
    assert code == 0, out.text() + err.text()
    return elapsed


def _kill_after(manifest: Path, url: str, delay: float, *more: str) -> bool:
    """Start a v2 apply, kill -9 it `delay` seconds after its plan is shown; whether the
    kill fell inside the run (before it exited: with --wait, the wait is part of it)."""
    proc, out, err = _apply_v2(manifest, url, *more)
    time.sleep(delay)
    running = proc.poll() is None
    proc.kill()
    proc.wait()
    out.text(), err.text()
    return running


def _convergence_problems(manifest: Path, url: str) -> list[str]:
    """How the server and the lockfile differ from the manifest under v2 (empty: converged)."""
    problems: list[str] = []
    text = lockfile_path(manifest).read_text(encoding="utf-8")
    json.loads(text)  # valid JSON, or this raises
    lockfile = load_lockfile(lockfile_path(manifest))  # one videosync loads, or this raises
    desired = load_manifest(manifest)
    wanted = {v.key: v for v in desired.videos}
    with SyncVisionClient(url, API_KEY, api_version="v2") as client:
        videos = client.list_videos()
        groups = client.list_groups()
        depends_on = client.feature_catalog()
    sources = Counter(v.source for v in videos)
    twice = {s: n for s, n in sorted(sources.items(), key=str) if n > 1}
    if twice:
        problems.append(f"duplicate remote videos by source: {twice}")
    if set(sources) != set(wanted):
        problems.append(
            f"remote sources differ from the manifest: missing "
            f"{sorted(set(wanted) - set(sources), key=str)}, extra "
            f"{sorted(set(sources) - set(wanted), key=str)}"
        )
    names = Counter(g.name for g in groups)
    if names != Counter({"Clips": 1, "Talks": 1}):
        problems.append(f"remote groups by name: {dict(names)}")
    if lockfile.api_version != "v2":
        problems.append(f"the lockfile records API {lockfile.api_version}")
    if set(lockfile.videos) != set(wanted):
        problems.append(f"lockfile keys {sorted(lockfile.videos)} != {sorted(wanted)}")
    group_ids = {ref: g.group_id for ref, g in lockfile.groups.items()}
    group_ids[DEFAULT_GROUP] = DEFAULT_GROUP
    by_id = {v.video_id: v for v in videos}
    for key, entry in sorted(lockfile.videos.items()):
        video = by_id.get(entry.video_id)
        if video is None or video.source != key:
            problems.append(f"{key}: recorded {entry.video_id}, not on the server as {key}")
            continue
        want = wanted.get(key)
        if want is None:
            continue
        seen = (video.name, video.title, video.group_id)
        expected = (want.name, want.title, group_ids.get(want.group))
        if seen != expected:
            problems.append(f"{key}: name, title, group {seen} on the server, not {expected}")
        statuses = video.features or {}
        for feature in required_features(want.wanted_features(), depends_on):
            if statuses.get(feature, "none") in ("none", "failed"):
                problems.append(f"{key}: feature {feature} is {statuses.get(feature, 'none')}")
    return problems


# 20 instants in all: ten with `.videosync/` kept (the journal replayed), ten with it
# deleted before the re-run (a fresh CI runner), side by side under pytest-xdist. Half the
# killed applies run with --wait (dependent features start while it waits: captions once
# transcript is ready), half without. The instants are spread over the run: the k-th of
# the five of a kind falls in the k-th fifth of the time an uncut apply of that kind takes
# after its plan is shown. The re-run waits: without --wait a feature that needs another
# starts only in the apply after (docs/api-versions.md), and the re-run must converge.
@pytest.mark.slow
@pytest.mark.parametrize("workdir", ["kept", "lost"])
def test_kill_9_of_a_v2_apply_then_one_apply_converges(
    v2_catalog: V2Catalog,
    slow_features: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    workdir: str,
) -> None:
    emulator, catalog = slow_features, v2_catalog
    v2 = ("-f", str(catalog.manifest), "--api-url", emulator.url, "--api-version", "v2")
    rng = random.Random(150 if workdir == "kept" else 151)
    catalog.churn(0, rng)
    code, out, err = run(capsys, *v2, "apply", "--yes", "--wait")
    assert code == 0, out + err
    emulator.set_faults(latency_ms=30)  # widens the windows between calls
    windows: dict[tuple[str, ...], float] = {}
    for round_, wait in enumerate([(), ("--wait",)], start=1):
        catalog.churn(round_, rng)
        windows[wait] = _timed_full_run(catalog.manifest, emulator.url, *wait)
    killed_inside, round_ = 0, 3
    while killed_inside < 10:
        assert round_ < 30, f"only {killed_inside} of {round_ - 3} kills fell inside a run"
        catalog.churn(round_, rng)
        wait = ("--wait",) if killed_inside % 2 else ()
        delay = 0.9 * windows[wait] * (killed_inside // 2 + rng.random()) / 5
        emulator.set_faults(latency_ms=30)
        inside = _kill_after(catalog.manifest, emulator.url, delay, *wait)
        emulator.set_faults(latency_ms=0)
        killed_inside += inside
        if not inside:
            # The run ended before the kill: a busy machine (CI) ran the timed run slower
            # than this one. Spread the next kills over a shorter window.
            windows[wait] *= 0.7
        if workdir == "lost":
            shutil.rmtree(catalog.folder / ".videosync")
        code, out, err = run(capsys, *v2, "apply", "--yes", "--wait")
        assert code == 0, f"round {round_}: the re-run exited {code}:\n{out}{err}"
        problems = _convergence_problems(catalog.manifest, emulator.url)
        code, out, err = run(capsys, *v2, "plan", "--detailed-exitcode")
        if code != 0:
            problems.append(f"the next plan exited {code}:\n{out}{err}")
        kill = f"kill {delay:.2f} s after the plan of an apply {' '.join(wait)}"
        assert not problems, f"round {round_} ({kill}):\n" + "\n".join(problems)
        round_ += 1
