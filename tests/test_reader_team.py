"""Several annotators on one database: changes saved off the UI thread and in order, other
processes' changes taken in within a second without moving the cursor, and the other
annotators' tags hidden (blind coding) until ``o`` shows them, apart and with their names."""

from __future__ import annotations

import pytest

from store import open_database, toggle_tag
from store.segments import comment_sentences
from tests.reader_support import (
    SIZE,
    reader,
    rows,
    screen_text,
    seeded_database,
    status_text,
    wait_until,
)
from tui.widgets.comment_list import CommentList
from tui.widgets.comment_panel import CommentPanel

pytestmark = pytest.mark.usefixtures("reader_home")
CLAIM, EVIDENCE = 1, 2


@pytest.fixture
def db_path(tmp_path):
    return seeded_database(tmp_path / "seed.db")


def mine(db_path, annotator="alice"):
    return rows(
        db_path,
        "SELECT cluster_id, tag_id FROM annotations WHERE annotator = ? ORDER BY 1, 2",
        (annotator,),
    )


def as_colleague(db_path, *changes):
    """Another process's connection making changes, as a colleague's reader or a script."""
    db = open_database(db_path)
    try:
        for change in changes:
            change(db)
    finally:
        db.close()


def pane_facts(app) -> str:
    """The pane's tags, segments and note, scrolled into view or not."""
    return str(app.screen.query_one(CommentPanel).part("facts"))


def pane_tags(app) -> list[str]:
    return [tag.name for tag in app.screen.query_one(CommentPanel).detail.tags]


def list_row_text(app, row: int) -> str:
    return "".join(s.text for s in app.screen.query_one(CommentList).render_line(row))


async def test_a_burst_of_keys_is_saved_in_the_order_typed(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "1", "1", "2", wait_for_saves=False)  # on, off, on; and evidence
        await wait_until(pilot, lambda: not app.writer.pending)
        assert mine(db_path) == [(1, CLAIM), (1, EVIDENCE)]
        events = rows(db_path, "SELECT action FROM events WHERE annotator = 'alice' ORDER BY id")
        assert events == [("tag",), ("untag",), ("tag",), ("tag",)]


async def test_quitting_saves_what_was_typed_before_q(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "j", "2", "q", wait_for_saves=False)
    assert mine(db_path) == [(1, CLAIM), (2, EVIDENCE)]


async def test_a_colleagues_change_shows_within_a_second_and_the_cursor_stays(db_path):
    app = reader(db_path, blind=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j")  # on #3
        assert "claim" not in pane_facts(app)
        as_colleague(db_path, lambda db: toggle_tag(db, 3, CLAIM, "bob"))
        await wait_until(pilot, lambda: "claim (bob)" in pane_facts(app), timeout=2)
        assert app.screen.query_one(CommentList).selected.id == 3
        assert "◦1" in list_row_text(app, 2)  # bob's chip on #3's row, after the marker


async def test_a_script_run_by_the_same_annotator_shows_as_their_own(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        as_colleague(db_path, lambda db: toggle_tag(db, 1, EVIDENCE, "alice"))
        await wait_until(pilot, lambda: pane_tags(app) == ["evidence"], timeout=2)
        assert "1/10 tagged" in screen_text(app)  # the header's progress follows too


async def test_blind_coding_hides_the_others_tags_until_o_shows_them_apart(db_path):
    sentence = None

    def bob_codes(db):
        nonlocal sentence
        sentence = comment_sentences(db, 1)[1]
        toggle_tag(db, 1, CLAIM, "bob")
        toggle_tag(db, 1, EVIDENCE, "carol")
        toggle_tag(db, 1, EVIDENCE, "bob", sentence)

    as_colleague(db_path, bob_codes)
    app = reader(db_path)  # blind by default
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "bob" not in pane_facts(app) and "◦" not in list_row_text(app, 0)
        await pilot.press("1")  # alice codes it herself, unaware of bob's tag
        assert mine(db_path) == [(1, CLAIM)]
        await pilot.press("o")
        shown = pane_facts(app)
        assert "Others' tags" in shown
        assert "claim (bob)" in shown and "evidence (carol)" in shown
        assert "#1.2 evidence (bob)" in shown  # on a sentence, named as the reader names it
        assert "◦12" in list_row_text(app, 0)
        assert "everyone's tags" in status_text(app)
        await pilot.press("o")
        assert "bob" not in pane_facts(app) and "◦" not in list_row_text(app, 0)


async def test_the_reader_flag_no_blind_starts_with_everyones_tags(db_path):
    as_colleague(db_path, lambda db: toggle_tag(db, 1, CLAIM, "bob"))
    app = reader(db_path, blind=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "claim (bob)" in pane_facts(app)
