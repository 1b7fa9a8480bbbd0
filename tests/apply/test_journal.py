"""The journal keeps every finished record across a crash and drops only a torn tail."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from videosync.errors import LockError
from videosync.state.journal import Journal


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
