"""A filter's first screen of matches shows before the rest are found, and the end is the same.

The reader's background counting is held on an Event the test controls, so what shows before
the count is known can be looked at, then the count let through.
"""

from __future__ import annotations

import threading

import pytest

from store import annotate, queries
from store.database import open_database
from store.queries import RowFilter, filtered_ids, first_matches
from tests.reader_support import (
    SIZE,
    reader,
    screen_text,
    seeded_database,
    settle,
    status_text,
    wait_until,
)
from tui.screens import reader as reader_screen
from tui.screens.filter import FilterPicker
from tui.widgets.comment_list import CommentList

pytestmark = pytest.mark.usefixtures("reader_home")

FILTERS = [
    RowFilter(search="spongebob"),
    RowFilter(search="the"),
    RowFilter(search="nothing-matches-this"),
    RowFilter(untagged=True),
    RowFilter(untagged=True, hide_tombstones=True),
    RowFilter(tag_id=1),
    RowFilter(has_links=True),
    RowFilter(has_note=True),
    RowFilter(hide_tombstones=True),
    RowFilter(search="the", untagged=True, hide_tombstones=True),
    RowFilter(search="spongebob", tag_id=1),
]


@pytest.fixture
def db_path(tmp_path):
    path = seeded_database(tmp_path / "seed.db")
    db = open_database(path)
    for cluster_id in (1, 4, 7):
        annotate.toggle_tag(db, cluster_id, 1, "alice")
    annotate.add_link(db, 2, 5, "rebuts", "alice")
    annotate.set_note(db, 9, "alice", "why?")
    db.close()
    return path


@pytest.mark.parametrize("row_filter", FILTERS, ids=str)
def test_first_matches_are_the_start_of_all_matches(db_path, row_filter, monkeypatch):
    """From the top, or from a kept comment that passes, in ranges small enough to need many."""
    monkeypatch.setattr(queries, "FIRST_RANGE", 2)
    monkeypatch.setattr(queries, "RANGE_GROWTH", 2)
    db = open_database(db_path)
    everything = list(filtered_ids(db, 1, "alice", row_filter))
    all_ids = [row[0] for row in db.execute("SELECT id FROM clusters ORDER BY seq")]
    for limit in (1, 2, 3, 20):
        for keep in (None, *all_ids):
            found = first_matches(db, 1, "alice", row_filter, limit, keep)
            start = everything.index(keep) if keep in everything else 0
            assert list(found.ids) == everything[start : start + limit], (limit, keep)
            # complete: known to be all, having started at the thread's first comment
            from_top = keep not in everything or keep == all_ids[0]
            assert found.complete == (from_top and len(everything) < limit)
    db.close()


class HeldCount:
    """``filtered_ids`` for the reader that waits until the test lets it go."""

    def __init__(self, monkeypatch) -> None:
        self.go = threading.Event()
        self.calls = 0
        monkeypatch.setattr(reader_screen, "filtered_ids", self._held)

    def _held(self, *args):
        self.calls += 1
        assert self.go.wait(10)
        return filtered_ids(*args)


def shown_ids(comments: CommentList) -> list[int]:
    return [comments.row(i).id for i in range(comments.row_count)]


async def test_the_first_page_shows_before_the_count_and_the_end_is_all_matches(
    db_path, monkeypatch
):
    monkeypatch.setattr(reader_screen, "FIRST_MATCHES", 2)
    held = HeldCount(monkeypatch)
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        comments = app.screen.query_one(CommentList)
        await pilot.press("/", *"spongebob", "enter")
        await wait_until(pilot, lambda: comments.view.filter.search == "spongebob")
        assert shown_ids(comments) == [1, 7]
        assert "counting…" in status_text(app)
        await pilot.press("j", "j", "j")  # past the first page: the cursor stays on its last
        assert comments.selected.id == 7
        line = comments.cursor - comments.scroll_offset.y
        held.go.set()
        await settle(app, pilot)
        assert shown_ids(comments) == [1, 7, 11]
        assert comments.selected.id == 7  # no jump: the same comment, on the same line
        assert comments.cursor - comments.scroll_offset.y == line
        assert "3 shown · search “spongebob”" in status_text(app)
        assert "counting" not in screen_text(app)


async def test_G_before_the_count_goes_to_the_last_match_once_known(db_path, monkeypatch):
    monkeypatch.setattr(reader_screen, "FIRST_MATCHES", 2)
    held = HeldCount(monkeypatch)
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        comments = app.screen.query_one(CommentList)
        await pilot.press("f", *"untagged", "enter")
        await wait_until(pilot, lambda: comments.view.filter.untagged)
        assert not comments.view.complete
        await pilot.press("G")
        held.go.set()
        await settle(app, pilot)
        everything = list(filtered_ids(app.db, 1, "alice", RowFilter(untagged=True)))
        assert shown_ids(comments) == everything
        assert comments.selected.id == everything[-1]


async def test_the_selected_comment_stays_selected_when_it_passes(db_path, monkeypatch):
    """The first page starts at the kept comment; the rest, once found, surround it."""
    monkeypatch.setattr(reader_screen, "FIRST_MATCHES", 2)
    held = HeldCount(monkeypatch)
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        comments = app.screen.query_one(CommentList)
        await pilot.press(*"jjjjj")
        kept = comments.selected.id
        await pilot.press("f", *"untagged", "enter")
        await wait_until(pilot, lambda: comments.view.filter.untagged)
        assert comments.selected.id == kept
        held.go.set()
        await settle(app, pilot)
        everything = list(filtered_ids(app.db, 1, "alice", RowFilter(untagged=True)))
        assert shown_ids(comments) == everything
        assert comments.selected.id == kept


async def test_few_matches_need_no_count(db_path, monkeypatch):
    held = HeldCount(monkeypatch)
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("/", *"spongebob", "enter")
        await settle(app, pilot)
        assert shown_ids(app.screen.query_one(CommentList)) == [1, 7, 11]
        assert held.calls == 0  # the first matches were all of them


async def test_the_filter_menu_opens_before_its_counts(db_path, monkeypatch):
    go = threading.Event()
    counts = reader_screen.filter_counts

    def held_counts(*args, **kwargs):
        assert go.wait(10)
        return counts(*args, **kwargs)

    monkeypatch.setattr(reader_screen, "filter_counts", held_counts)
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f", *"un")
        assert isinstance(app.screen, FilterPicker)
        assert "…  untagged" in screen_text(app)
        go.set()
        await wait_until(pilot, lambda: "7  untagged" in screen_text(app))
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.query_one(CommentList).row_count == 7


async def test_counts_that_come_after_the_menu_closed_are_dropped(db_path, monkeypatch):
    go = threading.Event()
    counts = reader_screen.filter_counts
    monkeypatch.setattr(
        reader_screen, "filter_counts", lambda *a, **k: go.wait(10) and counts(*a, **k)
    )
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f", "escape")
        assert not isinstance(app.screen, FilterPicker)
        go.set()
        await settle(app, pilot)
        assert app.screen is app.reader  # nothing was shown, nothing broke
