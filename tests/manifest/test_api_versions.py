"""v2's fields in the manifest (title, description, features) and the fields only one API
version carries: read from entries and defaults, located, refused by version, warned about."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.manifest.conftest import WriteManifest
from videosync.errors import ManifestInvalid
from videosync.manifest.loader import Defaults, load_manifest
from videosync.manifest.versions import VersionField
from videosync.model import INDEX_FEATURES, Location
from videosync.schemas import load_schema

F = "videosync.yaml"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "catalog" / "videosync.yaml"

V2_MANIFEST = (
    "version: 1\n"
    "defaults:\n"
    "  description: Launch 2025\n"  # line 3
    "  features: [transcript, captions]\n"  # line 4
    "videos:\n"
    "  - path: media/intro.mp4\n"  # line 6
    "    title: Welcome\n"  # line 7
    "  - path: media/clips/a.mp4\n"  # line 8
    "    description: Cut from the keynote\n"  # line 9
    "    features: [objects, transcript]\n"  # line 10
    "  - glob: media/clips/deep/*.mp4\n"  # line 11
    "    title: Deep\n"  # line 12
    "    features: []\n"  # line 13
)


def test_entries_read_v2_fields_and_inherit_them_from_defaults(
    write_manifest: WriteManifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_manifest(V2_MANIFEST)
    monkeypatch.chdir(path.parent)
    manifest = load_manifest(Path(F))

    assert manifest.defaults == Defaults(
        description="Launch 2025", features=("transcript", "captions")
    )
    rows = [(v.key, v.title, v.description, v.features) for v in manifest.videos]
    assert rows == [
        ("media/intro.mp4", "Welcome", "Launch 2025", ("transcript", "captions")),
        ("media/clips/a.mp4", None, "Cut from the keynote", ("objects", "transcript")),
        ("media/clips/deep/c.mp4", "Deep", "Launch 2025", ()),
    ]
    # What each wants under v2, in the API's order; `[]` declares none.
    assert [v.wanted_features() for v in manifest.videos] == [
        ("transcript", "captions"),
        ("transcript", "objects"),
        (),
    ]


@pytest.mark.parametrize(
    ("fields", "features", "wanted"),
    [
        ("", None, INDEX_FEATURES),
        ("    index: false\n", None, ()),
        ("    index: false\n    features: [objects]\n", ("objects",), ("objects",)),
        ("    features: []\n", (), ()),
    ],
    ids=["index-default", "index-false", "features-win-over-index", "no-features"],
)
def test_index_stands_for_features_unless_features_are_declared(
    write_manifest: WriteManifest,
    monkeypatch: pytest.MonkeyPatch,
    fields: str,
    features: tuple[str, ...] | None,
    wanted: tuple[str, ...],
) -> None:
    path = write_manifest(f"version: 1\nvideos:\n  - path: media/intro.mp4\n{fields}")
    monkeypatch.chdir(path.parent)
    (video,) = load_manifest(Path(F)).videos
    assert (video.features, video.wanted_features()) == (features, wanted)


def test_a_v1_manifest_has_no_version_fields_beyond_start(
    write_manifest: WriteManifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `index` (v2 carries it as features) and `thumbnails: false` are never version fields.
    path = write_manifest(
        "version: 1\n"
        "defaults: {index: true, thumbnails: false}\n"
        "videos:\n"
        "  - path: media/intro.mp4\n"
        "    index: false\n"
        "    thumbnails: false\n"
    )
    monkeypatch.chdir(path.parent)
    manifest = load_manifest(Path(F))
    assert manifest.version_fields == ()
    manifest.check_api_version("v1")
    manifest.check_api_version("v2")


def test_version_fields_name_each_place_and_the_videos_it_reaches(
    write_manifest: WriteManifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_manifest(
        "version: 1\n"
        "defaults:\n"
        "  thumbnails: true\n"  # line 3
        "  title: Catalog\n"  # line 4
        "videos:\n"
        "  - path: media/intro.mp4\n"
        "    start: 2025-04-12T19:05:45\n"  # line 7
        "    thumbnails: false\n"
        "  - glob: media/clips/*.mp4\n"
        "    title: Clip\n"  # line 10
        "  - url: https://example.com/k.mp4\n"
    )
    monkeypatch.chdir(path.parent)
    manifest = load_manifest(Path(F))

    def at(line: int, column: int) -> Location:
        return Location(F, line, column)

    clips = ("media/clips/a.mp4", "media/clips/b.mp4")
    assert manifest.version_fields == (
        # intro.mp4 sets thumbnails: false itself; the URL entry inherits both defaults.
        VersionField("thumbnails", at(3, 3), "defaults.thumbnails", (*clips, "https://example.com/k.mp4")),
        VersionField("title", at(4, 3), "defaults.title", ("media/intro.mp4", "https://example.com/k.mp4")),
        VersionField("start", at(7, 5), "videos[0].start", ("media/intro.mp4",)),
        VersionField("title", at(10, 5), "videos[1].title", clips),
    )  # fmt: skip
    assert [f.version for f in manifest.version_fields] == ["v1", "v2", "v1", "v2"]
    assert [f.path for f in manifest.fields_refused_by("v2")] == [
        "defaults.thumbnails",
        "videos[0].start",
    ]
    assert [f.path for f in manifest.fields_refused_by("v1")] == [
        "defaults.title",
        "videos[1].title",
    ]


def test_plan_under_v1_refuses_v2_fields_saying_where_and_what_to_do(
    write_manifest: WriteManifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_manifest(V2_MANIFEST)
    monkeypatch.chdir(path.parent)
    manifest = load_manifest(Path(F))
    manifest.check_api_version("v2")
    with pytest.raises(ManifestInvalid) as refused:
        manifest.check_api_version("v1")
    # One error per field, at the first place it is written.
    assert str(refused.value).splitlines() == [
        f"{F}:3:3: defaults.description: API v1 cannot carry `description` (v1 has no way to "
        "set a description; set in 1 more place): remove `description:` or plan with "
        "--api-version v2",
        f"{F}:4:3: defaults.features: API v1 cannot carry `features` (v1 has only `index:`; set "
        "in 2 more places): remove `features:` or plan with --api-version v2",
        f"{F}:7:5: videos[0].title: API v1 cannot carry `title` (v1 has no way to set a title; "
        "set in 1 more place): remove `title:` or plan with --api-version v2",
    ]


def test_plan_under_v2_refuses_start_and_thumbnails_true(
    write_manifest: WriteManifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_manifest(
        "version: 1\n"
        "videos:\n"
        "  - path: media/intro.mp4\n"
        "    start: 2025-04-12T19:05:45\n"
        "    thumbnails: true\n"
    )
    monkeypatch.chdir(path.parent)
    manifest = load_manifest(Path(F))
    manifest.check_api_version("v1")
    with pytest.raises(ManifestInvalid) as refused:
        manifest.check_api_version("v2")
    assert [str(e) for e in refused.value.errors] == [
        f"{F}:4:5: videos[0].start: API v2 cannot carry `start` (v2's upload takes no start "
        "time): remove `start:` or plan with --api-version v1",
        f"{F}:5:5: videos[0].thumbnails: API v2 cannot carry `thumbnails: true` (v2's upload "
        "has no thumbnails option): remove `thumbnails: true` or plan with --api-version v1",
    ]


def test_the_example_catalog_needs_v1_for_its_start_times() -> None:
    manifest = load_manifest(EXAMPLE)
    assert {f.field for f in manifest.version_fields} == {"start"}
    manifest.check_api_version("v1")


def test_schema_says_which_api_version_carries_each_field() -> None:
    defs = load_schema("manifest")["$defs"]
    video = defs["video"]["properties"]
    assert video["start"]["description"].startswith("API v1 only:")
    assert defs["thumbnails"]["description"].startswith("API v1 only:")
    for name in ("title", "description", "features"):
        assert defs[name]["description"].startswith("API v2 only:"), name
    assert defs["features"]["items"]["enum"] == ["transcript", "captions", "embeddings", "objects"]


# --- validate, run as the console script runs it ---------------------------------------------


def validate(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("videosync")
    return subprocess.run(
        [str(script), *args, "validate"], cwd=folder, capture_output=True, text=True, check=False
    )


def test_validate_warns_once_per_field_and_exits_0(write_manifest: WriteManifest) -> None:
    done = validate(write_manifest(V2_MANIFEST).parent)
    assert (done.returncode, done.stdout) == (0, f"{F}: valid (3 videos, 0 groups)\n")
    assert done.stderr.splitlines() == [
        f"warning: {F}:3:3: defaults.description: `description` (and in 1 more place) needs "
        "API v2: plan refuses it under v1 (v1 has no way to set a description)",
        f"warning: {F}:4:3: defaults.features: `features` (and in 2 more places) needs API v2: "
        "plan refuses it under v1 (v1 has only `index:`)",
        f"warning: {F}:7:5: videos[0].title: `title` (and in 1 more place) needs API v2: plan "
        "refuses it under v1 (v1 has no way to set a title)",
    ]


def test_validate_says_when_no_version_carries_the_manifest(
    write_manifest: WriteManifest,
) -> None:
    path = write_manifest(
        "version: 1\n"
        "videos:\n"
        "  - path: media/intro.mp4\n"
        "    start: 2025-04-12T19:05:45\n"
        "  - path: media/clips/a.mp4\n"
        "    title: A\n"
        "    thumbnails: true\n"
    )
    done = validate(path.parent)
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        f"warning: {F}:4:5: videos[0].start: `start` needs API v1: plan refuses it under v2 "
        "(v2's upload takes no start time)",
        f"warning: {F}:6:5: videos[1].title: `title` needs API v2: plan refuses it under v1 "
        "(v1 has no way to set a title)",
        f"warning: {F}:7:5: videos[1].thumbnails: `thumbnails: true` needs API v1: plan "
        "refuses it under v2 (v2's upload has no thumbnails option)",
        f"warning: {F}: fields of API v1 (`start`, `thumbnails: true`) and of API v2 "
        "(`title`): plan refuses this manifest under either version; keep those of one",
    ]


def test_quiet_validate_keeps_the_warnings_to_itself(write_manifest: WriteManifest) -> None:
    done = validate(write_manifest(V2_MANIFEST).parent, "-q")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_the_v2_example_in_the_docs_loads_and_plans_under_v2(tmp_path: Path) -> None:
    docs = (EXAMPLE.parents[2] / "docs" / "manifest.md").read_text(encoding="utf-8")
    example = re.search(r"An example for API v2:\n\n```yaml\n(.*?)```", docs, re.DOTALL)
    assert example is not None
    for rel in ("media/keynote.mp4", "media/outro.mp4", "media/clips/a/b.mp4"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(rel.encode())
    (tmp_path / F).write_text(example.group(1), encoding="utf-8")
    manifest = load_manifest(tmp_path / F)
    manifest.check_api_version("v2")
    assert [v.wanted_features() for v in manifest.videos] == [
        ("transcript", "captions", "embeddings"),
        ("transcript", "objects"),
        (),
    ]
