"""The plan as people read it: text (with and without colour) and Markdown."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.plan.states import H2, entry, lock, plan_of, remote, video
from videosync.planning.plan import Summary
from videosync.planning.render import render, render_markdown, render_text, summary_line

A = video("a.mp4")


def test_empty_plan_says_no_changes() -> None:
    assert render_text(plan_of()) == "No changes. The catalog matches the manifest.\n"


def test_summary_line_counts_and_bytes() -> None:
    assert summary_line(Summary(create=3, replace=1, adopt=1, upload_bytes=412_300_000)) == (
        "Plan: 3 to create, 1 to replace, 0 to delete, 1 to adopt (412.3 MB to upload)."
    )


def test_text_plan_shows_symbol_reason_and_old_to_new() -> None:
    plan = plan_of(
        [A, video("b.mp4")], lock(entry(A, "v1234567890", digest=H2)), [remote("v1234567890")]
    )
    assert render_text(plan) == (
        "videosync will perform these actions:\n"
        "\n"
        "  -/+ replace a.mp4  (video v1234567…, 1.0 kB)\n"
        "      # file content changed (sha256 9f8e7d6c… → 1a2b3c4d…)\n"
        '      hash: "sha256:9f8e7d6c…" → "sha256:1a2b3c4d…"\n'
        "  + create b.mp4  (1.0 kB)\n"
        "      # new in the manifest\n"
        '      name:       "b"\n'
        '      group:      "default"\n'
        "      index:      true\n"
        "      thumbnails: false\n"
        "\n"
        "Plan: 1 to create, 1 to replace, 0 to delete, 0 to adopt (2.0 kB to upload).\n"
    )


def test_colour_only_when_asked() -> None:
    plan = plan_of([A])
    assert "\x1b[" not in render(plan, "text", color=False)
    coloured = render(plan, "text", color=True)
    assert "\x1b[32m+ create\x1b[0m a.mp4" in coloured


def test_blocked_and_unmanaged_are_shown() -> None:
    plan = plan_of([], lock(entry(A, "v1", protect=True)), [remote("v1"), remote("v2", "x.mp4")])
    text = render_text(plan)
    assert (
        "      ! blocked: protected (protect: true): not deleted without --allow-protected\n"
        in text
    )
    assert "1 remote video not managed by videosync left alone" in text
    assert text.endswith(
        "This plan cannot be applied:\n"
        "  - 1 protected entry would be replaced or deleted (a.mp4); "
        "rerun with --allow-protected to allow it\n"
    )


def test_markdown_escapes_pipes_in_cells() -> None:
    plan = plan_of([video("a|b.mp4", name="x|y")])
    md = render_markdown(plan)
    assert "| `a\\|b.mp4` |" in md
    assert md.startswith("### videosync plan\n\n**Plan: 1 to create,")


def test_a_create_shows_what_it_sends_in_text_and_markdown() -> None:
    start = datetime(2025, 4, 12, 19, 5, 45, tzinfo=timezone.utc)
    plan = plan_of([video("a.mp4", name="Intro", start=start, protect=True)])
    text = render_text(plan)
    assert (
        "  + create a.mp4  (1.0 kB)\n"
        "      # new in the manifest\n"
        '      name:       "Intro"\n'
        '      group:      "default"\n'
        '      start:      "2025-04-12T19:05:45Z"\n'
        "      index:      true\n"
        "      thumbnails: false\n"
        "      protect:    true\n"
    ) in text
    md = render(plan, "markdown")
    assert '- `a.mp4`\n  - `name:       "Intro"`\n  - `group:      "default"`\n' in md
