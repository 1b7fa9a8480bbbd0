"""Each broken manifest is reported with every error, exactly worded, at the exact line:column."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.manifest.conftest import WriteManifest
from videosync.errors import ManifestInvalid
from videosync.manifest.loader import load_manifest

V = "version: 1\nvideos:\n"  # entries then start on line 3
F = "videosync.yaml"

CASES: list[tuple[str, str, list[str]]] = [
    # --- top level ---------------------------------------------------------------------
    (
        "missing-version",
        "videos: []\n",
        [f"{F}:1:1: missing required key 'version'"],
    ),
    (
        "missing-videos-typo",
        "version: 1\nvideo:\n  - path: media/intro.mp4\n",
        [
            f"{F}:1:1: missing required key 'videos'",
            f"{F}:2:1: video: unknown key 'video' (did you mean 'videos'?)",
        ],
    ),
    (
        "version-2",
        "version: 2\nvideos: []\n",
        [f"{F}:1:10: version: must be 1, the manifest version this videosync reads (got 2)"],
    ),
    (
        "version-string",
        "version: '1'\nvideos: []\n",
        [
            f"{F}:1:10: version: must be 1, the manifest version this videosync reads "
            "(got the string '1')"
        ],
    ),
    (
        "videos-not-a-list",
        "version: 1\nvideos: media/intro.mp4\n",
        [f"{F}:2:9: videos: expected a list, got the string 'media/intro.mp4'"],
    ),
    # --- entries -----------------------------------------------------------------------
    (
        "entry-not-a-mapping",
        V + "  - media/intro.mp4\n",
        [f"{F}:3:5: videos[0]: expected a mapping, got the string 'media/intro.mp4'"],
    ),
    (
        "unknown-key-close",
        V + "  - path: media/intro.mp4\n    nmae: Intro\n",
        [f"{F}:4:5: videos[0].nmae: unknown key 'nmae' (did you mean 'name'?)"],
    ),
    (
        "unknown-key-far",
        V + "  - path: media/intro.mp4\n    colour: red\n",
        [
            f"{F}:4:5: videos[0].colour: unknown key 'colour' (allowed: description, "
            "features, glob, group, id, index, name, path, protect, start, thumbnails, title, "
            "url)"
        ],
    ),
    (
        "unknown-key-does-not-hide-a-missing-file",
        V + "  - path: media/x.mp4\n    nmae: X\n",
        [
            f"{F}:3:11: videos[0].path: no such file 'media/x.mp4'",
            f"{F}:4:5: videos[0].nmae: unknown key 'nmae' (did you mean 'name'?)",
        ],
    ),
    (
        "no-source",
        V + "  - name: Intro\n",
        [f"{F}:3:5: videos[0]: needs one of path, url or glob"],
    ),
    (
        "two-sources",
        V + "  - path: media/intro.mp4\n    url: https://example.com/a.mp4\n",
        [f"{F}:3:5: videos[0]: has path and url: give exactly one of path, url or glob"],
    ),
    (
        "path-missing",
        V + "  - path: media/intro.mp4\n  - path: media/x.mp4\n",
        [f"{F}:4:11: videos[1].path: no such file 'media/x.mp4'"],
    ),
    (
        "path-absolute",
        V + "  - path: /etc/hostname\n",
        [
            f"{F}:3:11: videos[0].path: '/etc/hostname' is absolute; give the path relative "
            "to the manifest's folder"
        ],
    ),
    (
        "path-outside",
        V + "  - path: media/../../x.mp4\n",
        [f"{F}:3:11: videos[0].path: 'media/../../x.mp4' is outside the manifest's folder"],
    ),
    (
        "path-is-folder",
        V + "  - path: media/clips\n",
        [
            f"{F}:3:11: videos[0].path: 'media/clips' is a folder; use glob: "
            "'media/clips/**/*.mp4' for the files in it"
        ],
    ),
    (
        "path-empty",
        V + "  - path: ''\n",
        [f"{F}:3:11: videos[0].path: must not be empty"],
    ),
    (
        "path-not-a-string",
        V + "  - path: 3\n",
        [f"{F}:3:11: videos[0].path: expected a string, got 3"],
    ),
    (
        "url-ftp",
        V + "  - url: ftp://example.com/a.mp4\n",
        [f"{F}:3:10: videos[0].url: not an http or https URL: 'ftp://example.com/a.mp4'"],
    ),
    (
        "url-no-host",
        V + "  - url: 'https://'\n",
        [f"{F}:3:10: videos[0].url: not an http or https URL: 'https://'"],
    ),
    (
        "glob-no-match",
        V + "  - glob: media/**/*.mov\n",
        [f"{F}:3:11: videos[0].glob: 'media/**/*.mov' matches no file"],
    ),
    (
        "glob-climbs-out",
        V + "  - glob: media/../*.mp4\n",
        [
            f"{F}:3:11: videos[0].glob: 'media/../*.mp4' must not climb out of the manifest's "
            "folder (..)"
        ],
    ),
    (
        "glob-with-id",
        V + "  - glob: media/clips/*.mp4\n    id: clips\n",
        [
            f"{F}:4:5: videos[0].id: not allowed with glob: each matched file is keyed by "
            "its own path"
        ],
    ),
    # --- keys --------------------------------------------------------------------------
    (
        "duplicate-path",
        V + "  - path: media/intro.mp4\n  - path: media/./intro.mp4\n",
        [
            f"{F}:4:11: videos[1].path: key 'media/intro.mp4' is also the key of videos[0] "
            "(line 3); each video needs its own key (set id: to tell them apart)"
        ],
    ),
    (
        "duplicate-through-glob",
        V + "  - path: media/clips/b.mp4\n  - glob: media/clips/*.mp4\n",
        [
            f"{F}:4:11: videos[1].glob: key 'media/clips/b.mp4' (matched by "
            "'media/clips/*.mp4') is also the key of videos[0] (line 3); each video needs "
            "its own key (set id: to tell them apart)"
        ],
    ),
    (
        "duplicate-id",
        V + "  - path: media/intro.mp4\n    id: intro\n  - url: https://example.com/i.mp4\n"
        "    id: intro\n",
        [
            f"{F}:6:9: videos[1].id: key 'intro' is also the key of videos[0] (line 3); "
            "each video needs its own key (set id: to tell them apart)"
        ],
    ),
    (
        "duplicate-url",
        V + "  - url: https://example.com/k.mp4\n  - url: https://example.com/k.mp4\n",
        [
            f"{F}:4:10: videos[1].url: key 'https://example.com/k.mp4' is also the key of "
            "videos[0] (line 3); each video needs its own key (set id: to tell them apart)"
        ],
    ),
    # --- attributes --------------------------------------------------------------------
    (
        "start-not-a-timestamp",
        V + "  - path: media/intro.mp4\n    start: yesterday\n",
        [
            f"{F}:4:12: videos[0].start: 'yesterday' is not a timestamp; write ISO 8601, "
            "like 2025-04-12T19:05:45 (UTC) or 2025-04-12T21:05:45+02:00"
        ],
    ),
    (
        "start-no-such-day",
        V + "  - path: media/intro.mp4\n    start: '2025-02-30T10:00:00'\n",
        [
            f"{F}:4:12: videos[0].start: '2025-02-30T10:00:00' is not a timestamp; write "
            "ISO 8601, like 2025-04-12T19:05:45 (UTC) or 2025-04-12T21:05:45+02:00"
        ],
    ),
    (
        "start-a-number",
        V + "  - path: media/intro.mp4\n    start: 1744484745\n",
        [f"{F}:4:12: videos[0].start: expected a string, got 1744484745"],
    ),
    (
        "name-empty",
        V + "  - path: media/intro.mp4\n    name: ''\n",
        [f"{F}:4:11: videos[0].name: must not be empty"],
    ),
    (
        "name-blank",
        V + "  - path: media/intro.mp4\n    name: '   '\n",
        [f"{F}:4:11: videos[0].name: must not be empty"],
    ),
    (
        "index-not-a-bool",
        V + "  - path: media/intro.mp4\n    index: maybe\n",
        [f"{F}:4:12: videos[0].index: expected true or false, got the string 'maybe'"],
    ),
    (
        "title-blank",
        V + "  - path: media/intro.mp4\n    title: ' '\n",
        [f"{F}:4:12: videos[0].title: must not be empty"],
    ),
    (
        "description-a-number",
        V + "  - path: media/intro.mp4\n    description: 42\n",
        [f"{F}:4:18: videos[0].description: expected a string, got 42"],
    ),
    (
        "feature-misspelled",
        V + "  - path: media/intro.mp4\n    features: [transcript, captoins]\n",
        [f"{F}:4:28: videos[0].features[1]: unknown feature 'captoins' (did you mean 'captions'?)"],
    ),
    (
        "feature-unknown",
        V + "  - path: media/intro.mp4\n    features: [scenes]\n",
        [
            f"{F}:4:16: videos[0].features[0]: unknown feature 'scenes' (choose from: "
            "transcript, captions, embeddings, objects)"
        ],
    ),
    (
        "feature-twice",
        V + "  - path: media/intro.mp4\n    features:\n      - captions\n      - transcript\n"
        "      - captions\n",
        [
            f"{F}:7:9: videos[0].features[2]: 'captions' is listed twice "
            "(first at videos[0].features[0])"
        ],
    ),
    (
        "features-in-defaults-not-a-list",
        "version: 1\ndefaults:\n  features: transcript\nvideos: []\n",
        [f"{F}:3:13: defaults.features: expected a list, got the string 'transcript'"],
    ),
    # --- groups ------------------------------------------------------------------------
    (
        "group-unknown-close",
        "version: 1\ngroups:\n  marketing: {name: Marketing}\nvideos:\n"
        "  - path: media/intro.mp4\n    group: marketting\n",
        [
            f"{F}:6:12: videos[0].group: unknown group 'marketting': use 'default', a group "
            "UUID, or a name under groups: (did you mean 'marketing'?)"
        ],
    ),
    (
        "group-unknown-no-groups",
        V + "  - path: media/intro.mp4\n    group: sales\n",
        [
            f"{F}:4:12: videos[0].group: unknown group 'sales': use 'default', a group UUID, "
            "or a name under groups:"
        ],
    ),
    (
        "group-named-default",
        "version: 1\ngroups:\n  default: {name: Everything}\nvideos: []\n",
        [
            f"{F}:3:3: groups.default: 'default' cannot name a group here: it already means "
            "the default group"
        ],
    ),
    (
        "group-named-like-a-uuid",
        "version: 1\ngroups:\n  20f4bc2d-3ebe-4fd2-829f-9d88c79e8a37: {name: X}\nvideos: []\n",
        [
            f"{F}:3:3: groups.20f4bc2d-3ebe-4fd2-829f-9d88c79e8a37: "
            "'20f4bc2d-3ebe-4fd2-829f-9d88c79e8a37' cannot name a group here: it already "
            "means a group id"
        ],
    ),
    (
        "group-key-with-space",
        "version: 1\ngroups:\n  my group: {name: X}\nvideos: []\n",
        [
            f"{F}:3:3: groups.my group: 'my group': a group's key is letters, digits, '_', "
            "'.' or '-', starting with a letter or digit"
        ],
    ),
    (
        "group-id-not-uuid",
        "version: 1\ngroups:\n  legacy: {id: 20f4bc2d}\nvideos: []\n",
        [
            f"{F}:3:16: groups.legacy.id: not a UUID (like "
            "20f4bc2d-3ebe-4fd2-829f-9d88c79e8a37): '20f4bc2d'"
        ],
    ),
    (
        "group-id-and-name",
        "version: 1\ngroups:\n  legacy:\n    id: 20f4bc2d-3ebe-4fd2-829f-9d88c79e8a37\n"
        "    name: Legacy\nvideos: []\n",
        [f"{F}:4:5: groups.legacy: has id and name: give exactly one of id or name"],
    ),
    (
        "group-metadata-without-name",
        "version: 1\ngroups:\n  promo:\n    metadata: {a: 1}\nvideos: []\n",
        [
            f"{F}:4:5: groups.promo: missing required key 'name'",
            f"{F}:4:5: groups.promo: needs one of id or name",
        ],
    ),
    (
        "group-metadata-too-long",
        "version: 1\ngroups:\n  promo:\n    name: Promo\n    metadata: {notes: '"
        + "x" * 490
        + "'}\nvideos: []\n",
        [
            f"{F}:5:15: groups.promo.metadata: is 525 characters as JSON with videosync's marker "
            '(`"videosync": "promo"`); the API allows at most 500'
        ],
    ),
    (
        "group-metadata-near-the-limit-with-the-marker",
        "version: 1\ngroups:\n  promo:\n    name: Promo\n    metadata: {notes: '"
        + "x" * 470
        + "'}\nvideos: []\n",
        [
            f"{F}:5:15: groups.promo.metadata: is 505 characters as JSON with videosync's marker "
            '(`"videosync": "promo"`); the API allows at most 500'
        ],
    ),
    (
        "group-metadata-with-the-reserved-key",
        "version: 1\ngroups:\n  promo:\n    name: Promo\n"
        "    metadata: {videosync: x}\nvideos: []\n",
        [
            f"{F}:5:27: groups.promo.metadata.videosync: the key 'videosync' is reserved: "
            "videosync marks the groups it manages with it; rename the key"
        ],
    ),
    (
        "group-metadata-a-list",
        "version: 1\ngroups:\n  promo:\n    name: Promo\n    metadata: [a, b]\nvideos: []\n",
        [f"{F}:5:15: groups.promo.metadata: expected a mapping, got a list"],
    ),
    (
        "group-names-clash",
        "version: 1\ngroups:\n  a: {name: Clips}\n  b: {name: Clips}\nvideos: []\n",
        [
            f"{F}:4:13: groups.b.name: 'Clips' is also the name of groups.a (line 3); "
            "managed groups need distinct names"
        ],
    ),
    (
        "defaults-unknown-key",
        "version: 1\ndefaults:\n  indx: true\nvideos: []\n",
        [f"{F}:3:3: defaults.indx: unknown key 'indx' (did you mean 'index'?)"],
    ),
    (
        "defaults-unknown-group",
        "version: 1\ndefaults:\n  group: marketing\nvideos: []\n",
        [
            f"{F}:3:10: defaults.group: unknown group 'marketing': use 'default', a group "
            "UUID, or a name under groups:"
        ],
    ),
    # --- YAML itself -------------------------------------------------------------------
    (
        "duplicate-key-in-entry",
        V + "  - path: media/intro.mp4\n    name: A\n    name: B\n",
        [f"{F}:5:5: duplicate key 'name' (first at line 4); remove one"],
    ),
    (
        "duplicate-top-level-key",
        "version: 1\nvideos: []\nversion: 1\n",
        [f"{F}:3:1: duplicate key 'version' (first at line 1); remove one"],
    ),
    (
        "syntax-error",
        V + "  - path: media/intro.mp4\n   name: Intro\n",
        [
            f"{F}:4:4: invalid YAML: did not find expected '-' indicator (while parsing a "
            "block collection at 3:3)"
        ],
    ),
    (
        "tab-indent",
        V + "  - path: media/intro.mp4\n\tname: Intro\n",
        [
            f"{F}:4:1: invalid YAML: found a tab character that violates indentation "
            "(while scanning a plain scalar at 3:11)"
        ],
    ),
    (
        "merge-of-a-scalar",
        "version: 1\nvideos: []\n<<: [1]\n",
        [f"{F}:3:6: invalid merge: expected a mapping for merging, but found scalar"],
    ),
    (
        "not-a-number-entry",
        V + "  - .nan\n",
        [f"{F}:3:5: videos[0]: expected a mapping, got nan"],
    ),
    (
        "binary-tag",
        V + "  - path: !!binary bWVkaWEvaW50cm8ubXA0\n",
        [f"{F}:3:11: unsupported YAML tag '!!binary'; write a plain value"],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for _, t, e in CASES], ids=[c[0] for c in CASES]
)
def test_bad_manifest_reports_every_error_at_its_place(
    write_manifest: WriteManifest,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    expected: list[str],
) -> None:
    path = write_manifest(text)
    monkeypatch.chdir(path.parent)
    with pytest.raises(ManifestInvalid) as caught:
        load_manifest(Path(F))
    assert [str(error) for error in caught.value.errors] == expected
    assert caught.value.exit_code == 3


def test_errors_come_sorted_by_line_and_all_at_once(
    write_manifest: WriteManifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_manifest(
        "version: 1\n"
        "videos:\n"
        "  - path: media/missing.mp4\n"  # 3
        "  - url: ftp://x/y.mp4\n"  # 4
        "  - path: media/intro.mp4\n"  # 5
        "    group: nowhere\n"  # 6
        "    start: soon\n"  # 7
        "defaults:\n"
        "  thumbnails: 1\n"  # 9
    )
    monkeypatch.chdir(path.parent)
    with pytest.raises(ManifestInvalid) as caught:
        load_manifest(Path(F))
    lines = str(caught.value).splitlines()
    assert [line.split(":")[1] for line in lines] == ["3", "4", "6", "7", "9"]
    assert lines[0] == f"{F}:3:11: videos[0].path: no such file 'media/missing.mp4'"


def test_symlink_leading_outside_is_refused(
    catalog: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.mp4"
    outside.write_bytes(b"x")
    (catalog / "media" / "link.mp4").symlink_to(outside)
    (catalog / F).write_text(V + "  - path: media/link.mp4\n", encoding="utf-8")
    monkeypatch.chdir(catalog)
    with pytest.raises(ManifestInvalid) as caught:
        load_manifest(Path(F))
    assert str(caught.value) == (
        f"{F}:3:11: videos[0].path: 'media/link.mp4' leads outside the manifest's folder "
        f"(to '{outside.resolve()}')"
    )


def test_folder_symlink_leading_outside_is_refused_for_globs_too(
    catalog: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path_factory.mktemp("elsewhere")
    (outside / "x.mp4").write_bytes(b"x")
    (catalog / "linked").symlink_to(outside, target_is_directory=True)
    (catalog / F).write_text(V + "  - glob: linked/*.mp4\n", encoding="utf-8")
    monkeypatch.chdir(catalog)
    with pytest.raises(ManifestInvalid) as caught:
        load_manifest(Path(F))
    assert str(caught.value) == (
        f"{F}:3:11: videos[0].glob: 'linked/x.mp4' leads outside the manifest's folder "
        f"(to '{(outside / 'x.mp4').resolve()}')"
    )


def test_a_fifo_is_not_a_regular_file(catalog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    os.mkfifo(catalog / "media" / "pipe.mp4")
    (catalog / F).write_text(V + "  - path: media/pipe.mp4\n", encoding="utf-8")
    monkeypatch.chdir(catalog)
    with pytest.raises(ManifestInvalid) as caught:
        load_manifest(Path(F))
    assert str(caught.value) == f"{F}:3:11: videos[0].path: 'media/pipe.mp4' is not a regular file"
