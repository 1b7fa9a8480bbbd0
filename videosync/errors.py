"""The one exception hierarchy videosync raises; the CLI maps it to exit codes."""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApiError",
    "AuthError",
    "ConnectionFailed",
    "InvalidRequest",
    "LockError",
    "MalformedResponse",
    "ManifestError",
    "ManifestInvalid",
    "NotFound",
    "PlanRefused",
    "RateLimited",
    "ServerError",
    "StalePlan",
    "UsageError",
    "VideosyncError",
]


class VideosyncError(Exception):
    """Base of every error videosync reports to a user.

    `exit_code` is what the command line exits with when this error ends a run.
    """

    exit_code = 1


class UsageError(VideosyncError):
    """Bad arguments or settings: nothing was sent to the API."""

    exit_code = 3


class ManifestError(VideosyncError):
    """A problem in the manifest, located at `file:line:column`."""

    exit_code = 3

    def __init__(
        self, message: str, file: str = "", line: int = 0, column: int = 0, path: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        """The offending key, like `videos[3].path` (empty for the file as a whole)."""

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        if not self.file:
            return text
        if not self.line:
            return f"{self.file}: {text}"
        return f"{self.file}:{self.line}:{self.column}: {text}"


class ManifestInvalid(VideosyncError):
    """The manifest has problems; `errors` holds every one, sorted by line."""

    exit_code = 3

    def __init__(self, errors: list[ManifestError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.line, e.column, e.path, e.message))
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


class LockError(VideosyncError):
    """The lockfile is unreadable, corrupt or held by another run."""

    exit_code = 3


class PlanRefused(VideosyncError):
    """A guard or safety rail refuses the plan (protected entries, `--max-delete`,
    `--max-delete-percent`, an empty manifest): nothing was changed.

    `plan` is the refused plan (a `videosync.planning.plan.Plan`), so the command line can show it.
    """

    exit_code = 5

    def __init__(self, message: str, plan: Any = None) -> None:
        super().__init__(message)
        self.plan = plan


class StalePlan(VideosyncError):
    """A saved plan no longer matches the manifest, lockfile or remote catalog."""

    exit_code = 1


class ApiError(VideosyncError):
    """A call to the Vision API failed.

    Carries the HTTP status (0 when no response came), the server's own message and the
    call that failed (`"POST /videos/upload"`), never the API key.
    """

    hint = ""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        call: str = "",
        detail: Any = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.call = call
        self.detail = detail
        """The server's own error body (`detail` or `error.message`), parsed JSON or None."""
        self.request_id = request_id
        """The response's `X-Request-ID`, for a support ticket."""
        self.attempts = 1
        """How many times the call was sent before giving up (set by the client)."""

    def __str__(self) -> str:
        where = f"{self.call}: " if self.call else ""
        status = f"HTTP {self.status}: " if self.status else ""
        tries = f" (after {self.attempts} attempts)" if self.attempts > 1 else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{status}{self.message}{tries}{hint}"


class AuthError(ApiError):
    """401 or 403: the API key is missing, wrong or not allowed to do this."""

    hint = "check REKA_API_KEY, or use --api-url local for the embedded emulator"


class NotFound(ApiError):
    """404: the video or group does not exist (or belongs to another key)."""


class InvalidRequest(ApiError):
    """400, 409, 413 or 422: the server refused the request as sent."""


class RateLimited(ApiError):
    """429 after every retry: the server keeps asking us to slow down."""

    hint = "wait a while and run again, or lower --parallelism"

    retry_after: float | None = None
    """Seconds the server asked us to wait (`Retry-After`), when it said."""


class ServerError(ApiError):
    """5xx after every retry."""

    hint = "the service failed; try again later"


class MalformedResponse(ApiError):
    """The server answered, but not with the JSON the API documents (e.g. a proxy's HTML)."""

    hint = "check --api-url: is it the Vision API, and is anything in between rewriting answers?"


class ConnectionFailed(ApiError):
    """No usable response: connection refused, reset, or timed out.

    `ambiguous` is true when the request body may have reached the server before the
    failure, so the caller cannot know whether the call took effect.
    """

    hint = "check the network and --api-url"

    def __init__(
        self, message: str, *, status: int = 0, call: str = "", ambiguous: bool = False
    ) -> None:
        super().__init__(message, status=status, call=call)
        self.ambiguous = ambiguous
        if ambiguous:
            self.hint = "the request may have taken effect on the server; run again to reconcile"
