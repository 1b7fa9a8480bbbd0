"""A valid manifest becomes frozen desired state: keys, files, groups, defaults, timestamps."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.manifest.conftest import WriteManifest
from videosync.manifest.loader import Defaults, load_manifest
from videosync.model import DesiredGroup, Location

MANIFEST_DOCS = Path(__file__).resolve().parents[2] / "docs" / "manifest.md"
UTC = timezone.utc


def test_full_example_resolves_every_field(catalog: Path, write_manifest: WriteManifest) -> None:
    path = write_manifest(
        "# yaml-language-server: $schema=schemas/manifest.schema.json\n"
        "version: 1\n"
        "groups:\n"
        "  marketing:\n"
        "    name: Marketing clips\n"
        "    metadata: {campaign: launch-2024}\n"
        "  legacy:\n"
        "    id: 20f4bc2d-3ebe-4fd2-829f-9d88c79e8a37\n"
        "defaults:\n"
        "  group: legacy\n"
        "  thumbnails: true\n"
        "videos:\n"
        "  - path: media/intro.mp4\n"  # line 13
        "    name: Intro\n"
        "    start: 2025-04-12T19:05:45\n"
        "    group: marketing\n"
        "  - url: https://example.com/talks/key%20note.mp4\n"  # line 17
        "    index: false\n"
        "  - glob: media/clips/**/*.mp4\n"  # line 19
        "    protect: true\n"
    )
    manifest = load_manifest(path)

    assert manifest.path == path
    assert manifest.root == catalog.resolve()
    assert manifest.defaults == Defaults(group="legacy", index=True, thumbnails=True)
    assert manifest.groups == (
        DesiredGroup("marketing", name="Marketing clips", metadata={"campaign": "launch-2024"}),
        DesiredGroup("legacy", group_id="20f4bc2d-3ebe-4fd2-829f-9d88c79e8a37"),
    )
    assert manifest.group("legacy") is manifest.groups[1]
    assert manifest.group("nope") is None
    rows = [
        (v.key, v.name, v.path, v.url, v.group, v.start, v.index, v.thumbnails, v.protect)
        for v in manifest.videos
    ]
    root = catalog.resolve()
    assert rows == [
        (
            "media/intro.mp4",
            "Intro",
            root / "media/intro.mp4",
            None,
            "marketing",
            datetime(2025, 4, 12, 19, 5, 45, tzinfo=UTC),
            True,
            True,
            False,
        ),
        (
            "https://example.com/talks/key%20note.mp4",
            "key note.mp4",
            None,
            "https://example.com/talks/key%20note.mp4",
            "legacy",
            None,
            False,
            True,
            False,
        ),
        (
            "media/clips/a.mp4",
            "a.mp4",  # a glob entry without name: its file's name, as uploaded before
            root / "media/clips/a.mp4",
            None,
            "legacy",
            None,
            True,
            True,
            True,
        ),
        (
            "media/clips/b.mp4",
            "b.mp4",
            root / "media/clips/b.mp4",
            None,
            "legacy",
            None,
            True,
            True,
            True,
        ),
        (
            "media/clips/deep/c.mp4",
            "c.mp4",
            root / "media/clips/deep/c.mp4",
            None,
            "legacy",
            None,
            True,
            True,
            True,
        ),
    ]
    assert [v.location for v in manifest.videos] == [
        Location(str(path), line, 5) for line in (13, 17, 19, 19, 19)
    ]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2025-04-12T19:05:45", datetime(2025, 4, 12, 19, 5, 45, tzinfo=UTC)),
        ("'2025-04-12T19:05:45'", datetime(2025, 4, 12, 19, 5, 45, tzinfo=UTC)),
        ("2025-04-12 19:05:45.250", datetime(2025, 4, 12, 19, 5, 45, 250000, tzinfo=UTC)),
        ("2025-04-12T19:05:45Z", datetime(2025, 4, 12, 19, 5, 45, tzinfo=UTC)),
        (
            "2025-04-12T21:05:45+02:00",
            datetime(2025, 4, 12, 21, 5, 45, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2025-04-12", datetime(2025, 4, 12, tzinfo=UTC)),
    ],
)
def test_start_is_timezone_aware_and_naive_means_utc(
    write_manifest: WriteManifest, written: str, expected: datetime
) -> None:
    path = write_manifest(f"version: 1\nvideos:\n  - path: media/intro.mp4\n    start: {written}\n")
    start = load_manifest(path).videos[0].start
    assert start == expected
    assert start is not None and start.utcoffset() == expected.utcoffset()


def test_id_is_the_key_and_paths_are_normalised(write_manifest: WriteManifest) -> None:
    path = write_manifest(
        "version: 1\nvideos:\n"
        "  - path: ./media/clips/../intro.mp4\n"
        "  - path: media/clips/a.mp4\n    id: opening\n"
    )
    videos = load_manifest(path).videos
    assert [(v.key, v.name) for v in videos] == [
        ("media/intro.mp4", "intro.mp4"),
        ("opening", "a.mp4"),
    ]


def test_symlink_inside_the_folder_is_fine(catalog: Path, write_manifest: WriteManifest) -> None:
    (catalog / "latest.mp4").symlink_to(catalog / "media" / "intro.mp4")
    path = write_manifest("version: 1\nvideos:\n  - path: latest.mp4\n")
    video = load_manifest(path).videos[0]
    assert (video.key, video.path) == ("latest.mp4", catalog.resolve() / "latest.mp4")


def test_glob_skips_folders_and_hidden_files(catalog: Path, write_manifest: WriteManifest) -> None:
    (catalog / "media" / ".hidden.mp4").write_bytes(b"h")
    (catalog / ".videosync").mkdir()
    (catalog / ".videosync" / "cached.mp4").write_bytes(b"c")
    path = write_manifest("version: 1\nvideos:\n  - glob: '**/*'\n")
    keys = [v.key for v in load_manifest(path).videos]
    assert keys == [
        "media/clips/a.mp4",
        "media/clips/b.mp4",
        "media/clips/deep/c.mp4",
        "media/intro.mp4",
        "videosync.yaml",
    ]


def test_relative_manifest_path_resolves_against_its_own_folder(
    catalog: Path, write_manifest: WriteManifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_manifest("version: 1\nvideos:\n  - path: media/intro.mp4\n")
    monkeypatch.chdir(catalog / "media")
    manifest = load_manifest(Path("../videosync.yaml"))
    assert manifest.root == catalog.resolve()
    assert manifest.videos[0].path == catalog.resolve() / "media/intro.mp4"


def test_empty_video_list_is_valid(write_manifest: WriteManifest) -> None:
    manifest = load_manifest(write_manifest("version: 1\nvideos: []\n"))
    assert (manifest.videos, manifest.groups) == ((), ())


def test_yaml_1_1_booleans_and_url_names(write_manifest: WriteManifest) -> None:
    path = write_manifest(
        "version: 1\ndefaults: {index: no}\nvideos:\n"
        "  - url: https://example.com/\n    thumbnails: yes\n"
    )
    video = load_manifest(path).videos[0]
    assert (video.name, video.index, video.thumbnails) == ("https://example.com/", False, True)


def test_loading_twice_gives_equal_manifests(write_manifest: WriteManifest) -> None:
    path = write_manifest("version: 1\nvideos:\n  - glob: media/**/*.mp4\n")
    assert load_manifest(path) == load_manifest(path)


def test_the_reference_example_is_a_valid_manifest(tmp_path: Path) -> None:
    example = re.search(r"```yaml\n(.*?)```", MANIFEST_DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert example is not None, "docs/manifest.md opens with a complete yaml example"
    text = example.group(1)
    for rel in re.findall(r"^\s*-?\s*path: (\S+)", text, re.MULTILINE):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(rel.encode())
    for pattern in re.findall(r"^\s*-?\s*glob: (\S+)", text, re.MULTILINE):
        file = tmp_path / pattern.replace("**/", "").replace("*", "example")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(b"x")
    (tmp_path / "videosync.yaml").write_text(text, encoding="utf-8")
    manifest = load_manifest(tmp_path / "videosync.yaml")
    assert manifest.videos
