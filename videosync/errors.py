"""The one exception hierarchy videosync raises, and the one table of its exit codes.

Every error a user can meet is a named subclass of `VideosyncError`, and each class says
which `ExitCode` ends a run it stops (`exit_code`). The command line exits with that code;
`--help` and the docs render the table from `ExitCode` and these classes
(`exit_code_lines`, `exit_code_rows`), so no list of codes is written by hand anywhere.
Foreign exceptions are wrapped once, where they enter, with `raise … from exc`.
"""

from __future__ import annotations

import errno
import textwrap
from collections.abc import Iterable
from enum import IntEnum
from pathlib import Path
from typing import Any, ClassVar

__all__ = [
    "ActionFailed",
    "ApiError",
    "AuthError",
    "BadEndpoint",
    "ConnectionFailed",
    "DataDirBusy",
    "ExitCode",
    "GitLfsPointer",
    "InvalidApiKey",
    "InvalidRequest",
    "InvalidSetting",
    "JournalError",
    "LocalEmulatorBusy",
    "LocalFileError",
    "LockError",
    "LockHeld",
    "MalformedResponse",
    "ManifestError",
    "ManifestInvalid",
    "NotFound",
    "PathOutsideProject",
    "PlanFileEdited",
    "PlanFileError",
    "PlanRefused",
    "QueryWithheld",
    "RateLimited",
    "ServerError",
    "StalePlan",
    "StateWriteFailed",
    "UsageError",
    "VideosyncError",
    "WorkdirError",
    "exit_code_lines",
    "exit_code_rows",
]


class ExitCode(IntEnum):
    """What `videosync` exits with: CI can branch on it. `meaning` says when, in a line.

    `OK` 0, `ERROR` 1, `CHANGES` 2 (`plan --detailed-exitcode`), `BAD_INPUT` 3, `LOCK_HELD`
    4, `REFUSED` 5 (a safety rail), `PARTIAL` 6 (some actions failed), `INTERRUPTED` 130.
    """

    OK = 0
    ERROR = 1
    CHANGES = 2
    BAD_INPUT = 3
    LOCK_HELD = 4
    REFUSED = 5
    PARTIAL = 6
    INTERRUPTED = 130

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "ok, or no changes",
    ExitCode.ERROR: "error (API, network, a stale saved plan, a failed --wait, a failed write)",
    ExitCode.CHANGES: "changes found (plan --detailed-exitcode)",
    ExitCode.BAD_INPUT: "bad input: manifest, lockfile or arguments (nothing was sent)",
    ExitCode.LOCK_HELD: "the lock is held by another apply",
    ExitCode.REFUSED: (
        "refused by a safety rail: --max-delete, --max-delete-percent, an empty manifest "
        "(--allow-empty), protected entries (--allow-protected)"
    ),
    ExitCode.PARTIAL: "partial failure: some actions failed, the rest were done and recorded",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}


class VideosyncError(Exception):
    """Base of every error videosync reports to a user; catch it to catch them all."""

    exit_code: ClassVar[ExitCode] = ExitCode.ERROR
    """What the command line exits with when this error ends a run."""


# --- bad input: nothing was sent (exit 3) --------------------------------------------------


class UsageError(VideosyncError):
    """Bad arguments: nothing was sent to the API."""

    exit_code = ExitCode.BAD_INPUT


class InvalidSetting(UsageError):
    """A setting cannot be used as given (the API URL, the API key): nothing was sent."""


class InvalidApiKey(InvalidSetting):
    """The API key holds a character no API key has (a control character, a space, one that
    is not ASCII): nothing was sent.

    `problem` says what is wrong (`"contains a control character (a carriage return)"`)
    and `setting` where the key was read from; the key itself is in neither.
    """

    def __init__(self, problem: str, *, setting: str = "the API key") -> None:
        self.problem = problem
        self.setting = setting
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.setting} {self.problem}: set it without one"


class DataDirBusy(UsageError):
    """Another emulator serves this data dir (one emulator per folder)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.data_dir} is in use by another emulator: stop it, or give another --data-dir"


class LocalFileError(UsageError):
    """A local file the manifest names cannot be read (to hash it, or to upload it)."""


class PathOutsideProject(LocalFileError):
    """A path a plan would upload or record does not lead to a file inside the manifest's
    folder (an absolute path, `..`, a symlink out): nothing was uploaded or recorded.

    `target` is where it leads, when it is a link that does.
    """

    def __init__(self, path: str, root: Path, target: str | None = None) -> None:
        self.path = path
        self.root = root
        self.target = target
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"leads outside the manifest's folder {self.root} (to {self.target!r})"
        if self.target is None:
            where = f"is not a path inside the manifest's folder {self.root}"
        return (
            f"{self.path!r} {where}: nothing was uploaded or recorded; make it a file inside "
            "the folder, then plan again"
        )


class GitLfsPointer(LocalFileError):
    """A file is a git-LFS pointer, not the video it stands for (`git lfs pull` fetches it)."""


class ManifestError(UsageError):
    """A problem in the manifest, located at `file:line:column`."""

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


class ManifestInvalid(UsageError):
    """The manifest has problems; `errors` holds every one, sorted by line."""

    def __init__(self, errors: list[ManifestError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.line, e.column, e.path, e.message))
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


class LockError(UsageError):
    """The lockfile is unreadable, corrupt, or from a newer videosync; it is left as it is."""


class JournalError(LockError):
    """The apply journal in `.videosync/` is unreadable or corrupt."""


class PlanFileError(UsageError):
    """A saved plan file cannot be read or written, is not a plan, or is from a newer videosync."""


class PlanFileEdited(PlanFileError):
    """A saved plan's actions are not those its manifest gives for the same inputs: the file
    was edited or corrupted. `difference` names the first action that differs."""

    def __init__(self, plan_file: Path, difference: str) -> None:
        self.plan_file = plan_file
        self.difference = difference
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"{self.plan_file}: {self.difference}; the plan file was edited or corrupted; "
            "run `videosync plan --out` again"
        )


class WorkdirError(UsageError):
    """`.videosync/` beside the manifest, or a file videosync keeps in it, is not what it
    must be (a file where its folder belongs, a folder where the run lock keeps a file)."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        """The file or folder in the way."""
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path} {self.problem}"


# --- held locks (exit 4) -------------------------------------------------------------------


class LockHeld(VideosyncError):
    """Another videosync run holds the lock of this lockfile.

    `holder` describes it (pid, host, since when) as the note it left says.
    """

    exit_code = ExitCode.LOCK_HELD

    def __init__(self, lockfile: Path, holder: str | None) -> None:
        self.lockfile = lockfile
        self.holder = holder
        super().__init__(str(self))

    def __str__(self) -> str:
        # No note even after a wait: a run that took the lock a moment ago, still starting.
        who = (
            f": {self.holder}"
            if self.holder
            else ", one that is starting (it has not said who it is yet)"
        )
        return (
            f"{self.lockfile.name} is locked by another videosync run{who}; "
            "wait for it to finish and try again"
        )


class LocalEmulatorBusy(VideosyncError):
    """Another run serves the embedded emulator's data dir (`--api-url local`)."""

    # The same situation as another run holding the lockfile's lock: the same exit code.
    exit_code = ExitCode.LOCK_HELD

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"--api-url local: {self.data_dir} is in use by another videosync run "
            "(or a `videosync emulator` on that folder); wait for it to finish and try again"
        )


# --- refused by a rail (exit 5) ------------------------------------------------------------


class PlanRefused(VideosyncError):
    """A guard or safety rail refuses the plan (protected entries, `--max-delete`,
    `--max-delete-percent`, an empty manifest): nothing was changed.

    `plan` is the refused plan (a `videosync.planning.plan.Plan`), so it can be shown.
    """

    exit_code = ExitCode.REFUSED

    def __init__(self, message: str, plan: Any = None) -> None:
        super().__init__(message)
        self.plan = plan


# --- errors during a run (exit 1) ----------------------------------------------------------


class StalePlan(VideosyncError):
    """A saved plan no longer matches the manifest, lockfile or remote catalog."""


class StateWriteFailed(VideosyncError, OSError):
    """A file videosync keeps (the lockfile, the apply journal, a plan file, the hash cache)
    could not be written: a full disk, a read-only folder.

    An apply starts no new work after the first one and ends with it; what it did is in
    the journal or the lockfile, so the next run picks up where it stopped. It is an
    `OSError` too, with the failed write's `errno`, `strerror` and `filename`, so code that
    handles a failed write as one still does.
    """

    def __init__(self, path: Path, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause), str(path))
        self.path = path
        """The file that could not be written."""

    def __str__(self) -> str:
        reason = str(self.strerror or "cannot write").lower()
        if self.errno in _DISK_FULL:
            remedy = "free some space"
        elif self.errno in _NOT_WRITABLE:
            remedy = "make it writable"
        else:
            remedy = "check the disk"
        return (
            f"{reason} writing {_shown(self.path)}; {remedy} and run again: "
            "the next run picks up where this one stopped"
        )


_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS}


def _shown(path: Path) -> str:
    """`path` relative to the current folder when it is inside it, else absolute."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(absolute)


class ActionFailed(VideosyncError):
    """One action of an apply could not be carried out; the others went on."""


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


class QueryWithheld(ApiError):
    """A `video_url` that lost its query string (`?…`) is not sent: videosync records no URL's
    query string, so a saved plan holds the URL without it, and the server could not fetch it.
    """

    hint = "apply without a plan file: `videosync apply` reads the whole URL from the manifest"


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


class BadEndpoint(ConnectionFailed):
    """The API URL cannot work as given, and trying again would not help: its host name does
    not exist, its server speaks no TLS, or its TLS certificate is not trusted. Never retried.
    """

    def __init__(self, message: str, *, call: str = "", hint: str) -> None:
        super().__init__(message, call=call)
        self.hint = hint


# --- the table, for --help and the docs ----------------------------------------------------


def _error_classes() -> list[type[VideosyncError]]:
    found: list[type[VideosyncError]] = []
    pending: list[type[VideosyncError]] = [VideosyncError]
    while pending:
        cls = pending.pop(0)
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def exit_code_rows() -> list[tuple[ExitCode, str, tuple[str, ...]]]:
    """Every exit code with its meaning and the error classes (in this module) that end a
    run with it: the table the docs show."""
    raised: dict[ExitCode, list[str]] = {code: [] for code in ExitCode}
    for cls in _error_classes():
        if cls.__module__ == __name__:
            raised[cls.exit_code].append(cls.__name__)
    return [(code, code.meaning, tuple(sorted(raised[code]))) for code in ExitCode]


def exit_code_lines(
    codes: Iterable[ExitCode] = tuple(ExitCode), indent: str = "  ", width: int = 78
) -> str:
    """`  0  ok, or no changes` …, a code a line (wrapped under its text): what `--help` shows."""
    lines: list[str] = []
    for code in codes:
        head = f"{indent}{int(code)}  "
        lines += textwrap.wrap(
            code.meaning, width, initial_indent=head, subsequent_indent=" " * len(head)
        )
    return "\n".join(lines)
