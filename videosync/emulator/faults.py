"""Fault injection for tests: latency, 429, 500, 503, dropped connections, failed v2 features.

Every request except the `/` status and the signed download route first waits
`latency_ms`, then with probability `fault_rate` gets one fault drawn from the allowed
kinds with a `random.Random(seed)`: the same sequence of requests meets the same faults.

- `429`, `500`, `503`: answered before the request body is read; the request has no effect.
- `drop`: the status line and headers are sent, then the connection is closed before the
  body, also before the request body is read: no effect, and no complete response.
- `drop_after_body`: the request runs to the end (an upload IS stored) and then the
  connection is closed the same way: the client cannot know that its call took effect.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from videosync.emulator.config import FAILABLE_FEATURES, FAULT_KINDS
from videosync.emulator.problems import is_v2, problem_response

__all__ = [
    "DroppedConnection",
    "FaultInjector",
    "FaultMiddleware",
    "FaultSettings",
    "FeatureFailures",
]


class DroppedConnection(Exception):
    """Raised to make uvicorn close the connection mid-response (an injected drop)."""


class _QuietDrops(logging.Filter):
    """Keeps uvicorn from logging a traceback for each drop we injected on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


@dataclass(frozen=True)
class FaultSettings:
    fault_rate: float = 0.0
    latency_ms: int = 0
    kinds: tuple[str, ...] = FAULT_KINDS
    retry_after: int = 1


class FaultInjector:
    """The current fault settings and the seeded draw; changeable while the server runs."""

    def __init__(self, settings: FaultSettings, seed: int) -> None:
        self._lock = threading.Lock()
        self._settings = settings
        self._random = random.Random(seed)

    def configure(
        self,
        *,
        fault_rate: float | None = None,
        latency_ms: int | None = None,
        seed: int | None = None,
        kinds: tuple[str, ...] | None = None,
    ) -> None:
        """Change some settings; `kinds=None` restores every kind, a new seed restarts the draw."""
        unknown = set(kinds or ()) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        if kinds is not None and not kinds:
            raise ValueError("kinds must name at least one fault kind (None means all)")
        if fault_rate is not None and not 0.0 <= fault_rate <= 1.0:
            raise ValueError(f"fault_rate must be between 0 and 1, not {fault_rate}")
        with self._lock:
            settings = self._settings
            if fault_rate is not None:
                settings = replace(settings, fault_rate=fault_rate)
            if latency_ms is not None:
                settings = replace(settings, latency_ms=latency_ms)
            settings = replace(settings, kinds=kinds or FAULT_KINDS)
            self._settings = settings
            if seed is not None:
                self._random = random.Random(seed)

    def draw(self) -> tuple[FaultSettings, str | None]:
        """The settings for this request and the fault it meets (None: no fault)."""
        with self._lock:
            settings = self._settings
            if settings.fault_rate <= 0 or self._random.random() >= settings.fault_rate:
                return settings, None
            return settings, self._random.choice(settings.kinds)


class FaultMiddleware:
    """ASGI middleware applying the injector's latency and faults to each request."""

    def __init__(
        self, app: ASGIApp, injector: FaultInjector, exempt: Callable[[str], bool]
    ) -> None:
        self.app = app
        self.injector = injector
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        settings, fault = self.injector.draw()
        if settings.latency_ms:
            await asyncio.sleep(settings.latency_ms / 1000)
        if fault is None:
            await self.app(scope, receive, send)
        elif fault in ("429", "500", "503"):
            status = int(fault)
            headers = {"Retry-After": str(settings.retry_after)} if status == 429 else None
            message = {
                429: "Too many requests (injected fault): retry after the Retry-After delay",
                500: "Internal server error (injected fault)",
                503: "Service unavailable (injected fault)",
            }[status]
            response = problem_response(status, message, headers, v2=is_v2(scope["path"]))
            await response(scope, receive, send)
        elif fault == "drop":
            await _drop(send)
        else:

            async def drop_on_body(message: Message) -> None:
                if message["type"] == "http.response.body":
                    raise DroppedConnection
                await send(message)

            await self.app(scope, receive, drop_on_body)


async def _drop(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
        }
    )
    raise DroppedConnection


class FeatureFailures:
    """The injected failure rate of feature runs (changeable while the emulator runs)."""

    def __init__(self, rate: float, seed: int, features: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self.configure(rate, features)

    def configure(self, rate: float, features: Iterable[str] = ()) -> None:
        """Fail each run of `features` (all four when empty) with probability `rate`."""
        chosen = tuple(features) or FAILABLE_FEATURES
        unknown = set(chosen) - set(FAILABLE_FEATURES)
        if unknown:
            known = ", ".join(FAILABLE_FEATURES)
            raise ValueError(f"unknown features {sorted(unknown)}; known: {known}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"a failure rate is between 0 and 1, not {rate}")
        with self._lock:
            self._rate = rate
            self._features = frozenset(chosen)

    def fails(self, video_id: str, feature: str, attempt: int) -> bool:
        """Whether this attempt fails: the same video, feature and attempt always draw alike."""
        with self._lock:
            rate, features = self._rate, self._features
        if rate <= 0 or feature not in features:
            return False
        return random.Random(f"{self._seed}:{video_id}:{feature}:{attempt}").random() < rate
