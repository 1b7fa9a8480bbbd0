"""The emulator's error responses: FastAPI's `detail` and the service's `error` envelope.

v1 (NOTES.md): nobody knows which of the two the video routes use, so every v1 error carries
both, `{"detail": msg, "error": {"type": …, "message": msg}}`, and a client reads either.
v2 (REFERENCE.md §2, the errors page): the published envelope alone,
`{"error": {"type", "message", "param"?, "details"?}}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import JSONResponse

__all__ = ["V2_PREFIX", "Problem", "is_v2", "problem_response"]

V2_PREFIX = "/v2/"

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


def is_v2(path: str) -> bool:
    """True for a request path of the v2 API (its errors carry the v2 envelope)."""
    return path.startswith(V2_PREFIX)


class Problem(Exception):
    """Raised by a route to answer `status` with `message` (turned into a response once).

    `param` names the request parameter at fault and `details` lists validation errors;
    both show in v2's envelope only.
    """

    def __init__(
        self,
        status: int,
        message: str,
        headers: Mapping[str, str] | None = None,
        *,
        param: str | None = None,
        details: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers
        self.param = param
        self.details = details


def problem_response(
    status: int,
    message: str,
    headers: Mapping[str, str] | None = None,
    *,
    v2: bool = False,
    param: str | None = None,
    details: Sequence[Mapping[str, Any]] | None = None,
) -> JSONResponse:
    error: dict[str, Any] = {"type": _error_type(status), "message": message}
    if not v2:
        return JSONResponse(
            {"detail": message, "error": error}, status_code=status, headers=headers
        )
    if param is not None:
        error["param"] = param
    if details:
        error["details"] = list(details)
    return JSONResponse({"error": error}, status_code=status, headers=headers)
