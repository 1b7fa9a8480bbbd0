"""Generated valid manifests load to exactly what they say, and loading is deterministic."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from videosync.errors import ManifestInvalid
from videosync.manifest.loader import load_manifest

FILES = [f"media/clip-{i}.mp4" for i in range(6)]
GROUP_ID = "20f4bc2d-3ebe-4fd2-829f-9d88c79e8a37"

names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30
).filter(lambda s: s.strip())
group_refs = st.sampled_from(["default", "promo", "legacy", GROUP_ID])
starts = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1990, 1, 1),
        max_value=datetime(2090, 1, 1),
        timezones=st.sampled_from([None, timezone.utc, timezone(timedelta(hours=-5, minutes=-30))]),
    ),
)


@st.composite
def entries(draw: st.DrawFn) -> list[dict[str, Any]]:
    paths = draw(st.lists(st.sampled_from(FILES), unique=True, max_size=len(FILES)))
    urls = draw(
        st.lists(
            st.from_regex(r"https://[a-z]{1,10}\.example/[a-z0-9/]{0,20}", fullmatch=True),
            unique=True,
            max_size=5,
        )
    )
    result = []
    for source in [{"path": p} for p in paths] + [{"url": u} for u in urls]:
        entry: dict[str, Any] = dict(source)
        for key, strategy in (
            ("name", names),
            ("group", group_refs),
            ("start", starts.filter(lambda s: s is not None)),
            ("index", st.booleans()),
            ("thumbnails", st.booleans()),
            ("protect", st.booleans()),
        ):
            if draw(st.booleans()):
                entry[key] = draw(strategy)
        result.append(entry)
    return draw(st.permutations(result))


def _expected_start(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(videos=entries(), index_default=st.booleans())
def test_generated_manifests_load_to_what_they_say(
    videos: list[dict[str, Any]], index_default: bool
) -> None:
    document = {
        "version": 1,
        "groups": {"promo": {"name": "Promo", "metadata": {"k": "v"}}, "legacy": {"id": GROUP_ID}},
        "defaults": {"index": index_default},
        "videos": videos,
    }
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for rel in FILES:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(rel.encode())
        path = root / "videosync.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
        first = load_manifest(path)
        assert load_manifest(path) == first

    assert len(first.videos) == len(videos)
    for entry, video in zip(videos, first.videos, strict=True):
        source = entry.get("path") or entry["url"]
        assert video.key == source
        assert video.url == entry.get("url")
        assert video.path == (root.resolve() / entry["path"] if "path" in entry else None)
        # A file is named after itself, a URL after its last path segment (or itself).
        default_name = Path(urlsplit(source).path.rstrip("/")).name or source
        assert video.name == entry.get("name", default_name)
        assert video.group == entry.get("group", "default")
        assert video.start == _expected_start(entry.get("start"))
        assert video.index == entry.get("index", index_default)
        assert video.thumbnails == entry.get("thumbnails", False)
        assert video.protect == entry.get("protect", False)


_keys = st.sampled_from(
    [
        "version",
        "videos",
        "groups",
        "defaults",
        "path",
        "url",
        "glob",
        "id",
        "name",
        "group",
        "start",
        "index",
        "thumbnails",
        "protect",
        "metadata",
        "default",
        "promo",
        "other",
    ]
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(["media/clip-0.mp4", "https://e.example/a", "**/*.mp4", "..", "/", "."]),
    st.sampled_from(["default", "promo", "2025-01-01T00:00:00", GROUP_ID]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=st.one_of(st.dictionaries(_keys, _values, max_size=5), _values))
def test_any_document_loads_or_fails_with_manifest_invalid(document: Any) -> None:
    """Whatever the YAML holds, the loader never fails any other way (no traceback)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / FILES[0]).parent.mkdir(parents=True)
        (root / FILES[0]).write_bytes(b"x")
        path = root / "videosync.yaml"
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        try:
            load_manifest(path)
        except ManifestInvalid as invalid:
            assert invalid.errors
            assert all(str(error).startswith(str(path)) for error in invalid.errors)
