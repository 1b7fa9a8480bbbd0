"""The machine-local folder beside a manifest, `.videosync/`, and how videosync writes files.

`.videosync/` holds what must never be committed and may be lost at any time: the hash cache,
the apply journal, the run lock and its note, and the embedded emulator's data. It carries
its own `.gitignore`, so it stays out of git even where the repository does not ignore it.
`write_atomic` is how every file videosync keeps (lockfile, plan file, cache, journal
checkpoints) is replaced: whole or not at all; `append_whole` is how the journal grows.
Every byte of them reaches the disk through `write_synced`, and every failed write is
reported as `StateWriteFailed` naming the file (`writing`), never as a bare `OSError`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from videosync.errors import StateWriteFailed, WorkdirError

__all__ = [
    "CACHE_DIR_NAME",
    "append_whole",
    "hash_cache_path",
    "journal_path",
    "local_data_dir",
    "make_cache_dir",
    "workdir",
    "write_atomic",
    "write_synced",
    "writing",
]

CACHE_DIR_NAME = ".videosync"
_JOURNAL_NAME = "journal.jsonl"
_HASH_CACHE_NAME = "hashcache.json"
_LOCAL_DATA_NAME = "local"


def workdir(root: Path) -> Path:
    """The `.videosync/` folder of the manifest in folder `root` (not created here).

    `WorkdirError` (exit 3) when a file is in its place: every command that uses the folder
    asks for it here first, so each says so in one line before it reads or writes anything.
    """
    folder = root / CACHE_DIR_NAME
    if folder.is_file():
        raise WorkdirError(
            folder,
            "is a file, where videosync keeps its machine-local folder (hash cache, journal, "
            "run lock); move the file aside and run again",
        )
    return folder


def journal_path(root: Path) -> Path:
    """The apply journal of the manifest in folder `root`."""
    return workdir(root) / _JOURNAL_NAME


def hash_cache_path(root: Path) -> Path:
    """The hash cache of the manifest in folder `root`."""
    return workdir(root) / _HASH_CACHE_NAME


def local_data_dir(manifest_path: Path) -> Path:
    """The embedded emulator's data dir (`--api-url local`) for the manifest at `manifest_path`."""
    return workdir(manifest_path.absolute().parent) / _LOCAL_DATA_NAME


def make_cache_dir(folder: Path) -> Path:
    """Create `folder` (a `.videosync/`) holding a `.gitignore` of everything in it.

    Machine-local data (hash cache, journal, lock, embedded emulator) must never be
    committed, even in a repository whose own `.gitignore` does not list `.videosync/`.
    """
    with writing(folder):
        folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        write_atomic(ignore, b"# videosync's machine-local cache\n*\n")
    return folder


@contextlib.contextmanager
def writing(path: Path) -> Iterator[None]:
    """Report an `OSError` raised in the block as `StateWriteFailed` naming `path`.

    The one place a failed write of a file videosync keeps becomes the error a user reads
    ("no space left on device writing …"), whichever call failed.
    """
    try:
        yield
    except StateWriteFailed:
        raise  # named by an inner block already
    except OSError as exc:
        raise StateWriteFailed(path, exc) from exc


def write_synced(fd: int, data: bytes) -> None:
    """Write all of `data` to the open file `fd`, then fsync it.

    Every byte of state videosync keeps goes through here (tests fill the disk here).
    """
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)


def append_whole(fd: int, data: bytes) -> None:
    """Append `data` to the file `fd` (opened with O_APPEND) durably, or not at all.

    A failed write (a full disk) may have written part of it: the file is cut back to its
    size before, so no torn line is left for a later append to follow.
    """
    size = os.fstat(fd).st_size
    try:
        write_synced(fd, data)
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so a reader sees the old bytes or the new, never a mix.

    Temp file in the same folder (same file system, so the rename is atomic), fsync of the
    file before the rename and of the folder after, so a power cut keeps one whole version.
    `StateWriteFailed` when it cannot be written; a reader still sees one whole version.
    """
    with writing(path):
        _replace(path, data)


def _replace(path: Path, data: bytes) -> None:
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        try:
            write_synced(fd, data)
        finally:
            os.close(fd)
        if path.exists():
            Path(tmp).chmod(path.stat().st_mode & 0o777)
        else:
            Path(tmp).chmod(0o666 & ~_umask())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
