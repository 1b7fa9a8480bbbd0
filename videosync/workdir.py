"""The machine-local folder beside a manifest, `.videosync/`, and how videosync writes files.

`.videosync/` holds what must never be committed and may be lost at any time: the hash cache,
the apply journal, the run lock and its note, and the embedded emulator's data. It carries
its own `.gitignore`, so it stays out of git even where the repository does not ignore it.
`write_atomic` is how every file videosync keeps (lockfile, plan file, cache, journal
checkpoints) is replaced: whole or not at all.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = [
    "CACHE_DIR_NAME",
    "hash_cache_path",
    "journal_path",
    "local_data_dir",
    "make_cache_dir",
    "workdir",
    "write_atomic",
]

CACHE_DIR_NAME = ".videosync"
_JOURNAL_NAME = "journal.jsonl"
_HASH_CACHE_NAME = "hashcache.json"
_LOCAL_DATA_NAME = "local"


def workdir(root: Path) -> Path:
    """The `.videosync/` folder of the manifest in folder `root` (not created here)."""
    return root / CACHE_DIR_NAME


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
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# videosync's machine-local cache\n*\n", encoding="utf-8")
    return folder


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so a reader sees the old bytes or the new, never a mix.

    Temp file in the same folder (same file system, so the rename is atomic), fsync of the
    file before the rename and of the folder after, so a power cut keeps one whole version.
    """
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
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
