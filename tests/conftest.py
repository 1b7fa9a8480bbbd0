"""Fixtures shared by every test.

`_loopback_only` is always on: any connection to an address that is not loopback fails
the test, so nothing here can ever send traffic off this machine.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

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


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    yield
