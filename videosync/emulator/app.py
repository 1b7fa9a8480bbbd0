"""The emulator's ASGI application: v1 routes under `/…` and `/v1/…`, v2 under `/v2/…`.

Middleware, outermost first: the request log (adds `X-Request-ID`, one line per request),
fault injection (latency, 429/5xx, drops), then Starlette's router.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from videosync.emulator import groups, videos
from videosync.emulator.committer import UploadCommitter
from videosync.emulator.config import EmulatorConfig
from videosync.emulator.destinations import DestinationPolicy
from videosync.emulator.faults import (
    DroppedConnection,
    FaultInjector,
    FaultMiddleware,
    FaultSettings,
    FeatureFailures,
)
from videosync.emulator.fetch import Fetcher
from videosync.emulator.problems import Problem, is_v2, problem_response
from videosync.emulator.requestlog import RequestLogMiddleware, logger
from videosync.emulator.signing import UrlSigner
from videosync.emulator.state import EmulatorState, state_of
from videosync.emulator.store import Store
from videosync.emulator.v2 import routes as v2_routes
from videosync.version import __version__

__all__ = ["build_app"]

DOWNLOAD_PREFIX = "/files/"


async def status(request: Request) -> Response:
    """Any request to `/`: a small JSON status, no key needed (scripts wait on it)."""
    state = state_of(request)
    return JSONResponse(
        {
            "service": "videosync Vision API emulator",
            "version": __version__,
            "status": "ok",
            "open": state.config.open,
            "index_delay": state.config.index_delay,
        }
    )


def _api_routes() -> list[BaseRoute]:
    # Fixed paths come before `{video_id}` so `/videos/groups` is not taken for an id.
    return [
        Route("/videos/upload", videos.upload, methods=["POST"]),
        Route("/videos/get", videos.get_many, methods=["POST"]),
        Route("/videos/delete", videos.delete_many, methods=["DELETE"]),
        Route("/videos", videos.list_query, methods=["GET"]),
        Route("/videos/groups", groups.create_group, methods=["POST"]),
        Route("/videos/groups", groups.list_groups, methods=["GET"]),
        Route("/videos/groups/{group_id}", groups.get_group, methods=["GET"]),
        Route("/videos/groups/{group_id}", groups.update_group, methods=["PATCH"]),
        Route("/videos/groups/{group_id}", groups.delete_group, methods=["DELETE"]),
        Route("/videos/groups/{group_id}/videos", groups.group_videos, methods=["GET"]),
        Route("/videos/groups/{group_id}/videos", groups.move_videos, methods=["POST"]),
        Route("/videos/{video_id}", videos.get_one, methods=["GET"]),
        Route("/videos/{video_id}", videos.delete_one, methods=["DELETE"]),
    ]


def _routes() -> list[BaseRoute]:
    api = _api_routes()
    prefixed = [Route(f"/v1{r.path}", r.endpoint, methods=r.methods) for r in api]  # type: ignore[attr-defined]
    return [
        Route("/", status, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
        Route(DOWNLOAD_PREFIX + "{video_id}", videos.download, methods=["GET", "HEAD"]),
        *api,
        *prefixed,
        *v2_routes(),
    ]


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(
        exc.status,
        exc.message,
        exc.headers,
        v2=is_v2(request.url.path),
        param=exc.param,
        details=exc.details,
    )


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return problem_response(exc.status_code, exc.detail, exc.headers, v2=is_v2(request.url.path))


async def _on_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, DroppedConnection):
        raise exc  # an injected drop on its way out to uvicorn, not an error of ours
    logger.exception("internal error in %s %s", request.method, request.url.path)
    return problem_response(
        500, f"Internal server error: {type(exc).__name__}", v2=is_v2(request.url.path)
    )


def _exempt_from_faults(path: str) -> bool:
    return path == "/" or path.startswith(DOWNLOAD_PREFIX)


def build_app(config: EmulatorConfig, store: Store) -> tuple[ASGIApp, EmulatorState]:
    """The ASGI app over `store`, and the state its routes share (faults are changeable)."""
    state = EmulatorState(
        config=config,
        store=store,
        signer=UrlSigner(store.secret(), config.url_ttl),
        faults=FaultInjector(
            FaultSettings(
                fault_rate=config.fault_rate,
                latency_ms=config.latency_ms,
                retry_after=config.retry_after,
            ),
            config.seed,
        ),
        fetcher=Fetcher(
            store,
            config.max_upload_bytes,
            config.fetch_timeout,
            DestinationPolicy(allow_private=config.private_urls_allowed),
        ),
        feature_failures=FeatureFailures(config.feature_failure_rate, config.seed),
        committer=UploadCommitter(store),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await state.fetcher.cancel()
        await anyio.to_thread.run_sync(state.committer.close)

    app = Starlette(
        routes=_routes(),
        exception_handlers={
            Problem: _on_problem,
            HTTPException: _on_http_exception,
            Exception: _on_error,
        },
        lifespan=lifespan,
    )
    app.state.emulator = state
    wrapped = RequestLogMiddleware(FaultMiddleware(app, state.faults, _exempt_from_faults))
    return wrapped, state
