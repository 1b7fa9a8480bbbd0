"""A run lock held by another, live process: what every lock test races against."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_HOLDER = """
import sys, time
from pathlib import Path
from videosync.state.runlock import RunLock
with RunLock(Path(sys.argv[1]), Path(sys.argv[2])):
    print("held", flush=True)
    time.sleep(60)
"""


def start_holder(lockfile: Path, state_dir: Path) -> subprocess.Popen[str]:
    """Start a process that takes the run lock of `lockfile`; return once it holds it."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(lockfile), str(state_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


@contextmanager
def held_by_another_process(lockfile: Path, state_dir: Path) -> Iterator[subprocess.Popen[str]]:
    """The run lock held by a live process for the duration of the block."""
    proc = start_holder(lockfile, state_dir)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()
