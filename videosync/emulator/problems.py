"""The emulator's error responses: FastAPI's `detail` and the service's `error` envelope.

NOTES.md: nobody knows which of the two the video routes use, so every error carries both,
`{"detail": msg, "error": {"type": …, "message": msg}}`, and the client reads either.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

__all__ = ["Problem", "problem_response"]

_TYPES = {
    401: "authentication_error",
    403: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


def _error_type(status: int) -> str:
    if status in _TYPES:
        return _TYPES[status]
    return "server_error" if status >= 500 else "validation_error"


class Problem(Exception):
    """Raised by a route to answer `status` with `message` (turned into a response once)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def problem_response(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"detail": message, "error": {"type": _error_type(status), "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)
