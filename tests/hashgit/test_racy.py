"""Git's index vouches for a file by its stat data to the nanosecond (issue 16), not by
reading it, even when the file and the index were written in the same second.

Git's own check (`git diff-files`) compares timestamps in whole seconds here, so it reads
every file written in the index's last second ("racily clean"): all of a small fresh
clone. videosync reads git's stat data (`ls-files --debug`) itself and leaves to git only
the files written in the index's own clock tick. strace says which files each process
opens (Debian's `strace`; `.ci/run` installs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from videosync.content.git import tracked_identities

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

FILES = [f"media/v{i:02d}.mp4" for i in range(12)]
_LIST = (
    "import sys; from pathlib import Path; from videosync.content.git import tracked_identities;"
    "print(len(tracked_identities(Path(sys.argv[1]), sys.argv[2:])))"
)


def _strace() -> str:
    found = shutil.which("strace")
    if found is None:
        pytest.fail("strace is missing: install Debian's strace (.ci/run does)")
    return found


def _git(cwd: Path, *args: str) -> None:
    ident = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", *ident, *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A fresh clone of a repository of small files (different content each)."""
    origin = tmp_path / "origin"
    (origin / "media").mkdir(parents=True)
    for n, name in enumerate(FILES):
        (origin / name).write_bytes(bytes([n]) * 4000)
    _git(origin, "init", "-q")
    _git(origin, "add", ".")
    _git(origin, "commit", "-qm", "media")
    _git(tmp_path, "clone", "-q", str(origin), "clone")
    return tmp_path / "clone"


def _opened_media(command: list[str], trace: Path) -> set[str]:
    """The `.mp4` files `command` and every process it starts open (read or write)."""
    subprocess.run(
        [_strace(), "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", str(trace), *command],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    lines = trace.read_text(encoding="utf-8", errors="replace").splitlines()
    return {name for name in FILES for line in lines if name.rsplit("/", 1)[-1] in line}


def _index_written_after(clone: Path, nanoseconds: int) -> int:
    """Date the index `nanoseconds` after the newest file: what a checkout that took that
    long leaves. Returns the newest file's mtime."""
    newest = max((clone / name).stat().st_mtime_ns for name in FILES)
    stamp = newest + nanoseconds
    os.utime(clone / ".git" / "index", ns=(stamp, stamp))
    return newest


def test_files_older_than_the_index_within_its_second_are_not_opened(
    clone: Path, tmp_path: Path
) -> None:
    newest = _index_written_after(clone, 1_000_000)  # 1 ms: the same second, mostly
    command = [sys.executable, "-c", _LIST, str(clone), *FILES]

    opened = _opened_media(command, tmp_path / "ours.trace")

    assert opened == set()
    assert len(tracked_identities(clone, FILES)) == len(FILES)
    if newest // 10**9 == (newest + 1_000_000) // 10**9:
        # git's own check, in whole seconds, reads every one of them
        git_check = ["git", "-C", str(clone), "--no-optional-locks", "diff-files", "--name-only"]
        assert _opened_media(git_check, tmp_path / "git.trace") == set(FILES)


def test_a_file_written_in_the_index_tick_is_settled_by_git_from_its_content(
    clone: Path, tmp_path: Path
) -> None:
    _index_written_after(clone, 0)  # the newest files share the index's timestamp
    index_ns = (clone / ".git" / "index").stat().st_mtime_ns
    racy = sorted(name for name in FILES if (clone / name).stat().st_mtime_ns == index_ns)
    assert racy  # at least the newest
    command = [sys.executable, "-c", _LIST, str(clone), *FILES]

    opened = _opened_media(command, tmp_path / "ours.trace")

    assert opened == set(racy)  # by git, to compare them: stat data cannot tell
    assert len(tracked_identities(clone, FILES)) == len(FILES)


def test_an_edit_that_keeps_size_and_mtime_in_the_index_tick_is_caught(clone: Path) -> None:
    _index_written_after(clone, 0)
    index_ns = (clone / ".git" / "index").stat().st_mtime_ns
    racy = next(name for name in FILES if (clone / name).stat().st_mtime_ns == index_ns)
    path = clone / racy
    path.write_bytes(b"\xff" * 4000)  # same size, other content
    os.utime(path, ns=(index_ns, index_ns))  # and the same timestamp as before

    identities = tracked_identities(clone, FILES)

    assert racy not in identities
    assert len(identities) == len(FILES) - 1


def test_an_edit_older_than_the_index_in_stat_data_is_not_taken_for_unchanged(
    clone: Path,
) -> None:
    _index_written_after(clone, 1_000_000)
    path = clone / FILES[0]
    old = path.stat()
    path.write_bytes(b"\xff" * 4000)  # same size, other content, a new mtime
    assert path.stat().st_mtime_ns != old.st_mtime_ns

    assert FILES[0] not in tracked_identities(clone, FILES)
