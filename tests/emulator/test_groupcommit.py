"""Concurrent uploads share commits, and nobody returns before its own item is committed."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from videosync.emulator.groupcommit import GroupCommit


class _Disk:
    """A commit that takes a while (like an fsync) and remembers what it made durable."""

    def __init__(self, refuse: frozenset[int] = frozenset(), fail: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.durable: set[int] = set()
        self._refuse = refuse
        self.fail = fail
        self._lock = threading.Lock()

    def commit(self, batch: list[int]) -> list[BaseException | None]:
        time.sleep(0.01)
        if self.fail:
            raise OSError(28, "No space left on device")
        with self._lock:
            self.batches.append(batch)
            self.durable.update(i for i in batch if i not in self._refuse)
        return [ValueError(f"item {i} refused") if i in self._refuse else None for i in batch]


def _run_all(group: GroupCommit[int], disk: _Disk, count: int) -> list[BaseException | None]:
    """Hand `count` items in from `count` threads at once; what each call raised."""
    start = threading.Barrier(count)

    def one(item: int) -> BaseException | None:
        start.wait()
        try:
            group.run(item)
        except BaseException as exc:
            return exc
        assert item in disk.durable, f"run({item}) returned before its commit"
        return None

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_concurrent_items_share_commits_and_each_returns_once_durable() -> None:
    disk = _Disk()
    outcomes = _run_all(GroupCommit(disk.commit), disk, 16)

    assert outcomes == [None] * 16
    assert sorted(i for batch in disk.batches for i in batch) == list(range(16))
    assert len(disk.batches) < 16 / 2  # while one commit runs, the others gather


def test_a_lone_item_is_committed_at_once() -> None:
    disk = _Disk()
    started = time.perf_counter()
    GroupCommit(disk.commit).run(7)
    assert disk.batches == [[7]]
    assert time.perf_counter() - started < 0.5


def test_an_item_refused_by_the_commit_fails_alone() -> None:
    disk = _Disk(refuse=frozenset({3}))
    outcomes = _run_all(GroupCommit(disk.commit), disk, 8)

    assert [str(e) if e else None for e in outcomes] == [
        *(None, None, None),
        "item 3 refused",
        *(None, None, None, None),
    ]


def test_a_failed_commit_fails_every_item_of_its_batch_with_the_same_error() -> None:
    disk = _Disk(fail=True)
    outcomes = _run_all(GroupCommit(disk.commit), disk, 8)

    assert all(isinstance(e, OSError) and e.errno == 28 for e in outcomes), outcomes
    assert len({id(e) for e in outcomes}) == 8  # each thread raised its own copy
    assert disk.durable == set()


def test_after_a_failed_commit_the_next_one_runs() -> None:
    disk = _Disk(fail=True)
    group = GroupCommit(disk.commit)
    with pytest.raises(OSError, match="No space left"):
        group.run(1)
    disk.fail = False
    group.run(2)
    assert disk.durable == {2}
