"""Fixtures for the API client's tests.

`ScriptedServer` plugs into httpx's own seam, the transport (`httpx.MockTransport`), to
serve exact edge cases the emulator does not produce (an HTML 502 from a proxy, an
HTTP-date `Retry-After`, a JSON body without `results`). Everything else runs against
the real emulator over loopback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from videosync.api.retry import RetryPolicy
from videosync.api.sync import SyncVisionClient

FAST = RetryPolicy(attempts=4, deadline=30.0, initial=0.001, maximum=0.05, jitter=0.0)
"""Retries with waits short enough for tests; four attempts."""

KEY = "sk-test-0123456789abcdef"
"""The key the scripted server's clients send (and that must never leak)."""

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class ScriptedServer:
    """Answers requests with `replies` in order (the last one repeats); keeps each request."""

    replies: list[Reply]
    requests: list[httpx.Request] = field(default_factory=list)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            return reply(request)
        return reply

    def client(self, retry: RetryPolicy = FAST) -> SyncVisionClient:
        return SyncVisionClient(
            "https://vision.test", KEY, retry=retry, transport=httpx.MockTransport(self.handle)
        )


@pytest.fixture
def scripted() -> Iterator[Callable[..., tuple[ScriptedServer, SyncVisionClient]]]:
    """`scripted(reply, ...)` -> (server, client): a client whose server says exactly that."""
    clients: list[SyncVisionClient] = []

    def make(*replies: Reply, retry: RetryPolicy = FAST) -> tuple[ScriptedServer, SyncVisionClient]:
        server = ScriptedServer(list(replies))
        clients.append(server.client(retry))
        return server, clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Captures every log line at DEBUG (the client's one line per request included)."""
    with caplog.at_level(logging.DEBUG):
        yield caplog


def request_lines(caplog: pytest.LogCaptureFixture, method: str, path: str) -> list[str]:
    """The client's per-request log lines for `method path` (one per attempt)."""
    prefix = f"{method} {path} "
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "videosync.api.client" and r.getMessage().startswith(prefix)
    ]
