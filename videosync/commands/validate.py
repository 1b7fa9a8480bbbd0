"""`videosync validate`: check a manifest completely, offline, and report every problem."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from videosync.errors import ManifestError, ManifestInvalid
from videosync.manifest.loader import Manifest, load_manifest
from videosync.manifest.versions import version_warnings

__all__ = ["Validation", "errors_json", "validate"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Validation:
    """The outcome of validating one manifest: the manifest, or its errors sorted by line."""

    file: str
    manifest: Manifest | None
    errors: tuple[ManifestError, ...]
    warnings: tuple[str, ...] = ()
    """Fields of a valid manifest that `plan` refuses under one API version: validate makes
    no API call, so it cannot know which version the catalog is on."""

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """`videosync.yaml: valid (12 videos, 2 groups)` or `…: invalid (3 errors)`."""
        if self.manifest is not None:
            videos, groups = len(self.manifest.videos), len(self.manifest.groups)
            return f"{self.file}: valid ({_count(videos, 'video')}, {_count(groups, 'group')})"
        return f"{self.file}: invalid ({_count(len(self.errors), 'error')})"


def errors_json(results: list[Validation]) -> str:
    """The errors of `results` as a JSON list of {file, line, column, path, message}.

    `[]` when every manifest is valid. `line` and `column` are null for a problem with
    the file as a whole (unreadable, empty); `path` is the offending key, like
    `videos[3].path`, or "".
    """
    rows = [
        {
            "file": error.file,
            "line": error.line or None,
            "column": error.column or None,
            "path": error.path,
            "message": error.message,
        }
        for result in results
        for error in result.errors
    ]
    return json.dumps(rows, indent=2, ensure_ascii=False)


def validate(path: Path) -> Validation:
    """Validate the manifest at `path` without any network access; never raises for it.

    A valid manifest that writes fields only one API version can carry is still valid (exit
    0), but each such field is logged as a warning, once, at the first place it is written.
    """
    try:
        manifest = load_manifest(path)
    except ManifestInvalid as exc:
        return Validation(str(path), None, tuple(exc.errors))
    warnings = tuple(version_warnings(manifest.version_fields))
    for warning in warnings:
        log.warning("%s", warning)
    return Validation(str(path), manifest, (), warnings)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
