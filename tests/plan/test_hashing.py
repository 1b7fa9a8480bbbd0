"""Content hashes: streamed, cached by stat, and only computed where the plan needs them."""

from __future__ import annotations

import os
from pathlib import Path

import blake3

from videosync.content.localfiles import (
    HashCache,
    LocalFileState,
    ReadCounter,
    hash_file,
    local_file_states,
)


def _b3(data: bytes) -> str:
    return "blake3:" + blake3.blake3(data).hexdigest()


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_hash_matches_blake3_and_counts_every_byte(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # more than one 1 MiB read, and a partial one
    counter = ReadCounter()
    digest = hash_file(_write(tmp_path / "a.mp4", data), counter)
    assert digest == _b3(data)
    assert counter.total == len(data)


def test_only_recorded_files_of_the_recorded_size_are_read(tmp_path: Path) -> None:
    paths = {
        "new.mp4": _write(tmp_path / "new.mp4", b"n" * 100),
        "same.mp4": _write(tmp_path / "same.mp4", b"s" * 200),
        "resized.mp4": _write(tmp_path / "resized.mp4", b"r" * 300),
    }
    counter = ReadCounter()
    states = local_file_states(
        paths, {"same.mp4": 200, "resized.mp4": 299}, HashCache.in_memory(), counter=counter
    )
    assert states == {
        "new.mp4": LocalFileState(100),
        "same.mp4": LocalFileState(200, _b3(b"s" * 200)),
        "resized.mp4": LocalFileState(300),
    }
    assert counter.total == 200


def test_an_unchanged_file_is_never_read_twice_across_runs(tmp_path: Path) -> None:
    # Big files are hashed in a thread pool, small ones in the calling thread: both here.
    sizes = {f"f{i}.mp4": (1024 * 1024 + i if i % 2 else 5000) for i in range(6)}
    data = {key: os.urandom(size) for key, size in sizes.items()}
    paths = {key: _write(tmp_path / key, content) for key, content in data.items()}
    first = ReadCounter()
    cache = HashCache.for_manifest_dir(tmp_path)
    states = local_file_states(paths, sizes, cache, counter=first, workers=3)
    cache.save()
    assert first.total == sum(sizes.values())
    assert {key: s.digest for key, s in states.items()} == {
        key: _b3(content) for key, content in data.items()
    }

    again = ReadCounter()
    cache = HashCache.for_manifest_dir(tmp_path)  # a new run: the cache comes from disk
    assert local_file_states(paths, sizes, cache, counter=again) == states
    assert again.total == 0


def test_a_rewritten_file_is_read_again(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.mp4", b"x" * 1000)
    cache = HashCache.for_manifest_dir(tmp_path)
    old = local_file_states({"a": path}, {"a": 1000}, cache)["a"].digest
    cache.save()
    st = path.stat()
    path.write_bytes(b"y" * 1000)  # same size, new content
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    counter = ReadCounter()
    new = local_file_states(
        {"a": path}, {"a": 1000}, HashCache.for_manifest_dir(tmp_path), counter=counter
    )["a"].digest
    assert new != old
    assert new == _b3(b"y" * 1000)
    assert counter.total == 1000


def test_cache_lives_in_a_self_ignoring_videosync_folder(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.mp4", b"x" * 10)
    cache = HashCache.for_manifest_dir(tmp_path)
    local_file_states({"a": path}, {"a": 10}, cache)
    cache.save()
    assert (tmp_path / ".videosync" / "hashcache.json").is_file()
    assert (tmp_path / ".videosync" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_damaged_cache_only_costs_a_re_read(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.mp4", b"x" * 10)
    _write(tmp_path / ".videosync" / "hashcache.json", b"{not json")
    counter = ReadCounter()
    cache = HashCache.for_manifest_dir(tmp_path)
    states = local_file_states({"a": path}, {"a": 10}, cache, counter=counter)
    assert states["a"].digest == _b3(b"x" * 10)
    assert counter.total == 10
    cache.save()
    assert HashCache.for_manifest_dir(tmp_path).get(path.stat()) == states["a"].digest
