"""One log line per request (method, path, status, milliseconds) and an `X-Request-ID`.

The line holds the path only: never headers (the API key) nor the query string (the
signature of a download URL).
"""

from __future__ import annotations

import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from videosync.emulator.faults import DroppedConnection

__all__ = ["RequestLogMiddleware", "logger"]

logger = logging.getLogger("videosync.emulator")


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        started = time.perf_counter()
        status = "-"
        logged = False

        def log() -> None:
            nonlocal logged
            if not logged:
                logged = True
                elapsed = (time.perf_counter() - started) * 1000
                logger.info("%s %s %s %.0fms", scope["method"], scope["path"], status, elapsed)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                log()  # before the last byte goes out, so the line exists once a client has it
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except DroppedConnection:
            status = "dropped"
            raise
        finally:
            log()
