"""What apply shows: plain lines for logs, progress bars on a terminal."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import time
from pathlib import Path

from tests.apply.conftest import assert_converged, child_env, command, remote_videos
from videosync.applying.outcome import Outcome
from videosync.applying.progress import PlainReporter
from videosync.emulator import RunningEmulator


def test_plain_lines_name_the_action_the_key_and_the_video() -> None:
    out, err = io.StringIO(), io.StringIO()
    reporter = PlainReporter(out, err)
    for outcome in (
        Outcome("created", "media/a.mp4", video_id="3f2a1b2c-0000"),
        Outcome("replaced", "media/b.mp4", video_id="9c8d7e6f-0000"),
        Outcome("adopted", "media/c.mp4", video_id="11112222-0000"),
        Outcome("deleted", "media/d.mp4", video_id="aaaabbbb-0000"),
        Outcome("updated", "clips", "group"),
        Outcome("failed", "media/e.mp4", error="POST /videos/upload: HTTP 422: bad name"),
    ):
        reporter.finished(outcome)
    assert out.getvalue().splitlines() == [
        "+ created media/a.mp4 → 3f2a1b2c…",
        "-/+ replaced media/b.mp4 → 9c8d7e6f…",
        "~ adopted media/c.mp4 → 11112222…",
        "- deleted media/d.mp4 (aaaabbbb…)",
        "~ updated group clips",
    ]
    assert err.getvalue() == "! failed media/e.mp4: POST /videos/upload: HTTP 422: bad name\n"


def test_on_a_terminal_apply_draws_progress_bars(catalog: Path, emulator: RunningEmulator) -> None:
    code, text = _on_terminal(command(catalog, emulator.url, "apply", "--yes"), None)
    assert code == 0
    assert "apply: 4 actions" in text  # the overall bar
    assert "+ created media/intro.mp4 → " in text
    assert "Apply complete: 3 created" in text
    assert_converged(catalog, emulator)


def _on_terminal(args: list[str], answer: bytes | None) -> tuple[int, str]:
    """Run a command on a pseudo-terminal, typing `answer` at the first question."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        args,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**child_env(), "COLUMNS": "120", "TERM": "xterm"},
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
        if answer is not None and b"Apply these changes? [y/N]" in b"".join(chunks):
            os.write(leader, answer)
            answer = None
    os.close(leader)
    return proc.wait(timeout=30), b"".join(chunks).decode("utf-8", "replace")


def test_on_a_terminal_apply_asks_first_and_no_changes_nothing(
    catalog: Path, emulator: RunningEmulator
) -> None:
    code, text = _on_terminal(command(catalog, emulator.url, "apply"), b"n\n")
    assert code == 1
    assert text.index("media/intro.mp4") < text.index("Apply these changes? [y/N]")
    assert "Apply cancelled: nothing was changed." in text
    assert remote_videos(emulator) == []
    code, text = _on_terminal(command(catalog, emulator.url, "apply"), b"y\n")
    assert code == 0
    assert "Apply complete: 3 created" in text
    assert_converged(catalog, emulator)
