"""The annotation pane as one Line-API view: its links' cursor, and a move drawn in one frame."""

from __future__ import annotations

import pytest
from textual.app import App

from tests.reader_support import SIZE, panel_text, reader, seeded_database
from tui.widgets.comment_list import CommentList
from tui.widgets.comment_panel import CommentPanel

pytestmark = pytest.mark.usefixtures("reader_home")


@pytest.fixture
def db_path(tmp_path):
    return seeded_database(tmp_path / "seed.db")


def pane(app) -> CommentPanel:
    return app.screen.query_one(CommentPanel)


def selected(app) -> int:
    return app.screen.query_one(CommentList).selected.id


async def test_the_links_have_a_cursor_of_their_own(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "r", "#", "1", "enter")  # #2 rebuts #1, and #2 is #1's ...
        await pilot.press("r", "#", "3", "enter")  # ... and rebuts #3: two rows to choose from
        await pilot.press("tab", "tab")
        assert pane(app).in_links and [jump.other.number for jump in pane(app).jumps][:2] == [1, 3]
        assert "rebuts #1" in panel_text(app)  # the cursor's row, brought into view
        await pilot.press("j")
        assert "rebuts #3" in panel_text(app)  # the cursor went on, and the pane with it
        await pilot.press("enter")
        assert selected(app) == 3
        assert isinstance(app.focused, CommentList) and not pane(app).in_links


async def test_j_scrolls_the_pane_until_tab_puts_it_on_the_links(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "r", "#", "1", "enter", "tab", "j")
        assert pane(app).scroll_offset.y == 1
        await pilot.press("tab", "k", "enter")  # k on the first link stays there
        assert selected(app) == 1


@pytest.mark.parametrize(
    ("before", "move", "seq"),
    [
        ("j", "j", 3),  # #2, then #3: both longer than the pane, so its scrollbar stays
        ("G", "g", 1),  # #11 fits the pane, #1 does not: the scrollbar comes
        ("g", "G", 11),  # and goes
    ],
)
async def test_a_move_is_one_frame(db_path, monkeypatch, before, move, seq):
    """The pane redraws its lines in the frame the list moves in: nothing is laid out again
    after it, even when its scrollbar comes or goes (the pane draws it in its lines)."""
    frames = []
    display = App._display

    def count(self, screen, renderable) -> None:
        if renderable is not None:
            frames.append(renderable)
        display(self, screen, renderable)

    monkeypatch.setattr(App, "_display", count)
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(before)
        await pilot.pause()
        frames.clear()
        await pilot.press(move)
        await pilot.pause()
        assert pane(app).detail.seq == seq
        assert len(frames) == 1
