"""An upload's hasher digests on other threads while the bytes go out (issue 16), and still
gives exactly the digests of the bytes in order, bounded in memory, errors not swallowed."""

from __future__ import annotations

import hashlib
import os
import random
import threading
from collections.abc import Iterator

import blake3
import pytest

from videosync.content import digest as digest_module
from videosync.content.digest import ContentHasher, new_hasher

MiB = 1024 * 1024


def _pieces(data: bytes, seed: int) -> Iterator[bytes]:
    """`data` cut at random: pieces from a few bytes (digested in place) to 3 MiB (lanes)."""
    rng = random.Random(seed)
    at = 0
    while at < len(data):
        n = rng.choice([7, 4096, 200_000, MiB, 3 * MiB])
        yield data[at : at + n]
        at += n


def _expected(data: bytes) -> tuple[str, str, str]:
    blob = hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
    return blake3.blake3(data).hexdigest(), blob, hashlib.sha256(data).hexdigest()


def test_digests_are_those_of_the_bytes_in_order_however_they_are_cut() -> None:
    data = os.urandom(9 * MiB + 12345)
    for seed in range(4):
        hasher = new_hasher(len(data))
        for piece in _pieces(data, seed):
            hasher.update(piece)
        made = hasher.hexdigest()
        assert (str(made), made.git_oid, made.sha256) == _expected(data)


def test_many_uploads_at_once_each_get_their_own_digests() -> None:
    datas = [os.urandom(2 * MiB + n) for n in range(12)]
    results: dict[int, tuple[str, str | None, str | None]] = {}

    def upload(n: int) -> None:
        hasher = new_hasher(len(datas[n]))
        for piece in _pieces(datas[n], n):
            hasher.update(piece)
        made = hasher.hexdigest()
        results[n] = (str(made), made.git_oid, made.sha256)

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(len(datas))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == {n: _expected(data) for n, data in enumerate(datas)}


def test_a_lane_that_falls_behind_holds_the_reader_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory stays bounded: `update` waits once a digest is the queue limit behind."""
    gate = threading.Event()
    real_sha256 = hashlib.sha256

    class Held:
        def __init__(self) -> None:
            self._real = real_sha256()

        def update(self, data: bytes, /) -> None:
            gate.wait()
            self._real.update(data)

        def hexdigest(self) -> str:
            return self._real.hexdigest()

    monkeypatch.setattr(hashlib, "sha256", Held)
    monkeypatch.setattr(digest_module, "_QUEUE_LIMIT", 2 * MiB)
    data = os.urandom(8 * MiB)
    hasher = ContentHasher(len(data))
    fed: list[int] = []

    def feed() -> None:
        for at in range(0, len(data), MiB):
            hasher.update(data[at : at + MiB])
            fed.append(at)

    reader = threading.Thread(target=feed)
    reader.start()
    reader.join(timeout=1.0)
    held_back = reader.is_alive()
    behind = len(fed)
    gate.set()
    reader.join()

    assert held_back  # it could not run 8 MiB ahead of a digest that was not moving
    assert behind <= 4  # the limit (2 MiB), the piece being digested and the one waiting
    assert hasher.hexdigest().sha256 == real_sha256(data).hexdigest()


def test_a_digest_that_fails_on_its_thread_fails_the_hasher(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Broken:
        def update(self, data: bytes, /) -> None:
            raise MemoryError("no room for the digest")

        def hexdigest(self) -> str:
            return ""

    monkeypatch.setattr(hashlib, "sha256", Broken)
    hasher = ContentHasher(4 * MiB)
    hasher.update(os.urandom(4 * MiB))  # big enough to go to the lanes

    with pytest.raises(MemoryError, match="no room"):
        hasher.hexdigest()
