"""`videosync init`: write a starter `videosync.yaml` for the videos found in a folder.

A file counts as a video when its extension says so AND its first bytes agree (an MP4 or
QuickTime box, a Matroska/WebM EBML header, a RIFF AVI header): a `notes.mp4` that is
text is skipped with a note instead of being uploaded later.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from videosync.errors import UsageError
from videosync.manifest.files import FileProblem, LocalFiles, readable_name
from videosync.manifest.loader import MANIFEST_NAME
from videosync.manifest.yamlread import format_scalar
from videosync.schemas import schema_file

__all__ = [
    "VIDEO_EXTENSIONS",
    "InitResult",
    "init_manifest",
    "readable_name",
    "sniff_container",
]

GITIGNORE_LINE = ".videosync/"

# Extension → the container family its bytes must show.
VIDEO_EXTENSIONS = {
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".mov": "mp4",
    ".mkv": "ebml",
    ".webm": "ebml",
    ".avi": "avi",
}
_EXPECTED = {
    "mp4": "an MP4/QuickTime 'ftyp' box",
    "ebml": "an EBML header",
    "avi": "a RIFF AVI header",
}
# Top-level boxes an ISO-BMFF file starts with; old QuickTime files may lack 'ftyp'.
_MP4_FIRST_BOXES = {b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


@dataclass(frozen=True)
class InitResult:
    """What `init` wrote and what it left out."""

    manifest: Path
    videos: tuple[str, ...]
    """Paths (relative to the folder) of the videos written as entries."""
    skipped: tuple[tuple[str, str], ...]
    """(path, why) for files with a video extension that are not videos."""
    gitignore: Path | None
    """The .gitignore that `.videosync/` was added to, or None if it was there already."""


def sniff_container(head: bytes) -> str | None:
    """The container family (`mp4`, `ebml`, `avi`) the first bytes of a file show, or None."""
    if len(head) >= 8 and head[4:8] in _MP4_FIRST_BOXES:
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "ebml"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    return None


def init_manifest(folder: Path, *, force: bool = False) -> InitResult:
    """Write `folder/videosync.yaml` listing the videos under `folder`, and ignore `.videosync/`.

    Refuses (`UsageError`, exit 3) to overwrite an existing manifest unless `force`.
    """
    if not folder.is_dir():
        raise UsageError(f"{folder}: {'not a folder' if folder.exists() else 'no such folder'}")
    target = folder / MANIFEST_NAME
    if target.exists() and not force:
        raise UsageError(f"{target} already exists; use --force to overwrite it")
    videos, skipped = _scan(folder)
    _write(target, _manifest_text(folder, videos).encode("utf-8"))
    return InitResult(target, tuple(videos), tuple(skipped), _ignore_cache(folder))


def _write(path: Path, data: bytes) -> None:
    """Write a file of the new catalog; `UsageError` (exit 3) when the folder refuses it."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise UsageError(
            f"{path}: cannot write it ({reason}); run init on a folder you can write to"
        ) from exc


def _scan(folder: Path) -> tuple[list[str], list[tuple[str, str]]]:
    videos: list[str] = []
    skipped: list[tuple[str, str]] = []
    # The loader's own checks, so every file written passes `validate` (inside the
    # folder through symlinks too, regular, readable).
    files = LocalFiles(folder)
    for dirpath, dirnames, filenames in os.walk(folder):
        # Hidden folders (.git, .videosync) are not media; sorted for a stable manifest.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            family = VIDEO_EXTENSIONS.get(Path(name).suffix.lower())
            if family is None or name.startswith("."):
                continue
            file = Path(dirpath, name)
            rel = file.relative_to(folder).as_posix()
            try:
                files.resolve(rel)
            except FileProblem as exc:
                skipped.append((rel, str(exc)))
                continue
            try:
                with file.open("rb") as handle:
                    head = handle.read(16)
            except OSError as exc:
                skipped.append((rel, f"cannot be read ({exc.strerror or exc})"))
                continue
            if sniff_container(head) != family:
                skipped.append((rel, f"not a video: it does not start with {_EXPECTED[family]}"))
                continue
            videos.append(rel)
    return sorted(videos), skipped


def _manifest_text(folder: Path, videos: list[str]) -> str:
    schema = os.path.relpath(schema_file("manifest"), folder.resolve())
    lines = [
        f"# yaml-language-server: $schema={Path(schema).as_posix()}",
        "# The videos this catalog should hold. `videosync validate` checks this file;",
        "# `videosync plan` shows what `videosync apply` would change. A start timestamp",
        "# without an offset (start: 2025-04-12T19:05:45) is UTC.",
        "version: 1",
        "defaults:",
        "  group: default      # 'default', a group UUID, or a name under groups:",
        "  index: true         # index for search and Q&A",
        "  thumbnails: false   # thumbnails for video chunks (slower indexing)",
    ]
    if not videos:
        lines.append("videos: []           # add entries: - path: media/intro.mp4")
    else:
        lines.append("videos:")
        for rel in videos:
            lines.append(f"  - path: {format_scalar(rel)}")
            lines.append(f"    name: {format_scalar(readable_name(rel))}")
    return "\n".join(lines) + "\n"


def _ignore_cache(folder: Path) -> Path | None:
    """Add `.videosync/` (machine-local cache and journal) to `folder/.gitignore`."""
    gitignore = folder / ".gitignore"
    # Bytes, so a .gitignore in any encoding is extended without being rewritten.
    data = gitignore.read_bytes() if gitignore.exists() else b""
    present = {line.strip() for line in data.splitlines()}
    if present & {b".videosync", b".videosync/", b"/.videosync", b"/.videosync/"}:
        return None
    if data and not data.endswith(b"\n"):
        data += b"\n"
    _write(gitignore, data + GITIGNORE_LINE.encode() + b"\n")
    return gitignore
