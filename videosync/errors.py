"""The one exception hierarchy videosync raises; the CLI maps it to exit codes."""

from __future__ import annotations

__all__ = [
    "ApiError",
    "AuthError",
    "ConnectionFailed",
    "InvalidRequest",
    "LockError",
    "ManifestError",
    "NotFound",
    "RateLimited",
    "ServerError",
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

    def __init__(self, message: str, file: str = "", line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if not self.file:
            return self.message
        if not self.line:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class LockError(VideosyncError):
    """The lockfile is unreadable, corrupt or held by another run."""

    exit_code = 3


class ApiError(VideosyncError):
    """A call to the Vision API failed.

    Carries the HTTP status (0 when no response came), the server's own message and the
    call that failed (`"POST /videos/upload"`), never the API key.
    """

    hint = ""

    def __init__(self, message: str, *, status: int = 0, call: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.call = call

    def __str__(self) -> str:
        where = f"{self.call}: " if self.call else ""
        status = f"HTTP {self.status}: " if self.status else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{status}{self.message}{hint}"


class AuthError(ApiError):
    """401 or 403: the API key is missing, wrong or not allowed to do this."""

    hint = "check REKA_API_KEY, or use --api-url local for the embedded emulator"


class NotFound(ApiError):
    """404: the video or group does not exist (or belongs to another key)."""


class InvalidRequest(ApiError):
    """400, 409, 413 or 422: the server refused the request as sent."""


class RateLimited(ApiError):
    """429 after every retry: the server keeps asking us to slow down."""


class ServerError(ApiError):
    """5xx after every retry."""


class ConnectionFailed(ApiError):
    """No usable response: connection refused, reset, or timed out.

    `ambiguous` is true when the request body may have reached the server before the
    failure, so the caller cannot know whether the call took effect.
    """

    def __init__(
        self, message: str, *, status: int = 0, call: str = "", ambiguous: bool = False
    ) -> None:
        super().__init__(message, status=status, call=call)
        self.ambiguous = ambiguous
