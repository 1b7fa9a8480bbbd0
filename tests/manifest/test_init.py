"""`videosync init` finds real videos by extension and content and writes a valid manifest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from testing.samplemedia import write_sample_video
from videosync.cli import main
from videosync.commands.init import init_manifest, readable_name, sniff_container
from videosync.errors import UsageError
from videosync.manifest.loader import load_manifest


@pytest.fixture
def media_folder(tmp_path: Path, sample_video: Path) -> Path:
    """Two real MP4s (one in a subfolder with an awkward name), a fake, and non-videos."""
    (tmp_path / "media" / "b roll").mkdir(parents=True)
    (tmp_path / "media" / "intro_cut-01.mp4").write_bytes(sample_video.read_bytes())
    (tmp_path / "media" / "b roll" / "take: 2.MP4").write_bytes(sample_video.read_bytes())
    (tmp_path / "media" / "notes.mp4").write_text("not a video\n", encoding="utf-8")
    (tmp_path / "media" / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "hidden.mp4").write_bytes(sample_video.read_bytes())
    return tmp_path


def test_init_writes_a_manifest_that_validates(media_folder: Path) -> None:
    result = init_manifest(media_folder)
    assert result.videos == ("media/b roll/take: 2.MP4", "media/intro_cut-01.mp4")
    assert result.skipped == (
        ("media/notes.mp4", "not a video: it does not start with an MP4/QuickTime 'ftyp' box"),
    )
    text = result.manifest.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    schema_ref = text.splitlines()[0].split("$schema=")[1]
    assert (media_folder / schema_ref).resolve().name == "manifest.schema.json"
    assert (media_folder / schema_ref).exists()
    manifest = load_manifest(result.manifest)
    assert [(v.key, v.name) for v in manifest.videos] == [
        ("media/b roll/take: 2.MP4", "Take: 2"),
        ("media/intro_cut-01.mp4", "Intro cut 01"),
    ]
    assert (manifest.defaults.group, manifest.defaults.index) == ("default", True)


def test_init_adds_the_cache_to_gitignore_once(media_folder: Path) -> None:
    (media_folder / ".gitignore").write_text("*.tmp", encoding="utf-8")
    assert init_manifest(media_folder).gitignore == media_folder / ".gitignore"
    assert init_manifest(media_folder, force=True).gitignore is None
    assert (media_folder / ".gitignore").read_text(encoding="utf-8") == "*.tmp\n.videosync/\n"


def test_init_refuses_to_overwrite_without_force(media_folder: Path) -> None:
    (media_folder / "videosync.yaml").write_text("version: 1\nvideos: []\n", encoding="utf-8")
    with pytest.raises(UsageError) as refused:
        init_manifest(media_folder)
    assert str(refused.value) == (
        f"{media_folder / 'videosync.yaml'} already exists; use --force to overwrite it"
    )
    assert refused.value.exit_code == 3
    assert (media_folder / "videosync.yaml").read_text(encoding="utf-8") == (
        "version: 1\nvideos: []\n"
    )
    init_manifest(media_folder, force=True)
    assert len(load_manifest(media_folder / "videosync.yaml").videos) == 2


def test_init_on_an_empty_folder_writes_an_empty_valid_manifest(tmp_path: Path) -> None:
    result = init_manifest(tmp_path)
    assert load_manifest(result.manifest).videos == ()


def test_init_through_the_cli(
    media_folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(media_folder)
    with pytest.raises(SystemExit) as ended:
        main(["init"])
    out, err = capsys.readouterr()
    assert ended.value.code == 0
    assert out.splitlines() == [
        "wrote videosync.yaml (2 videos)",
        "added .videosync/ to .gitignore",
        "next: videosync -f videosync.yaml validate, then plan",
    ]
    assert err == (
        "skipped media/notes.mp4: not a video: it does not start with an MP4/QuickTime 'ftyp' box\n"
    )
    with pytest.raises(SystemExit) as ended:
        main(["init", "."])
    assert ended.value.code == 3
    assert capsys.readouterr().err == (
        "error: videosync.yaml already exists; use --force to overwrite it\n"
    )
    with pytest.raises(SystemExit) as ended:
        main(["init", "no-such-folder"])
    assert ended.value.code == 3
    assert capsys.readouterr().err == "error: no-such-folder: no such folder\n"


def test_sniffing_knows_the_containers(tmp_path: Path) -> None:
    mp4 = write_sample_video(tmp_path / "a.mp4", seconds=0.2, seed=3)
    assert sniff_container(mp4.read_bytes()[:16]) == "mp4"
    assert sniff_container(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01") == "ebml"
    assert sniff_container(b"RIFF\x24\x00\x00\x00AVI LIST") == "avi"
    assert sniff_container(b"RIFF\x24\x00\x00\x00WAVEfmt ") is None
    assert sniff_container(b"") is None


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("intro.mp4", "Intro"),
        ("media/my_first-clip.mp4", "My first clip"),
        ("a  b__c.mov", "A b c"),
        ("2024.06.01 keynote.mkv", "2024 06 01 keynote"),
        ("___.mp4", "___.mp4"),
    ],
)
def test_readable_names_come_from_the_file_stem(path: str, name: str) -> None:
    assert readable_name(path) == name


def test_init_skips_what_validate_would_refuse(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, sample_video: Path
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "far.mp4"
    elsewhere.write_bytes(sample_video.read_bytes())
    (tmp_path / "far.mp4").symlink_to(elsewhere)
    os.mkfifo(tmp_path / "pipe.mp4")
    result = init_manifest(tmp_path)
    assert result.videos == ()
    assert result.skipped == (
        ("far.mp4", f"'far.mp4' leads outside the manifest's folder (to '{elsewhere.resolve()}')"),
        ("pipe.mp4", "'pipe.mp4' is not a regular file"),
    )
    assert load_manifest(result.manifest).videos == ()
