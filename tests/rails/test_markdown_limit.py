"""`--format markdown` fits a pull-request comment: never over 65,000 characters."""

from __future__ import annotations

from videosync.model import Source, VideoSpec
from videosync.planning.plan import Action, Plan
from videosync.planning.render import MARKDOWN_LIMIT, render_markdown

SPEC = VideoSpec("clip", "default", "default", None, True, False, Source(path="x.mp4"))


def deletes(n: int) -> list[Action]:
    return [
        Action(
            resource="video",
            kind="delete",
            key=f"media/old/clip-{i:05d}.mp4",
            cause="removed",
            reason="removed from the manifest",
            video_id=f"{i:08d}-dead-beef-0000-000000000000",
        )
        for i in range(n)
    ]


def creates(n: int) -> list[Action]:
    return [
        Action(
            resource="video",
            kind="create",
            key=f"media/new/clip-{i:05d}.mp4",
            cause="new",
            reason="new in the manifest",
            spec=SPEC,
            size=1_000_000,
        )
        for i in range(n)
    ]


def test_a_small_plan_is_rendered_whole() -> None:
    md = render_markdown(Plan(actions=tuple(creates(3) + deletes(2))))
    assert "> [!NOTE]" not in md
    assert md.count("`+` create") == 3 and md.count("`-` delete") == 2


def test_past_the_limit_deletes_stay_and_the_rest_is_counted() -> None:
    plan = Plan(
        actions=tuple(creates(3000) + deletes(200)),
        problems=("this plan deletes 200 of the 400 managed videos (50%), more than …",),
    )
    md = render_markdown(plan)
    assert len(md) <= MARKDOWN_LIMIT
    assert md.startswith("### videosync plan\n\n**Plan: 3000 to create, 0 to replace, 200 to")
    assert "| videos | 3000 | 0 | 0 | 200 | 0 | 0 | 0 |" in md  # the summary table
    for action in deletes(200):
        assert f"| `{action.key}` |" in md
    assert "`+` create" not in md
    assert (
        "> [!NOTE]\n"
        "> This plan is too long for a pull-request comment: it is cut to 65,000 characters.\n"
        "> Every delete and replace is listed below.\n"
        "> Not listed, only counted: 3000 create.\n"
        "> Run `videosync plan` (or `--json`) to see every action.\n"
    ) in md
    assert md.endswith(
        "> [!CAUTION]\n> This plan cannot be applied:\n"
        "> - this plan deletes 200 of the 400 managed videos (50%), more than …\n"
    )


def test_when_even_the_deletes_do_not_fit_they_are_cut_too_and_counted() -> None:
    md = render_markdown(Plan(actions=tuple(deletes(5000) + creates(10))))
    assert len(md) <= MARKDOWN_LIMIT
    shown = md.count("`-` delete")
    assert 500 < shown < 5000
    assert (
        f"> Only {shown} of the 5000 deletes and replaces are listed below; "
        f"{5000 - shown} are not.\n"
    ) in md
    assert "> Not listed, only counted: 10 create.\n" in md


def test_the_limit_holds_at_every_size_around_it() -> None:
    full = render_markdown(Plan(actions=tuple(creates(40) + deletes(40))))
    assert render_markdown(Plan(actions=tuple(creates(40) + deletes(40))), limit=len(full)) == full
    for limit in (len(full) - 1, len(full) - 500, 3000, 1500, 700):
        md = render_markdown(Plan(actions=tuple(creates(40) + deletes(40))), limit=limit)
        assert len(md) <= limit, limit
        assert "too long for a pull-request comment" in md or "Cut at the comment limit" in md


def test_a_generated_plan_just_over_the_limit_keeps_every_delete() -> None:
    n = 100
    while "too long" not in render_markdown(Plan(actions=tuple(creates(n) + deletes(1)))):
        n += 25
    below = render_markdown(Plan(actions=tuple(creates(n - 25) + deletes(1))))
    assert "too long" not in below and len(below) <= MARKDOWN_LIMIT
    md = render_markdown(Plan(actions=tuple(creates(n) + deletes(1))))
    assert len(md) <= MARKDOWN_LIMIT
    assert "| `media/old/clip-00000.mp4` |" in md
    assert f"> Not listed, only counted: {n} create.\n" in md
