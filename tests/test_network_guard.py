"""The always-on guard refuses any connection that leaves this machine."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import NonLoopbackConnection


def test_connection_to_public_address_is_refused() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(NonLoopbackConnection, match=r"non-loopback address 192\.0\.2\.1"),
    ):
        sock.connect(("192.0.2.1", 80))


def test_connection_to_loopback_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=2) as client:
            assert client.getpeername()[1] == port
