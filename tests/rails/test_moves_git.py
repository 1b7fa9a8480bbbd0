"""A move in a fresh clone is found from git's identities: 0 media bytes read."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.apply.conftest import run
from tests.conftest import API_KEY
from tests.rails.conftest import write_manifest
from videosync.commands.plan import make_plan
from videosync.content.localfiles import BYTES_READ
from videosync.emulator import RunningEmulator

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(cwd: Path, *args: str) -> None:
    ident = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]
    subprocess.run(["git", *ident, *args], cwd=cwd, check=True, capture_output=True)


def test_a_move_committed_to_git_is_planned_from_a_fresh_clone_without_reading(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    origin = tmp_path / "origin"
    (origin / "media").mkdir(parents=True)
    for n in range(2):
        shutil.copyfile(distinct_videos[n], origin / "media" / f"v{n}.mp4")
    manifest = write_manifest(origin, ["{path: media/v0.mp4}", "{path: media/v1.mp4}"])
    code, _, err = run(capsys, "-f", str(manifest), "--api-url", emulator.url, "apply", "--yes")
    assert code == 0, err
    _git(origin, "init", "-q")
    _git(origin, "add", ".")
    _git(origin, "commit", "-qm", "catalog")
    (origin / "archive").mkdir()
    _git(origin, "mv", "media/v0.mp4", "archive/v0.mp4")
    write_manifest(origin, ["{path: archive/v0.mp4}", "{path: media/v1.mp4}"])
    _git(origin, "commit", "-qam", "move v0 to the archive")
    _git(tmp_path, "clone", "-q", str(origin), "clone")

    before = BYTES_READ.total
    planned = make_plan(
        tmp_path / "clone" / "videosync.yaml", api_url=emulator.url, api_key=API_KEY
    )
    assert BYTES_READ.total == before
    assert [(a.kind, a.key, a.moved_from) for a in planned.plan.changes] == [
        ("move", "archive/v0.mp4", "media/v0.mp4")
    ]
