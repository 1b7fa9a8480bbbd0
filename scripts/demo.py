"""`make demo`: videosync on the example catalog, offline, with no API key.

Copies `examples/catalog/` to a temporary folder (so the repository stays clean and every
run starts from scratch) and runs the real `videosync` command there, as a user would:
validate → plan → apply → plan again (no changes) → status, each against the embedded
emulator (`--api-url local`, its data in the copy's `.videosync/local/`). Every command
is a new process, so the last plan also shows that the emulator's state persists.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "examples" / "catalog"

STEPS: tuple[tuple[tuple[str, ...], int, str], ...] = (
    (("validate",), 0, "check the manifest: schema, files, keys, groups (no API call)"),
    (
        ("plan", "--api-url", "local", "--detailed-exitcode"),
        2,
        "what apply would do, and why (exit 2: there are changes)",
    ),
    (
        ("apply", "--api-url", "local", "--yes", "--wait"),
        0,
        "upload, record path → video_id in videosync.lock, wait for indexing",
    ),
    (
        ("plan", "--api-url", "local", "--detailed-exitcode"),
        0,
        "plan again: the catalog matches the manifest (exit 0)",
    ),
    (("status", "--api-url", "local"), 0, "each managed video and its remote status"),
)


def _videosync() -> list[str]:
    """The installed `videosync` command beside this Python, else `python -m videosync`."""
    script = Path(sys.executable).parent / "videosync"
    return [str(script)] if script.exists() else [sys.executable, "-m", "videosync"]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    # The point of the demo: it runs with no key and never reaches the network.
    for name in ("REKA_API_KEY", "VIDEOSYNC_API_KEY", "VIDEOSYNC_API_URL"):
        env.pop(name, None)
    return env


def _copy_catalog(target: Path) -> Path:
    # State a hand-run left in examples/catalog (git-ignored) is not part of the example.
    ignore = shutil.ignore_patterns(".videosync", "videosync.lock")
    return Path(shutil.copytree(CATALOG, target / "catalog", ignore=ignore))


def main() -> int:
    started = time.monotonic()
    command = _videosync()
    env = _environment()
    with tempfile.TemporaryDirectory(prefix="videosync-demo-") as tmp:
        catalog = _copy_catalog(Path(tmp))
        print(f"# a copy of examples/catalog in {catalog}; no API key, no network")
        print(f"$ cd {catalog}", flush=True)
        for args, expected, why in STEPS:
            print(f"\n# {why}")
            print(f"$ videosync {shlex.join(args)}", flush=True)
            rc = subprocess.run([*command, *args], cwd=catalog, env=env, check=False).returncode
            if rc != expected:
                print(f"demo: `videosync {shlex.join(args)}` exited {rc}, expected {expected}")
                return 1
            print(f"# exit {rc}", flush=True)
        lock = (catalog / "videosync.lock").read_text(encoding="utf-8")
        print(f"\n# videosync.lock: {lock.count('video_id')} videos recorded, ready to commit")
    print(f"demo: done in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
