"""A plan and an apply against an API import nothing they do not use (issue 16): not the
emulator or PyAV (the emulator's), not rich or pygments (httpx's own command line pulls
them in), not deepdiff (only a plan with attribute changes needs it). Each costs start-up
time that every CI run pays; `python -X importtime` lists what the command loaded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import API_KEY
from videosync.emulator import RunningEmulator

NOT_ON_THE_API_PATH = ("videosync.emulator", "av", "rich", "pygments", "deepdiff")


def _imported(command: list[str], cwd: Path) -> set[str]:
    env = {**os.environ, "REKA_API_KEY": API_KEY, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("VIDEOSYNC_API_URL", None)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "videosync", *command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines[1:]}


def _unwanted(modules: set[str]) -> set[str]:
    return {
        m for m in modules for top in NOT_ON_THE_API_PATH if m == top or m.startswith(top + ".")
    }


def test_plan_and_apply_import_neither_emulator_nor_rich_nor_deepdiff(
    tmp_path: Path, sample_videos: list[Path], emulator: RunningEmulator
) -> None:
    (tmp_path / "media").mkdir()
    shutil.copyfile(sample_videos[0], tmp_path / "media" / "clip.mp4")
    (tmp_path / "videosync.yaml").write_text(
        "version: 1\nvideos:\n  - glob: media/*.mp4\n", encoding="utf-8"
    )
    target = ["--api-url", emulator.url]

    planned = _imported([*target, "plan"], tmp_path)
    applied = _imported([*target, "apply", "--yes"], tmp_path)

    assert "httpx" in planned and "videosync.applying.applier" in applied  # it did list them
    assert _unwanted(planned) == set()
    assert _unwanted(applied) == set()
