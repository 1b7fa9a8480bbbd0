"""Fixtures shared by every test.

`_loopback_only` is always on: any connection to an address that is not loopback fails
the test, so nothing here can ever send traffic off this machine.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testing.samplemedia import write_sample_video
from videosync.emulator import EmulatorConfig, RunningEmulator, start_emulator

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NonLoopbackConnection(AssertionError):
    """A test tried to reach an address that is not on this machine."""


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family == socket.AF_UNIX:
        return
    host = address[0] if isinstance(address, tuple) else address
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        # connect() is only ever given numeric addresses by the resolver; a name here
        # means someone bypassed it.
        raise NonLoopbackConnection(f"connection to a name {host!r} refused by tests") from None
    if not ip.is_loopback:
        raise NonLoopbackConnection(f"connection to non-loopback address {host} refused by tests")


def _guarded_connect(sock: socket.socket, address: Any) -> None:
    _check_address(sock, address)
    _real_connect(sock, address)


def _guarded_connect_ex(sock: socket.socket, address: Any) -> int:
    _check_address(sock, address)
    return _real_connect_ex(sock, address)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the `slow` tests first, the cases of one parametrized test apart from each other.

    Under pytest-xdist (`make test`: `--dist load --maxschedchunk 1`) the first tests go out
    two per worker, then one at a time to whichever worker is free: the long tests run side
    by side from the start, not one after another at the end while the other workers idle.
    """
    cases: dict[str, int] = {}
    order: dict[str, tuple[int, int]] = {}
    for item in items:
        if item.get_closest_marker("slow") is None:
            order[item.nodeid] = (1, 0)
            continue
        function = item.nodeid.split("[", 1)[0]
        cases[function] = cases.get(function, -1) + 1
        order[item.nodeid] = (0, cases[function])
    items.sort(key=lambda item: order[item.nodeid])


API_VERSION_SETTING = "VIDEOSYNC_API_VERSION"


@pytest.fixture(autouse=True)
def _api_v1_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line speaks v1 in tests (and in the commands they start) unless a test
    asks for v2 or auto: the emulator serves v2 too, and `auto` would pick it, but the
    suite written for v1 must keep showing v1's behaviour (issue 15). Tests of v2 set
    `VIDEOSYNC_API_VERSION` (or pass `--api-version`) themselves."""
    monkeypatch.setenv(API_VERSION_SETTING, "v1")


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    yield


# --- the emulator (videosync/emulator) ----------------------------------------------------

API_KEY = "test-key"
"""The key the `emulator` fixture accepts (beside "other-key", a second tenant)."""
OTHER_API_KEY = "other-key"


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    """A fresh emulator on 127.0.0.1 and an ephemeral port, data in a temporary dir.

    Indexing is instant (index_delay=0) and no fault is injected; change that with
    `emulator.set_faults(...)`. Keys: API_KEY and OTHER_API_KEY (two tenants).
    """
    config = EmulatorConfig(
        data_dir=tmp_path / "emulator-data",
        api_keys=(API_KEY, OTHER_API_KEY),
        retry_after=0,
    )
    with start_emulator(config) as running:
        yield running


@pytest.fixture(scope="session")
def sample_videos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three small, distinct, real H.264 MP4 files (2 s, 160x120, 24 fps)."""
    folder = tmp_path_factory.mktemp("sample-videos")
    return [write_sample_video(folder / f"sample-{seed}.mp4", seed=seed) for seed in (1, 2, 3)]


@pytest.fixture(scope="session")
def sample_video(sample_videos: list[Path]) -> Path:
    """One small real H.264 MP4 file (the first of `sample_videos`)."""
    return sample_videos[0]
