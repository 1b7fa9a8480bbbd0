"""A catalog folder with a few small files, and a helper to write a manifest into it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

WriteManifest = Callable[[str], Path]


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """tmp_path with media/intro.mp4, media/clips/{a,b}.mp4 and media/clips/deep/c.mp4.

    The manifest is not decoded, so the files hold a few distinct bytes each.
    """
    for rel in (
        "media/intro.mp4",
        "media/clips/a.mp4",
        "media/clips/b.mp4",
        "media/clips/deep/c.mp4",
    ):
        file = tmp_path / rel
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(rel.encode())
    return tmp_path


@pytest.fixture
def write_manifest(catalog: Path) -> WriteManifest:
    """Write `text` as catalog/videosync.yaml and return its path."""

    def write(text: str) -> Path:
        path = catalog / "videosync.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write
