"""A copy of examples/catalog to run videosync on, and the command line run in-process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.apply.conftest import run

__all__ = ["EXAMPLE_CATALOG", "EXAMPLE_VIDEOS", "NO_KEY_MESSAGE", "ROOT", "WORKFLOW", "run"]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CATALOG = ROOT / "examples" / "catalog"
WORKFLOW = ROOT / "examples" / "github-actions" / "videosync.yml"
EXAMPLE_VIDEOS = 6
"""Entries examples/catalog/videosync.yaml resolves to (its glob matches three files)."""

NO_KEY_MESSAGE = (
    "error: no API key: set REKA_API_KEY (or VIDEOSYNC_API_KEY), "
    "or use --api-url local for the embedded emulator"
)


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of examples/catalog, the working directory, with no API key or URL set."""
    for name in ("REKA_API_KEY", "VIDEOSYNC_API_KEY", "VIDEOSYNC_API_URL"):
        monkeypatch.delenv(name, raising=False)
    ignore = shutil.ignore_patterns(".videosync", "videosync.lock")
    copy = Path(shutil.copytree(EXAMPLE_CATALOG, tmp_path / "catalog", ignore=ignore))
    monkeypatch.chdir(copy)
    return copy
