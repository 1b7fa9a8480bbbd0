"""`--api-url local`: the embedded emulator, started for one command and stopped after it.

A first run needs no account and no network: the emulator (`videosync.emulator`) serves on
127.0.0.1 and an ephemeral port for the length of the command, with its data under
`<manifest folder>/.videosync/local/`, so what one run uploads the next one lists. It is
open (any key) and every run uses the same placeholder key, hence the same tenant.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from videosync.emulator.config import EmulatorConfig
from videosync.emulator.server import start_emulator
from videosync.errors import DataDirBusy, LocalEmulatorBusy
from videosync.workdir import local_data_dir, make_cache_dir

__all__ = [
    "LOCAL",
    "LOCAL_API_KEY",
    "Endpoint",
    "local_endpoint",
]

LOCAL = "local"
"""The `--api-url` value that selects the embedded emulator."""

LOCAL_API_KEY = "videosync-local"
"""Not a secret: the emulator is open; a fixed key keeps every run in one tenant."""


@dataclass(frozen=True)
class Endpoint:
    """Where a command sends its API calls, and with which key."""

    url: str
    api_key: str


@contextmanager
def local_endpoint(manifest_path: Path, *, index_delay: float = 0.0) -> Iterator[Endpoint]:
    """Serve the embedded emulator for the manifest at `manifest_path` while in the block.

    Raises `LocalEmulatorBusy` when another run already serves the same data dir.
    """
    data_dir = local_data_dir(manifest_path)
    data_dir.mkdir(parents=True, exist_ok=True)
    make_cache_dir(data_dir.parent)
    config = EmulatorConfig(data_dir=data_dir, open=True, index_delay=index_delay)
    try:
        emulator = start_emulator(config)
    except DataDirBusy as exc:
        raise LocalEmulatorBusy(data_dir) from exc
    with emulator:
        yield Endpoint(emulator.url, LOCAL_API_KEY)
