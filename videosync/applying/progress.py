"""What a person sees while apply runs: byte-level bars on a terminal, plain lines elsewhere.

On a terminal: one bar per upload in flight and one for the whole run (rich, imported only
here and only when a terminal asks for it). Not a terminal (CI logs): one line per finished
action, `+ created media/a.mp4 → 3f2a1b2c…`, and failures on stderr.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol, TextIO

from videosync.applying.outcome import Outcome

__all__ = ["PlainReporter", "Reporter", "RichReporter", "SilentReporter", "reporter_for"]


class Reporter(Protocol):
    """Receives the applier's events; all calls come from the applier's event loop."""

    def begin(self, actions: int, upload_bytes: int) -> None: ...
    def upload_started(self, key: str, size: int | None) -> None: ...
    def upload_progress(self, key: str, sent: int) -> None: ...
    def upload_ended(self, key: str) -> None: ...
    def finished(self, outcome: Outcome) -> None: ...
    def note(self, text: str) -> None: ...
    def end(self) -> None: ...


class SilentReporter:
    """Reports nothing (library callers, `-q`); failures are still in the result."""

    def begin(self, actions: int, upload_bytes: int) -> None:
        pass

    def upload_started(self, key: str, size: int | None) -> None:
        pass

    def upload_progress(self, key: str, sent: int) -> None:
        pass

    def upload_ended(self, key: str) -> None:
        pass

    def finished(self, outcome: Outcome) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def end(self) -> None:
        pass


class PlainReporter(SilentReporter):
    """One line per finished action on `out`; failures and notes on `err`. For CI logs."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self._out = out or sys.stdout
        self._err = err or sys.stderr

    def finished(self, outcome: Outcome) -> None:
        stream = self._out if outcome.ok else self._err
        print(outcome.line(), file=stream, flush=True)

    def note(self, text: str) -> None:
        print(text, file=self._err, flush=True)


class RichReporter(SilentReporter):
    """Byte-level bars on a terminal: one per upload in flight, one for the whole run."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._console = Console(stderr=False)
        self._progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self._console,
            transient=False,
        )
        self._tasks: dict[str, Any] = {}
        self._sent: dict[str, int] = {}
        self._overall: Any = None
        self._done_bytes = 0

    def begin(self, actions: int, upload_bytes: int) -> None:
        self._progress.start()
        self._overall = self._progress.add_task(
            f"apply: {actions} actions", total=upload_bytes or None
        )

    def upload_started(self, key: str, size: int | None) -> None:
        self._tasks[key] = self._progress.add_task(f"  {key}", total=size)
        self._sent[key] = 0

    def upload_progress(self, key: str, sent: int) -> None:
        task = self._tasks.get(key)
        if task is None:
            return
        delta = sent - self._sent.get(key, 0)  # negative when a retried upload starts over
        self._sent[key] = sent
        self._progress.update(task, completed=sent)
        self._progress.advance(self._overall, delta)

    def upload_ended(self, key: str) -> None:
        task = self._tasks.pop(key, None)
        if task is not None:
            self._progress.remove_task(task)

    def finished(self, outcome: Outcome) -> None:
        style = "" if outcome.ok else "red"
        self._progress.console.print(outcome.line(), style=style, markup=False, highlight=False)

    def note(self, text: str) -> None:
        self._progress.console.print(text, markup=False, highlight=False)

    def end(self) -> None:
        self._progress.stop()


def reporter_for(*, terminal: bool, quiet: bool) -> Reporter:
    """Bars on a terminal, plain lines otherwise, nothing but failures when quiet."""
    if quiet:
        return _FailuresOnly()
    if terminal:
        return RichReporter()
    return PlainReporter()


class _FailuresOnly(PlainReporter):
    def finished(self, outcome: Outcome) -> None:
        if not outcome.ok:
            super().finished(outcome)

    def note(self, text: str) -> None:
        pass
