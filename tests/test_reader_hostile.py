"""Hostile comment text: shown inert in the list and the pane, never executed or leaked."""

from __future__ import annotations

import time

import pytest
from rich.segment import Segment

from store import import_file, open_database
from tests.reader_support import SIZE, database_with, panel_text, reader, screen_text
from tui.inert import inert
from tui.widgets.comment_body import TEXT_SHOWN
from tui.widgets.comment_list import CommentList
from tui.widgets.comment_panel import CommentPanel

HOSTILE = [
    "\x1b[31mRED\x1b[0m then \x1b]52;c;aGVsbG8=\x07 clipboard and \x1b[2J\x1b[H cleared",
    "[bold]not bold[/bold] [@click=app.quit]click me[/] [link=https://evil.example]x[/link]",
    "\u202eevil bidi override\u202c and zero\u200bwidth and \u2066isolate\u2069",
    "controls \x08\x7f\x9b\x0c\x0b here",
    "A" * 1_000_000,
]
FORBIDDEN = ["\x1b", "\x07", "\x08", "\x7f", "\x9b", "\u202e", "\u202c", "\u200b", "\u2066"]


pytestmark = pytest.mark.usefixtures("reader_home")


@pytest.fixture
def hostile_db(tmp_path):
    source = tmp_path / "hostile.txt"
    source.write_text("\n".join(HOSTILE) + "\n", encoding="utf-8")
    return database_with(tmp_path / "hostile.db", source)


def test_inert_replaces_every_dangerous_character():
    for text in HOSTILE[:4]:
        for block in (False, True):
            shown = inert(text, multiline=block)
            assert not any(ch in shown for ch in FORBIDDEN)
    assert inert("\x1b[31m") == "␛[31m"
    assert inert("\u202e") == "⟨RLO⟩"
    assert inert("a\nb") == "a␊b"
    assert inert("a\nb", multiline=True) == "a\nb"
    assert inert("lone \udc80 surrogate") == "lone \ufffd surrogate"


async def test_list_and_pane_show_hostile_text_inertly(hostile_db):
    app = reader(hostile_db)
    async with app.run_test(size=SIZE) as pilot:
        comments = app.screen.query_one(CommentList)
        for index in range(4):
            comments.cursor = index
            await pilot.pause()
            shown = screen_text(app)
            assert not any(ch in shown for ch in FORBIDDEN), repr(shown)
            panel = app.screen.query_one(CommentPanel)
            for part in ("header", "text", "facts"):
                content = panel.part(part).plain
                assert not any(ch in content for ch in FORBIDDEN), repr(content)
        await pilot.press("g", "j")
        assert panel.part("text").plain == HOSTILE[1]  # markup shown as the characters it is
        assert "[bold]not bold[/bold]" in panel_text(app)
        assert app.is_running  # the [@click=app.quit] markup was text, not an action
        await pilot.press("g")
        assert "␛[31mRED␛[0m" in panel_text(app)
        await pilot.press("j", "j")
        assert "⟨RLO⟩evil bidi" in screen_text(app)


async def test_every_segment_drawn_in_the_list_is_free_of_controls(hostile_db):
    app = reader(hostile_db)
    async with app.run_test(size=SIZE):
        comments = app.screen.query_one(CommentList)
        for y in range(comments.row_count):
            segments: list[Segment] = list(comments.render_line(y))
            assert all(not any(ch in seg.text for ch in FORBIDDEN) for seg in segments)


async def test_a_megabyte_comment_does_not_freeze_the_reader(hostile_db):
    app = reader(hostile_db)
    async with app.run_test(size=SIZE) as pilot:
        started = time.perf_counter()
        await pilot.press("G")
        elapsed = time.perf_counter() - started
        panel_body = app.screen.query_one(CommentPanel).part("text").plain
        assert panel_body.startswith("A" * 100)
        assert f"{1_000_000 - TEXT_SHOWN:,} more characters" in panel_body
        assert elapsed < 5  # generous: a frozen UI takes far longer


async def test_header_shows_a_hostile_title_and_annotator_inertly(tmp_path):
    source = tmp_path / "thread.txt"
    source.write_text("first comment of the thread\nsecond comment of it\n", encoding="utf-8")
    db_path = tmp_path / "titled.db"
    db = open_database(db_path)
    import_file(db, source, title="[bold]Title[/bold] \x1b]52;c;aGk=\x07 \u202eevil")
    db.close()
    app = reader(db_path, annotator="[@click=app.quit]\x1b[2Jme")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
        assert not any(ch in header for ch in FORBIDDEN), repr(header)
        assert header.startswith(" [bold]Title[/bold] ␛]52;c;aG…")  # cut to fit, inert
        assert header.rstrip().endswith("0/2 tagged  [@click=app.quit]␛[2Jme")
        await pilot.press("1")
        assert "━━━━━━╺━━━━━ 1/2 tagged" in screen_text(app).splitlines()[0]
