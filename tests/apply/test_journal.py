"""The journal keeps every finished record across a crash and drops only a torn tail."""

from __future__ import annotations

import asyncio
import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

import videosync.workdir
from videosync.applying.runrecord import RunRecord
from videosync.errors import LockError, StateWriteFailed
from videosync.model import GroupSpec, Lockfile, LockGroup
from videosync.state.journal import GroupIntent, Journal
from videosync.state.lockfile import load_lockfile


def test_records_survive_a_killed_writer(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from videosync.state.journal import Journal\n"
        "j = Journal(Path(sys.argv[1]))\n"
        "for i in range(5):\n"
        "    j.append({'op': 'done', 'n': i})\n"
        "os.kill(os.getpid(), 9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(path)], check=False)
    assert proc.returncode == -9
    assert [r["n"] for r in Journal(path).records()] == [0, 1, 2, 3, 4]


def test_torn_last_line_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append({"op": "intent", "key": "a.mp4"})
    journal.close()
    with path.open("ab") as out:
        out.write(b'{"op":"done","ke')
    assert Journal(path).records() == [{"key": "a.mp4", "op": "intent"}]


def test_corruption_before_the_end_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_bytes(b'{"op":"intent"}\nnot json\n{"op":"done"}\n')
    with pytest.raises(LockError) as err:
        Journal(path).records()
    assert str(err.value) == (
        f"{path}:2: the apply journal is corrupt; move it aside and run "
        "`videosync plan` to see what the catalog needs"
    )


def test_clear_forgets_everything(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "state" / "journal.jsonl")
    journal.append({"op": "done"})
    journal.clear()
    assert journal.records() == []
    assert not (tmp_path / "state" / "journal.jsonl").exists()


FULL = (
    "no space left on device writing {}; free some space and run again: "
    "the next run picks up where this one stopped"
)


def _disk_full_after(monkeypatch: pytest.MonkeyPatch, written: int) -> None:
    """The next write of state stores its first `written` bytes, then finds the disk full."""

    def write_synced(fd: int, data: bytes) -> None:
        os.write(fd, data[:written])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(videosync.workdir, "write_synced", write_synced)


def test_a_failed_append_names_the_journal_and_leaves_no_torn_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append({"op": "done", "n": 1})
    with monkeypatch.context() as patch:
        _disk_full_after(patch, written=5)
        with pytest.raises(StateWriteFailed) as err:
            journal.append({"op": "done", "n": 2})
    assert str(err.value) == FULL.format(path)
    journal.append({"op": "done", "n": 3})  # space again: the journal goes on, whole
    assert [r["n"] for r in Journal(path).records()] == [1, 3]


def test_a_failed_rewrite_leaves_the_old_journal_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append_many([{"op": "done", "n": 1}, {"op": "done", "n": 2}])
    _disk_full_after(monkeypatch, written=5)
    with pytest.raises(StateWriteFailed) as err:
        journal.rewrite([{"op": "intent", "n": 3}])
    assert str(err.value) == FULL.format(path)
    assert [r["n"] for r in Journal(path).records()] == [1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.jsonl"]  # no temp file left


def test_after_a_failed_write_every_record_is_refused_and_a_checkpoint_still_saves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock_path = tmp_path / "videosync.lock"
    journal = Journal(tmp_path / ".videosync" / "journal.jsonl")
    group = LockGroup("g-1", "Clips", {})

    async def run() -> None:
        record = RunRecord(Lockfile(), journal=journal, lock_path=lock_path)
        with monkeypatch.context() as patch:
            _disk_full_after(patch, written=0)
            with pytest.raises(StateWriteFailed) as first:
                await record.intent(lambda i: GroupIntent(i, "clips", GroupSpec("Clips"), "now"))
        # Space again, but nothing more is journaled on the strength of a record that is
        # not on disk; what was done is kept in memory for the run's last checkpoint.
        with pytest.raises(StateWriteFailed) as later:
            await record.done(None, groups={"clips": group})
        assert later.value is first.value
        await record.checkpoint()
        record.close()

    asyncio.run(run())
    assert load_lockfile(lock_path) == Lockfile(groups={"clips": group})
    assert journal.records() == []  # the intent that failed was never sent: not kept open
