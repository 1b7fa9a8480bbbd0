"""Catalogs that change every round, and applies killed with SIGKILL at random instants.

Shared by the kill test (20 instants, tests/apply/test_interrupted.py) and the bench
(50 instants, bench/apply_kill.py).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

CHURN = """\
version: 1
groups:
  clips:
    name: Clips
    metadata: {{round: {round}}}
videos:
  - glob: media/*.mp4
    group: clips
  - path: extra/x.mp4
    group: {extra_group}
"""


class Lines:
    """The lines a subprocess writes to one of its pipes, read in a thread as they come."""

    def __init__(self, pipe: object) -> None:
        self.lines: list[str] = []
        self._event = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe: object) -> None:
        for line in pipe:  # type: ignore[attr-defined]
            self.lines.append(line)
            self._event.set()

    def wait_for(self, prefix: str, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(line.startswith(prefix) for line in self.lines):
                return True
            self._event.wait(0.01)
            self._event.clear()
        return False

    def text(self) -> str:
        self._thread.join(timeout=10)
        return "".join(self.lines)


def churn(folder: Path, videos: list[Path], round_: int, rng: random.Random) -> None:
    """Give the next apply work of every kind: replaces, a create or delete, a group update."""
    media = folder / "media"
    media.mkdir(parents=True, exist_ok=True)
    for name in ("a", "b", "c", "d"):
        if round_ == 0 or rng.random() < 0.5:
            shutil.copyfile(rng.choice(videos), media / f"{name}.mp4")
    extra = media / "e.mp4"
    if extra.exists() and round_ % 2:
        extra.unlink()
    elif not extra.exists():
        shutil.copyfile(rng.choice(videos), extra)
    (folder / "extra").mkdir(exist_ok=True)
    shutil.copyfile(videos[round_ % len(videos)], folder / "extra" / "x.mp4")
    manifest = CHURN.format(round=round_, extra_group="clips" if round_ % 3 else "default")
    (folder / "videosync.yaml").write_text(manifest, encoding="utf-8")


def kill_at_random_instant(
    manifest: Path, url: str, api_key: str, rng: random.Random, window: float = 0.3
) -> bool:
    """Start `videosync apply --yes`, kill -9 it at a random instant after its plan is
    shown; whether it was killed before it finished."""
    env = {**os.environ, "REKA_API_KEY": api_key, "PYTHONUNBUFFERED": "1"}
    env.pop("VIDEOSYNC_API_URL", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "videosync",
            "-f",
            str(manifest),
            "--api-url",
            url,
            "apply",
            "--yes",
            "--parallelism",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    out, err = Lines(proc.stdout), Lines(proc.stderr)
    if not out.wait_for("Plan: "):
        proc.kill()
        raise AssertionError(f"apply showed no plan: {out.text()}{err.text()}")
    time.sleep(rng.uniform(0.0, window))
    proc.kill()
    proc.wait()
    return not any(line.startswith("Apply complete") for line in out.text().splitlines())
