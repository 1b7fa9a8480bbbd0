"""Running the emulator: uvicorn in a background thread (tests, the demo) or in the foreground.

The listening socket is bound before uvicorn starts, so the port (even an ephemeral one)
is known at once and connections made right away queue instead of being refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from types import TracebackType

import uvicorn

from videosync.emulator.app import build_app
from videosync.emulator.config import EmulatorConfig, is_loopback
from videosync.emulator.state import EmulatorState
from videosync.emulator.store import Store, open_store
from videosync.errors import UsageError

__all__ = ["RunningEmulator", "is_loopback", "serve_forever", "start_emulator"]

logger = logging.getLogger("videosync.emulator")


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on sockets that say they are
    # TCP, and without it every keep-alive request waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
            "choose another --port (0 picks a free one) or --host"
        ) from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class _Server(uvicorn.Server):
    """uvicorn's server, stopped at once by `request_stop()`.

    Every test starts and stops an emulator: uvicorn's own stop takes 0.1-0.2 s (a 0.1 s
    tick, then a fixed 0.1 s grace), this one a few milliseconds when nothing is in flight.
    """

    _wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._wake = asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's graceful shutdown, polling every 5 ms instead of sleeping 0.1 s first."""
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.config.timeout_graceful_shutdown or 0)
        state = self.server_state
        while (state.connections or state.tasks) and loop.time() < deadline:
            await asyncio.sleep(0.005)
        for task in state.tasks:
            task.cancel()
        if not state.connections:
            for server in self.servers:
                await server.wait_closed()
        await self.lifespan.shutdown()

    def request_stop(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.should_exit = True
        wake = self._wake
        if loop is not None and wake is not None:
            loop.call_soon_threadsafe(wake.set)


def _server(config: EmulatorConfig, store: Store) -> tuple[_Server, EmulatorState]:
    app, state = build_app(config, store)
    server = _Server(
        uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,  # our own request log has one line per request
            lifespan="on",
            timeout_graceful_shutdown=2,
            # uvloop where it exists (not on Windows: asyncio there), and httptools: each
            # small upload costs the emulator less CPU than with asyncio and h11.
            loop="auto",
            http="httptools",
            proxy_headers=False,  # nothing stands in front of the emulator
        )
    )
    return server, state


class RunningEmulator:
    """An emulator serving in a background thread; `stop()` (or leaving `with`) ends it."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._sock = _bind(config.host, config.port)
        try:
            self._store = open_store(config.data_dir)
        except BaseException:
            self._sock.close()
            raise
        self.url = _url(self._sock, config.host)
        self._server, self._state = _server(config, self._store)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="videosync-emulator", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            await self._server.serve(sockets=[self._sock])

        asyncio.run(serve())

    def set_faults(
        self,
        *,
        fault_rate: float | None = None,
        latency_ms: int | None = None,
        seed: int | None = None,
        kinds: tuple[str, ...] | None = None,
    ) -> None:
        """Change fault injection while running; `kinds=None` allows every kind."""
        self._state.faults.configure(
            fault_rate=fault_rate, latency_ms=latency_ms, seed=seed, kinds=kinds
        )

    def set_feature_failures(self, rate: float, features: tuple[str, ...] = ()) -> None:
        """v2: make each new run of `features` (all when empty) fail with probability `rate`."""
        self._state.feature_failures.configure(rate, features)

    def wait_for_downloads(self, timeout: float = 30.0) -> None:
        """Block until every `video_url` download in flight has finished (or failed)."""
        loop = self._loop
        if loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._state.fetcher.wait(), loop).result(timeout)

    def stop(self) -> None:
        """Stop serving and close the data dir; safe to call twice."""
        if self._thread.is_alive():
            self._server.request_stop(self._loop)
            self._thread.join(timeout=10)
        self._sock.close()
        self._store.close()

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_emulator(config: EmulatorConfig) -> RunningEmulator:
    """Start an emulator in a background thread; it accepts connections on return."""
    return RunningEmulator(config)


def serve_forever(config: EmulatorConfig, announce: Callable[[str], None]) -> None:
    """Serve in this thread until SIGINT/SIGTERM; `announce` gets the URL once bound."""
    sock = _bind(config.host, config.port)
    store = open_store(config.data_dir)
    try:
        server, _ = _server(config, store)
        announce(_url(sock, config.host))
        server.run(sockets=[sock])
    finally:
        sock.close()
        store.close()
