"""Group commit: threads that each need a durable write share one commit (one fsync) of all.

Concurrent uploads each wait for their own directory fsync and SQLite commit (a WAL fsync
with `synchronous = FULL`) otherwise. Here the first thread to arrive commits its own item;
those arriving meanwhile queue, and the next of them to wake commits the whole queue at
once. Nobody returns before the commit holding its item has ended, so an answer still goes
out only once its data is durable; a lone caller pays no wait at all.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

T = TypeVar("T")

Commit = Callable[[list[T]], Sequence[BaseException | None]]
"""Makes a batch durable; returns, per item, the exception that kept it out (or None).
An exception it raises fails the whole batch."""


class _Waiter(Generic[T]):
    __slots__ = ("done", "error", "item")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = False
        self.error: BaseException | None = None


class GroupCommit(Generic[T]):
    """Runs `commit` over batches of the items that threads hand to `run`, one at a time."""

    def __init__(self, commit: Commit[T]) -> None:
        self._commit = commit
        self._changed = threading.Condition()
        self._queue: list[_Waiter[T]] = []
        self._leading = False

    def run(self, item: T) -> None:
        """Return once `item` is committed; raise what kept it (or its batch) out. Blocking."""
        waiter = _Waiter(item)
        with self._changed:
            self._queue.append(waiter)
            while self._leading and not waiter.done:
                self._changed.wait()
            if not waiter.done:
                self._leading = True
                batch, self._queue = self._queue, []
        if not waiter.done:
            self._lead(batch)
        if waiter.error is not None:
            raise waiter.error

    def _lead(self, batch: list[_Waiter[T]]) -> None:
        errors: list[BaseException | None]
        try:
            errors = list(self._commit([waiter.item for waiter in batch]))
            if len(errors) != len(batch):
                raise ValueError(f"a commit of {len(batch)} items gave {len(errors)} outcomes")
        except BaseException as exc:
            # Each waiter raises its own copy: one exception object raised in several
            # threads at once would collect all their tracebacks.
            errors = [exc, *(copy.copy(exc) for _ in batch[1:])]
        with self._changed:
            for waiter, error in zip(batch, errors, strict=True):
                waiter.error = error
                waiter.done = True
            self._leading = False
            self._changed.notify_all()
