"""Catalogs on disk, and the state `videosync apply` leaves, for command tests over the emulator."""

from __future__ import annotations

import shutil
from pathlib import Path

from videosync.commands.apply import apply
from videosync.model import Lockfile
from videosync.state.lockfile import load_lockfile, lockfile_path

MANIFEST = """\
version: 1
groups:
  marketing:
    name: Marketing clips
    metadata: {campaign: launch}
videos:
  - path: media/intro.mp4
    name: Intro
    start: 2025-04-12T19:05:45
    group: marketing
  - path: media/b.mp4
  - path: media/c.mp4
    protect: true
"""


def write_catalog(folder: Path, samples: list[Path], manifest: str = MANIFEST) -> Path:
    """A manifest and its media files in `folder`; returns the manifest's path."""
    media = folder / "media"
    media.mkdir(parents=True, exist_ok=True)
    for name, sample in zip(("intro.mp4", "b.mp4", "c.mp4"), samples, strict=True):
        shutil.copyfile(sample, media / name)
    path = folder / "videosync.yaml"
    path.write_text(manifest, encoding="utf-8")
    return path


def apply_catalog(manifest_path: Path, url: str, api_key: str) -> Lockfile:
    """Apply the manifest as `videosync apply --yes` does; the lockfile it wrote, from disk."""
    run = apply(manifest_path, api_url=url, api_key=api_key)
    failed = [o.line() for o in run.result.failed] if run.result is not None else []
    assert run.ok, failed
    return load_lockfile(lockfile_path(manifest_path))
