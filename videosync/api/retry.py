"""When and how long the API client waits before sending a failed call again.

Built on tenacity rather than stamina (which wraps tenacity): stamina picks its own
backoff and offers no hook to let one response decide the next wait, and a 429's
`Retry-After` must do exactly that. tenacity takes a custom `wait` that reads the
exception, a `stop` that combines an attempt count with a total deadline
(`stop_before_delay` also counts the sleep it is about to take), and runs on asyncio.

Which failures are retried (the client raises these `ApiError`s from each attempt):

- `RateLimited` (429): always, after `Retry-After` (seconds or an HTTP-date) when the
  server sent one, capped at `RetryPolicy.maximum`.
- `ServerError` with 500, 502, 503 or 504: always (other 5xx such as 501 are final).
- `ConnectionFailed` (refused, reset, timed out): always, unless the call is not
  idempotent and its body may have reached the server (`ambiguous`): sending an upload
  again could create a second video, so that failure goes straight back to the caller.
- `BadEndpoint` (a host name that does not exist, a server that speaks no TLS, an untrusted
  TLS certificate): never; the URL is wrong and waiting will not change that.
- Everything else (400, 401, 403, 404, 409, 413, 422, malformed bodies): never.

Each retry is logged at INFO; `on_retry` also gets a `RetryNotice` before each one, so the
client can tell a person at the first retry what is retried and for how long at most.
"""

from __future__ import annotations

import email.utils
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential,
    wait_random,
)
from tenacity.wait import wait_base

from videosync.errors import ApiError, BadEndpoint, ConnectionFailed, RateLimited, ServerError

__all__ = [
    "RETRY_STATUSES",
    "RetryNotice",
    "RetryPolicy",
    "call_with_retries",
    "parse_retry_after",
]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
"""HTTP statuses that say "try again later"; every other error status is final."""

_T = TypeVar("_T")

logger = logging.getLogger("videosync.api.client")


@dataclass(frozen=True)
class RetryPolicy:
    """How many times, and for how long, a failing call is sent again.

    The wait before retry n (1-based) is `initial * 2**(n-1)` plus up to `jitter` seconds
    of random jitter, never more than `maximum`; a 429's `Retry-After` replaces it (also
    capped at `maximum`). No retry starts once `deadline` seconds have passed since the
    first attempt, counting the wait before it. `attempts=1` turns retries off.
    """

    attempts: int = 6
    deadline: float = 300.0
    initial: float = 0.5
    maximum: float = 30.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if min(self.deadline, self.initial, self.maximum, self.jitter) < 0:
            raise ValueError("RetryPolicy times must not be negative")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP-date.

    None when the header is absent or unreadable; never negative.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT; a zone-less one is read as such
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


class _BackoffOrRetryAfter(wait_base):
    """Exponential backoff with jitter, unless the server said how long to wait."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._backoff = wait_exponential(multiplier=policy.initial, max=policy.maximum) + (
            wait_random(0, policy.jitter)
        )

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return min(exc.retry_after, self._policy.maximum)
        return min(float(self._backoff(retry_state)), self._policy.maximum)


def _retryable(exc: BaseException, *, idempotent: bool) -> bool:
    if isinstance(exc, RateLimited):
        return True
    if isinstance(exc, ServerError):
        return exc.status in RETRY_STATUSES
    if isinstance(exc, BadEndpoint):
        return False
    if isinstance(exc, ConnectionFailed):
        # The decision for uploads and other non-idempotent calls: once the body may have
        # reached the server, another attempt could apply the call twice (a duplicate
        # video), so the client does not retry it. The caller gets
        # ConnectionFailed(ambiguous=True) and settles it by looking at the server: the
        # applier adopts the video whose metadata.source is the entry's key.
        return idempotent or not exc.ambiguous
    return False


@dataclass(frozen=True)
class RetryNotice:
    """A failed call about to be sent again: what failed, which attempt comes, and how long
    the attempts left may take at most."""

    error: ApiError
    attempt: int
    """The attempt about to be made: 2 at the first retry."""
    attempts: int
    """The most attempts the policy makes."""
    within: float
    """Seconds the attempts left may take, waits included: the longest backoff (jitter
    included), each attempt taken to last as long as those so far, and never past the
    policy's deadline."""


def _within(policy: RetryPolicy, state: RetryCallState, exc: ApiError) -> float:
    made = state.attempt_number
    waits = state.upcoming_sleep
    asked = exc.retry_after if isinstance(exc, RateLimited) else None
    for n in range(made + 1, policy.attempts):
        backoff = min(policy.initial * 2 ** (n - 1) + policy.jitter, policy.maximum)
        waits += max(backoff, min(asked, policy.maximum)) if asked is not None else backoff
    elapsed = state.seconds_since_start or 0.0
    per_attempt = max(0.0, elapsed - state.idle_for) / made
    total = waits + per_attempt * (policy.attempts - made)
    # No retry starts past the deadline; the last one may still run its course.
    return min(total, max(0.0, policy.deadline - elapsed) + per_attempt)


def _log_retry(retry_state: RetryCallState) -> None:
    exc = retry_state.outcome.exception() if retry_state.outcome else None
    call = exc.call if isinstance(exc, ApiError) else "request"
    logger.info(
        "retry %d in %.2f s: %s failed: %s",
        retry_state.attempt_number,
        retry_state.upcoming_sleep,
        call,
        exc.message if isinstance(exc, ApiError) else type(exc).__name__,
    )


async def call_with_retries(
    policy: RetryPolicy,
    attempt: Callable[[], Awaitable[_T]],
    *,
    idempotent: bool,
    on_retry: Callable[[RetryNotice], None] | None = None,
) -> _T:
    """Await `attempt()` until it succeeds or fails in a way not worth retrying.

    `on_retry` hears of each retry before its wait. The last `ApiError` is raised
    unchanged, with `attempts` set to how many were made.
    """

    def before_sleep(state: RetryCallState) -> None:
        _log_retry(state)
        exc = state.outcome.exception() if state.outcome else None
        if on_retry is not None and isinstance(exc, ApiError):
            within = _within(policy, state, exc)
            on_retry(RetryNotice(exc, state.attempt_number + 1, policy.attempts, within))

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts) | stop_before_delay(policy.deadline),
        wait=_BackoffOrRetryAfter(policy),
        retry=retry_if_exception(lambda exc: _retryable(exc, idempotent=idempotent)),
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return await retrying(attempt)
    except ApiError as exc:
        exc.attempts = retrying.statistics.get("attempt_number", 1)
        raise
