"""A `url:` entry is keyed, recorded and shown without its query string (a presigned URL's
signature), and keeps its key when the URL is signed again; the whole URL is what is sent."""

from __future__ import annotations

import pickle
from copy import deepcopy
from pathlib import Path

import pytest

from tests.manifest.conftest import WriteManifest
from videosync.errors import ManifestInvalid
from videosync.manifest.loader import load_manifest
from videosync.ownership import SignedUrl, url_identity

SIGNED = "https://cdn.example.com/clips/keynote.mp4?X-Amz-Expires=600&X-Amz-Signature=f00d"


def _load(write_manifest: WriteManifest, *entries: str) -> Path:
    return write_manifest("version: 1\nvideos:\n" + "".join(entries))


def test_a_url_is_keyed_without_its_query_string(write_manifest: WriteManifest) -> None:
    video = load_manifest(_load(write_manifest, f"  - url: '{SIGNED}'\n")).videos[0]
    assert video.key == "https://cdn.example.com/clips/keynote.mp4?…"
    assert video.url == video.key  # what is recorded and shown
    assert isinstance(video.url, SignedUrl)
    assert video.url.full == SIGNED  # what is sent
    assert video.name == "keynote.mp4"
    assert "f00d" not in repr(video)


def test_signing_again_keeps_the_key(write_manifest: WriteManifest) -> None:
    first = load_manifest(_load(write_manifest, f"  - url: '{SIGNED}'\n")).videos[0]
    again = SIGNED.replace("f00d", "beef").replace("600", "3600")
    second = load_manifest(_load(write_manifest, f"  - url: '{again}'\n")).videos[0]
    assert (second.key, second.url) == (first.key, first.url)
    assert isinstance(second.url, SignedUrl) and second.url.full == again


def test_a_url_without_a_query_string_is_its_own_key(write_manifest: WriteManifest) -> None:
    plain = "https://example.com/talks/key%20note.mp4#t=10"
    video = load_manifest(_load(write_manifest, f"  - url: '{plain}'\n")).videos[0]
    assert (video.key, video.url, type(video.url)) == (plain, plain, str)


def test_an_id_keeps_its_key_and_the_url_is_still_recorded_without_its_query(
    write_manifest: WriteManifest,
) -> None:
    video = load_manifest(_load(write_manifest, f"  - url: '{SIGNED}'\n    id: keynote\n")).videos[
        0
    ]
    assert video.key == "keynote"
    assert video.url == "https://cdn.example.com/clips/keynote.mp4?…"
    assert isinstance(video.url, SignedUrl) and video.url.full == SIGNED


def test_a_nameless_url_is_named_without_its_query_string(write_manifest: WriteManifest) -> None:
    path = _load(write_manifest, "  - url: 'https://example.com/?token=s3cr3t'\n")
    assert load_manifest(path).videos[0].name == "https://example.com/?…"


def test_two_urls_that_differ_only_in_their_query_string_need_ids(
    write_manifest: WriteManifest,
) -> None:
    path = _load(
        write_manifest,
        "  - url: 'https://example.com/watch?v=1'\n",
        "  - url: 'https://example.com/watch?v=2'\n",
    )
    with pytest.raises(ManifestInvalid) as caught:
        load_manifest(path)
    assert [str(e) for e in caught.value.errors] == [
        f"{path}:4:10: videos[1].url: key 'https://example.com/watch?…' is also the key of "
        "videos[0] (line 3); each video needs its own key (set id: to tell them apart)"
    ]
    path = _load(
        write_manifest,
        "  - url: 'https://example.com/watch?v=1'\n    id: one\n",
        "  - url: 'https://example.com/watch?v=2'\n    id: two\n",
    )
    assert [v.key for v in load_manifest(path).videos] == ["one", "two"]


@pytest.mark.parametrize(
    ("url", "identity"),
    [
        (SIGNED, "https://cdn.example.com/clips/keynote.mp4?…"),
        ("HTTPS://Example.com/a.mp4?sig=1#frag", "HTTPS://Example.com/a.mp4?…"),
        ("https://example.com/a.mp4", "https://example.com/a.mp4"),
        ("https://example.com/a.mp4?", "https://example.com/a.mp4?"),
        ("https://example.com/a.mp4#x?y", "https://example.com/a.mp4#x?y"),
        ("https://example.com/a.mp4?…", "https://example.com/a.mp4?…"),
        ("media/what?.mp4", "media/what?.mp4"),  # a file's key: not a URL
    ],
)
def test_url_identity(url: str, identity: str) -> None:
    assert url_identity(url) == identity


def test_a_signed_url_survives_a_copy_with_its_full_url() -> None:
    url = SignedUrl(SIGNED)
    for copied in (deepcopy(url), pickle.loads(pickle.dumps(url))):
        assert isinstance(copied, SignedUrl)
        assert (copied, copied.full) == (url, SIGNED)
