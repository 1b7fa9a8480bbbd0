"""Shell completion, as the README tells users to set it up (click's `_VIDEOSYNC_COMPLETE`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

VIDEOSYNC = str(Path(sys.executable).parent / "videosync")


def _complete(env: dict[str, str]) -> str:
    done = subprocess.run(
        [VIDEOSYNC], env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _videosync_completion videosync"),
        ("zsh", "compdef _videosync_completion videosync"),
        ("fish", "complete --no-files --command videosync"),
    ],
)
def test_prints_a_completion_script_for_each_shell(shell: str, marker: str) -> None:
    assert marker in _complete({"_VIDEOSYNC_COMPLETE": f"{shell}_source"})


def test_bash_completes_commands_and_their_options() -> None:
    def words(line: str) -> list[str]:
        words = line.split()
        return _complete(
            {
                "_VIDEOSYNC_COMPLETE": "bash_complete",
                "COMP_WORDS": line,
                "COMP_CWORD": str(len(words) - 1),
            }
        ).split()

    assert words("videosync pl") == ["plain,plan"]
    assert words("videosync plan --detailed") == ["plain,--detailed-exitcode"]
