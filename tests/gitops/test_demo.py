"""`make demo`'s script: the whole first run, offline, with no API key, twice in a row."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.gitops.conftest import ROOT


def _example_files() -> dict[str, int]:
    """Every file under examples/ (hidden ones too) with its modification time."""
    return {
        str(path.relative_to(ROOT)): path.stat().st_mtime_ns
        for path in sorted((ROOT / "examples").rglob("*"))
    }


@pytest.mark.slow
def test_demo_runs_end_to_end_twice_and_leaves_the_repository_clean() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REKA_", "VIDEOSYNC_"))}
    before = _example_files()
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "demo.py")],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "$ videosync apply --api-url local --yes --wait" in done.stdout
        assert "Apply complete: 6 created" in done.stdout
        assert "No changes. The catalog matches the manifest." in done.stdout
        assert "videosync.lock: 6 videos recorded" in done.stdout
    assert _example_files() == before
