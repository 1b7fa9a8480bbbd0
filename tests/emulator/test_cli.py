"""`videosync emulator`: help for every option, a clear refusal without keys or a port."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest


def _videosync(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1"}  # no REKA_API_KEY from the caller
    return subprocess.run(
        [sys.executable, "-m", "videosync", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        cwd=cwd,
        check=False,
    )


def test_help_explains_every_option() -> None:
    result = _videosync("emulator", "--help")

    assert result.returncode == 0
    for option in (
        "--host",
        "--port",
        "--data-dir",
        "--api-key",
        "--open",
        "--index-delay",
        "--latency",
        "--fault-rate",
        "--seed",
        "--max-upload-bytes",
        "--allow-private-urls",
    ):
        assert option in result.stdout
    assert ".videosync/emulator" in result.stdout


def test_without_a_key_or_open_it_refuses_to_start(tmp_path: Path) -> None:
    result = _videosync("emulator", "--port", "0", cwd=tmp_path)

    assert result.returncode == 3
    assert result.stderr.strip() == (
        "error: the emulator needs a key to accept: give --api-key KEY, set REKA_API_KEY, "
        "or use --open to accept any key"
    )
    assert not (tmp_path / ".videosync").exists()


@pytest.mark.parametrize("bad", ["--fault-rate=2", "--port=70000", "--index-delay=-1"])
def test_out_of_range_values_are_refused(bad: str) -> None:
    result = _videosync("emulator", "--open", bad)

    assert result.returncode == 3
    # One line, as every usage error: what is wrong, and where the options are.
    assert result.stderr.startswith("error: invalid value for '--")
    assert result.stderr.endswith("; see 'videosync emulator --help'\n")
    assert result.stderr.count("\n") == 1


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = _videosync(
            "emulator", "--open", "--port", str(port), "--data-dir", str(tmp_path / "d")
        )

    assert result.returncode == 3
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert result.stderr.strip().endswith("choose another --port (0 picks a free one) or --host")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "d").exists()
