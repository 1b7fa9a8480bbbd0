"""A full disk at any write of an apply: the run stops with one line naming the file, the
lockfile stays valid, no replaced copy is deleted on the strength of a record that was not
written, and the next apply converges without a duplicate (issue 12)."""

from __future__ import annotations

import errno
import logging
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest

import videosync
import videosync.workdir
from tests.apply.conftest import assert_converged, remote_videos, run
from tests.conftest import API_KEY
from videosync.applying.applier import ApplyOptions
from videosync.applying.progress import SilentReporter
from videosync.content.localfiles import HashCache
from videosync.emulator import EmulatorConfig, RunningEmulator, start_emulator
from videosync.errors import StateWriteFailed
from videosync.state.journal import Journal, replay
from videosync.state.lockfile import load_lockfile, lockfile_path
from videosync.workdir import journal_path

BEFORE = """\
version: 1
groups:
  clips: {name: Clips, metadata: {season: one}}
videos:
  - path: media/a.mp4
    group: clips
  - path: media/b.mp4
    group: clips
  - path: media/c.mp4
  - path: media/x.mp4
"""

# Every kind of work: a group updated and one created, two replaces (b, c: new content),
# a delete (x), two creates (d, e), and a video (a) left as it is.
AFTER = """\
version: 1
groups:
  clips: {name: Clips, metadata: {season: two}}
  extras: {name: Extras}
videos:
  - path: media/a.mp4
    group: clips
  - path: media/b.mp4
    group: clips
  - path: media/c.mp4
  - path: media/d.mp4
    group: extras
  - path: media/e.mp4
"""

KEPT = ("media/a.mp4", "media/b.mp4", "media/c.mp4")

FULL = "no space left on device writing {}; free some space and run again: " + (
    "the next run picks up where this one stopped"
)


class FullDisk:
    """`write_synced`, through which every byte of state is written, failing with ENOSPC at
    its `at`-th call (counted from 1), and at every call after it while `stays_full`."""

    def __init__(self, at: int | None = None, *, stays_full: bool = False) -> None:
        self.at = at
        self.stays_full = stays_full
        self.calls = 0
        self.hit = False
        self._real = videosync.workdir.write_synced
        self._lock = threading.Lock()  # journal and lockfile writes run in worker threads

    def __call__(self, fd: int, data: bytes) -> None:
        with self._lock:
            self.calls += 1
            full = self.at is not None and (
                self.calls == self.at or (self.stays_full and self.calls > self.at)
            )
            self.hit = self.hit or full
        if full:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._real(fd, data)


class Fault(NamedTuple):
    """How the disk fills in a run: at one write, or from one write on; and how often the
    lockfile is written."""

    stays_full: bool
    checkpoint_actions: int


@contextmanager
def disk(monkeypatch: pytest.MonkeyPatch, full: FullDisk) -> Iterator[FullDisk]:
    with monkeypatch.context() as patch:
        patch.setattr(videosync.workdir, "write_synced", full)
        yield full


def _catalog(folder: Path, more_videos: list[Path]) -> Path:
    media = folder / "media"
    media.mkdir(parents=True)
    for name, video in zip("abcx", more_videos, strict=False):
        shutil.copyfile(video, media / f"{name}.mp4")
    manifest = folder / "videosync.yaml"
    manifest.write_text(BEFORE, encoding="utf-8")
    return manifest


def _change(manifest: Path, more_videos: list[Path]) -> None:
    media = manifest.parent / "media"
    for name, video in zip("bcde", more_videos[4:], strict=True):
        shutil.copyfile(video, media / f"{name}.mp4")
    (media / "x.mp4").unlink()
    manifest.write_text(AFTER, encoding="utf-8")


def _apply(manifest: Path, emulator: RunningEmulator) -> videosync.ApplyRun:
    # the change replaces most of a small catalog: not what the rails are tested for here
    done = videosync.apply(manifest, api_url=emulator.url, api_key=API_KEY, max_delete_percent=100)
    assert done.ok, done.result
    return done


def _fill_the_disk_at_each_write(
    tmp_path: Path,
    more_videos: list[Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
) -> set[str]:
    """For N = 1, 2, …: an apply whose Nth write fails, then one that converges, until three
    applies in a row end before an Nth write (group commits make the number of writes vary
    by one or two from run to run); which files the full disk was met writing."""
    caplog.set_level(logging.WARNING, logger="videosync")
    met: set[str] = set()
    at = misses = 0
    while misses < 3:
        at += 1
        assert at < 100, "the apply never got to its end"
        folder = tmp_path / f"disk-full-at-{at}"
        hit = _full_at_write(
            at, folder, more_videos, monkeypatch=monkeypatch, caplog=caplog, fault=fault, met=met
        )
        misses = 0 if hit else misses + 1
    return met


def _full_at_write(
    at: int,
    folder: Path,
    more_videos: list[Path],
    *,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
    met: set[str],
) -> bool:
    """An apply of every kind of work whose `at`-th write finds the disk full, checked, then
    one more apply that converges; whether the apply got to that write."""
    manifest = _catalog(folder, more_videos)
    monkeypatch.chdir(folder)  # the error names the file relative to here
    config = EmulatorConfig(data_dir=folder / "emulator", api_keys=(API_KEY,), retry_after=0)
    with start_emulator(config) as emulator:
        _apply(manifest, emulator)
        _change(manifest, more_videos)
        caplog.clear()
        with disk(monkeypatch, FullDisk(at, stays_full=fault.stays_full)) as full:
            try:
                done = videosync.apply(
                    manifest,
                    api_url=emulator.url,
                    api_key=API_KEY,
                    max_delete_percent=100,
                    options=ApplyOptions(checkpoint_actions=fault.checkpoint_actions),
                )
            except StateWriteFailed as exc:
                assert str(exc) in {
                    FULL.format(".videosync/journal.jsonl"),
                    FULL.format("videosync.lock"),
                }, (at, str(exc))
                met.add(exc.path.name)
            else:
                # Only the hash cache may fail without stopping the run: it is a cache.
                assert done.ok, (at, done.result)
        if any("hash cache" in r.getMessage() for r in caplog.records):
            met.add("hashcache.json")
        if not full.hit:
            return False
        # What the next run starts from: the lockfile (valid, or this raises) and the
        # journal. No copy it records for a kept entry was deleted (a replace's old copy
        # before its new one was recorded): none is uploaded a second time.
        recorded = replay(
            Journal(journal_path(folder)).records(), load_lockfile(lockfile_path(manifest))
        ).lockfile
        remote = {v.video_id for v in remote_videos(emulator)}
        for key in KEPT:
            assert recorded.videos[key].video_id in remote, (at, key)
        _apply(manifest, emulator)
        assert_converged(manifest, emulator)
    return True


@pytest.mark.slow
@pytest.mark.parametrize(
    "fault",
    [
        Fault(stays_full=False, checkpoint_actions=200),
        Fault(stays_full=False, checkpoint_actions=1),
        Fault(stays_full=True, checkpoint_actions=200),
    ],
    ids=["one-write-fails", "one-write-fails-checkpoint-each-action", "disk-stays-full"],
)
def test_a_full_disk_at_any_write_of_an_apply_stops_it_and_the_next_run_converges(
    tmp_path: Path,
    more_videos: list[Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
) -> None:
    met = _fill_the_disk_at_each_write(tmp_path, more_videos, monkeypatch, caplog, fault)
    assert {"hashcache.json", "journal.jsonl"} <= met
    if fault.checkpoint_actions == 1:  # the lockfile is written after each action too
        assert "videosync.lock" in met


def test_a_full_disk_ends_apply_with_exit_1_and_one_line_naming_the_file(
    tmp_path: Path,
    emulator: RunningEmulator,
    more_videos: list[Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REKA_API_KEY", API_KEY)
    monkeypatch.delenv("VIDEOSYNC_API_URL", raising=False)
    manifest = _catalog(tmp_path / "catalog", more_videos)
    monkeypatch.chdir(manifest.parent)
    _apply(manifest, emulator)
    _change(manifest, more_videos)
    before = load_lockfile(lockfile_path(manifest))
    with disk(monkeypatch, FullDisk(1, stays_full=True)):
        code, out, err = run(
            capsys, "--api-url", emulator.url, "apply", "--yes", "--max-delete-percent", "100"
        )
    assert (code, err) == (1, "error: " + FULL.format(".videosync/journal.jsonl") + "\n"), out
    assert "- deleted" not in out  # no delete is sent after a failed write
    assert load_lockfile(lockfile_path(manifest)) == before
    code, out, err = run(
        capsys, "--api-url", emulator.url, "apply", "--yes", "--max-delete-percent", "100"
    )
    assert (code, err) == (0, ""), out + err
    assert_converged(manifest, emulator)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a 4 MiB tmpfs of its own (skipped where mounting one is not allowed)."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    if not sys.platform.startswith("linux") or shutil.which("mount") is None:
        pytest.skip("a tmpfs needs Linux and mount")
    mount = ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)]
    done = subprocess.run(mount, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


class FillsTheDisk(SilentReporter):
    """A reporter that fills the disk of `filler` when the first upload starts."""

    def __init__(self, filler: Path) -> None:
        self.filler = filler

    def upload_started(self, key: str, size: int | None) -> None:
        if self.filler.exists():
            return
        with self.filler.open("wb") as out:
            try:
                while True:
                    out.write(b"\0" * 65536)
                    out.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC


def test_a_disk_that_fills_up_during_an_apply_stops_it_and_the_next_run_converges(
    small_disk: Path, emulator: RunningEmulator, more_videos: list[Path]
) -> None:
    manifest = _catalog(small_disk / "catalog", more_videos)
    _apply(manifest, emulator)
    _change(manifest, more_videos)
    filler = small_disk / "filler"
    with pytest.raises(StateWriteFailed) as err:
        videosync.apply(
            manifest,
            api_url=emulator.url,
            api_key=API_KEY,
            reporter=FillsTheDisk(filler),
            max_delete_percent=100,
        )
    assert err.value.path in {journal_path(manifest.parent), lockfile_path(manifest)}
    assert str(err.value) == FULL.format(err.value.path)
    load_lockfile(lockfile_path(manifest))  # valid, or this raises
    filler.unlink()  # space again
    _apply(manifest, emulator)
    assert_converged(manifest, emulator)


def test_a_failed_hash_cache_save_is_a_warning_not_an_error(
    tmp_path: Path,
    sample_video: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = HashCache.for_manifest_dir(tmp_path)
    cache.digest(sample_video)
    with disk(monkeypatch, FullDisk(1, stays_full=True)):
        cache.save()
    assert cache.dirty  # kept, for a later save to write
    assert [r.getMessage() for r in caplog.records] == [
        f"the hash cache {tmp_path / '.videosync' / 'hashcache.json'} was not saved: "
        "no space left on device; the next run reads those files again"
    ]
    cache.save()
    assert not cache.dirty


@pytest.mark.parametrize("kind", ["a link to nowhere", "a folder"])
def test_a_lockfile_that_is_a_dangling_link_or_a_folder_is_exit_3_not_a_fresh_start(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    lock = lockfile_path(catalog)
    nowhere = catalog.parent / "gone" / "videosync.lock"
    if kind == "a folder":
        lock.mkdir()
        why = (
            "the lockfile is a folder, not a file; move it aside and restore the lockfile "
            "from git (git checkout -- videosync.lock)"
        )
    else:
        lock.symlink_to(nowhere)
        why = (
            f"the lockfile is a link to {nowhere}, which does not exist; restore the file it "
            "points to, or move the link aside to start over"
        )
    args = ("-f", str(catalog), "--api-url", emulator.url)
    for command in (("plan",), ("apply", "--yes")):
        code, out, err = run(capsys, *args, *command)
        assert (code, out, err) == (3, "", f"error: {lock}: {why}\n")
    assert remote_videos(emulator) == []  # nothing was uploaded again
