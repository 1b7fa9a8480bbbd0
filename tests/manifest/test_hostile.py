"""Files that are not manifests at all, or are built to hurt, fail fast with one line."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from videosync.errors import ManifestInvalid
from videosync.manifest.loader import load_manifest
from videosync.manifest.yamlread import MAX_BYTES

F = "videosync.yaml"

BILLION_LAUGHS = (
    "version: 1\n"
    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
    "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
    "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
    "videos: *i\n"
)


def _errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str = F) -> list[str]:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ManifestInvalid) as caught:
        load_manifest(Path(name))
    return [str(error) for error in caught.value.errors]


def test_alias_bomb_fails_fast_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / F).write_text(BILLION_LAUGHS, encoding="utf-8")
    start = time.perf_counter()
    errors = _errors(tmp_path, monkeypatch)
    assert time.perf_counter() - start < 2
    assert errors == [
        f"{F}:7:4: aliases expand to more than 1,000,000 nodes; write the values out "
        "instead of nesting aliases"
    ]


def test_recursive_alias_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / F).write_text("version: 1\nvideos: &v [*v]\n", encoding="utf-8")
    assert _errors(tmp_path, monkeypatch) == [
        f"{F}:2:9: a recursive alias: this node contains itself"
    ]


def test_modest_aliases_and_merge_keys_are_fine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a.mp4", "b.mp4"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / F).write_text(
        "version: 1\n"
        "videos:\n"
        "  - &common {path: a.mp4, group: default, protect: true}\n"
        "  - <<: *common\n"
        "    path: b.mp4\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    manifest = load_manifest(Path(F))
    assert [(v.key, v.protect) for v in manifest.videos] == [("a.mp4", True), ("b.mp4", True)]


def test_deep_nesting_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / F).write_text("version: 1\nvideos: " + "[" * 80 + "]" * 80 + "\n", "utf-8")
    assert _errors(tmp_path, monkeypatch) == [f"{F}:2:72: nesting deeper than 64 levels"]


def test_nesting_beyond_libyaml_limit_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / F).write_text("videos: " + "[" * 5000 + "]" * 5000 + "\n", "utf-8")
    errors = _errors(tmp_path, monkeypatch)
    assert len(errors) == 1
    assert errors[0].startswith(f"{F}:1:")
    assert "nesting" in errors[0] or "depth" in errors[0]


def test_huge_file_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (tmp_path / F).open("wb") as handle:  # sparse: no 20 MB written to disk
        handle.truncate(MAX_BYTES + 1)
    assert _errors(tmp_path, monkeypatch) == [
        f"{F}: 21.0 MB is too large for a manifest (at most 20 MiB); use glob entries to "
        "list many files"
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            b"", "the manifest is empty; start it with 'version: 1' and 'videos:'", id="empty"
        ),
        pytest.param(
            b"# only a comment\n\n",
            "the manifest is empty; start it with 'version: 1' and 'videos:'",
            id="comments-only",
        ),
        pytest.param(
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "a binary file (it contains NUL bytes), not YAML text",
            id="binary",
        ),
    ],
)
def test_file_level_problems_have_no_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, expected: str
) -> None:
    (tmp_path / F).write_bytes(content)
    assert _errors(tmp_path, monkeypatch) == [f"{F}: {expected}"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            b"version: 1\nvideos:\n  - name: caf\xe9\n",
            "3:14: not UTF-8 text (byte 0xe9); save the file as UTF-8",
            id="latin-1",
        ),
        pytest.param(
            b"- path: a.mp4\n",
            "1:1: the manifest must be a mapping of version:, videos:, \u2026, not a list",
            id="top-level-list",
        ),
        pytest.param(
            b"just words\n",
            "1:1: the manifest must be a mapping of version:, videos:, \u2026, not a single value",
            id="top-level-scalar",
        ),
        pytest.param(
            b"version: 1\nvideos: []\n---\nversion: 1\n",
            "3:1: invalid YAML: found another document (expected a single document in the "
            "stream at 1:1)",
            id="two-documents",
        ),
        pytest.param(
            b"version: 1\nvideos: [\x07]\n",
            "2:10: invalid YAML: control characters are not allowed (character #x0007)",
            id="control-character",
        ),
        pytest.param(
            b"version: 1\nvideos: [\n",
            "3:1: invalid YAML: did not find expected node content (while parsing a flow "
            "node at 3:1)",
            id="unclosed-flow",
        ),
    ],
)
def test_unreadable_yaml_is_one_located_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, expected: str
) -> None:
    (tmp_path / F).write_bytes(content)
    assert _errors(tmp_path, monkeypatch) == [f"{F}:{expected}"]


def test_missing_file_suggests_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _errors(tmp_path, monkeypatch) == [
        f"{F}: no such file (run 'videosync init' to write one)"
    ]


def test_directory_is_not_a_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / F).mkdir()
    assert _errors(tmp_path, monkeypatch) == [
        f"{F}: is a directory; give the manifest file (-f FILE)"
    ]


def test_device_is_not_a_manifest(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ManifestInvalid) as caught:
        load_manifest(Path("/dev/zero"))
    assert str(caught.value) == "/dev/zero: not a regular file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_says_permission_denied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / F).write_text("version: 1\nvideos: []\n", encoding="utf-8")
    (tmp_path / F).chmod(0)
    assert _errors(tmp_path, monkeypatch) == [f"{F}: cannot read: permission denied"]
