"""The manifest's local files: `path` and `glob` entries resolved and checked on disk.

A file must be inside the manifest's folder once `..` and symlinks are resolved, exist,
and be a regular, readable file. Each file costs one `lstat` (an `access` too only when
its mode does not make it readable by all); the real path of each folder is resolved
once, however many files it holds, which keeps a 100k-entry manifest fast.
"""

from __future__ import annotations

import glob
import os
import posixpath
import re
import stat
from pathlib import Path

__all__ = ["FileProblem", "LocalFiles", "readable_name"]


def readable_name(rel: str) -> str:
    """A video's name from its file's path: `media/my_first-clip.mp4` → `My first clip`.

    What `init` writes for each file it finds, and what a `glob` entry without `name:`
    gives each file it matches.
    """
    stem = Path(rel).stem
    words = " ".join(w for w in re.split(r"[\s_\-.]+", stem) if w)
    return (words[:1].upper() + words[1:]) if words else Path(rel).name


class FileProblem(Exception):
    """A `path` or `glob` that does not name usable files; the text says why."""


class LocalFiles:
    """Resolves manifest paths against one folder, the manifest's."""

    def __init__(self, root: Path) -> None:
        self.root = os.path.realpath(root)
        self._real_dirs: dict[str, str] = {}
        self._folders: dict[str, Path] = {}

    def resolve(self, text: str) -> tuple[str, Path]:
        """The key (normalised POSIX path relative to the root) and absolute path of `text`.

        Raises `FileProblem` unless `text` names a regular, readable file inside the root.
        """
        key = self._key(text, "path")
        return key, self._check(key, text)

    def expand(self, pattern: str) -> list[tuple[str, Path]]:
        """Every regular file `pattern` matches (`**` at any depth), sorted by key.

        Hidden files and folders are not matched, as in the shell. Folders that match
        are skipped; a glob that matches no file at all is a `FileProblem`.
        """
        self._key(pattern, "glob")
        if ".." in pattern.split("/"):
            raise FileProblem(f"'{pattern}' must not climb out of the manifest's folder (..)")
        found: list[tuple[str, Path]] = []
        # glob.glob, not Path.glob: it skips hidden files as the shell does (.videosync/).
        matches = glob.glob(pattern, root_dir=self.root, recursive=True)  # noqa: PTH207
        for match in sorted(matches):
            key = posixpath.normpath(match)
            try:
                found.append((key, self._check(key, key)))
            except _NotAFile:
                continue
        if not found:
            raise FileProblem(f"'{pattern}' matches no file")
        return found

    def _key(self, text: str, what: str) -> str:
        if text.startswith("/"):
            raise FileProblem(
                f"'{text}' is absolute; give the {what} relative to the manifest's folder"
            )
        key = posixpath.normpath(text)
        if key == ".." or key.startswith("../"):
            raise FileProblem(f"'{text}' is outside the manifest's folder")
        if key == ".":
            raise FileProblem(f"'{text}' is the manifest's folder, not a file")
        return key

    def _check(self, key: str, text: str) -> Path:
        folder, _, name = key.rpartition("/")
        real_folder = self._real_dir(folder)
        real = f"{real_folder}/{name}"
        try:
            info = os.lstat(real)
            if stat.S_ISLNK(info.st_mode):
                real = os.path.realpath(real)
                info = Path(real).stat()
        except FileNotFoundError:
            raise FileProblem(f"no such file '{text}'") from None
        except OSError as exc:
            raise FileProblem(f"cannot read '{text}': {exc.strerror or exc}") from None
        if not self._inside(real):
            raise FileProblem(f"'{text}' leads outside the manifest's folder (to '{real}')")
        if stat.S_ISDIR(info.st_mode):
            raise _NotAFile(f"'{text}' is a folder; use glob: '{key}/**/*.mp4' for the files in it")
        if not stat.S_ISREG(info.st_mode):
            raise _NotAFile(f"'{text}' is not a regular file")
        # Readable by everyone needs no access() call (a syscall per file); else ask.
        if info.st_mode & 0o444 != 0o444 and not os.access(real, os.R_OK):
            raise FileProblem(f"'{text}' is not readable (permission denied)")
        # Joining a name to a cached folder parses one part, not the whole path.
        parent = self._folders.get(folder)
        if parent is None:
            parent = self._folders[folder] = Path(self.root, folder)
        return parent / name

    def _real_dir(self, folder: str) -> str:
        real = self._real_dirs.get(folder)
        if real is None:
            real = os.path.realpath(posixpath.join(self.root, folder))
            self._real_dirs[folder] = real
        return real

    def _inside(self, real: str) -> bool:
        return real.startswith(self.root + "/") or self.root == "/"


class _NotAFile(FileProblem):
    """A folder or special file: an error for `path`, skipped by `glob`."""
