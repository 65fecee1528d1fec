"""What a researcher's first hour with the reader found: numbers, depth, deleted comments,
messages that cover nothing, the jump list, filters with counts, and no key ever crashing it."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual import events
from textual.command import CommandPalette

from tests.reader_support import (
    SIZE,
    database_with,
    palette_prompts,
    panel_text,
    reader,
    rows,
    run_in_terminal,
    screen_text,
    seeded_database,
    settle,
    status_text,
    wait_until,
)
from tui.screens.export import ExportDialog
from tui.screens.filter import FilterPicker
from tui.screens.help import HelpScreen
from tui.widgets.comment_list import CommentList
from tui.widgets.comment_panel import CommentPanel

pytestmark = pytest.mark.usefixtures("reader_home")


@pytest.fixture
def db_path(tmp_path):
    return seeded_database(tmp_path / "seed.db")


def selected_number(app) -> int:
    return app.screen.query_one(CommentList).selected.seq


def jsonl(path, records: list[dict]):
    path.write_text("".join(json.dumps(record) + "\n" for record in records), "utf-8")
    return path


# --- numbers are per thread --------------------------------------------------------------------


async def test_a_second_thread_is_numbered_from_one(db_path, tmp_path):
    second = tmp_path / "second.txt"
    second.write_text("First words of the second thread.\nIts second comment.\n", "utf-8")
    database_with(db_path, second)  # thread 2 opens: it is the newest
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        lines = screen_text(app).splitlines()
        assert lines[1].startswith(" #1 First words of the second thread.")
        assert lines[2].startswith(" #2 Its second comment.")
        assert panel_text(app).lstrip().startswith("#1")
        await pilot.press("j", "r", "#", "1", "enter")  # #1 is this thread's, not thread 1's
        assert rows(db_path, "SELECT source_cluster, target_cluster FROM links") == [(13, 12)]
        assert "Linked: #2 rebuts #1" in status_text(app)
        await pilot.press("ctrl+p", *"#2")
        await wait_until(pilot, lambda: any("#2" in p for p in palette_prompts(app)))
        await pilot.press("enter")
        await pilot.pause()
        assert selected_number(app) == 2


# --- reply depth ------------------------------------------------------------------------------


async def test_replies_deeper_than_the_indent_show_their_depth(tmp_path):
    chain = [
        {"id": f"c{n}", "parent": f"c{n - 1}" if n else None, "text": f"Reply at depth {n}"}
        for n in range(10)
    ]
    app = reader(database_with(tmp_path / "deep.db", jsonl(tmp_path / "deep.jsonl", chain)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lines = screen_text(app).splitlines()
        indent = " " * 6  # three levels fit a 40-column pane
        assert lines[4].startswith(f" {indent}#4 Reply at depth 3")
        assert lines[5].startswith(f" {indent}↳4 #5 Reply at depth 4")
        assert lines[10].startswith(f" {indent}↳9 #10 Reply at depth 9")


# --- deleted comments -------------------------------------------------------------------------


async def test_a_deleted_comment_cannot_be_tagged_but_can_be_linked(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"jjjjjjjjj")  # #10: "deleted by creator"
        assert selected_number(app) == 10
        await pilot.press("1")
        assert rows(db_path, "SELECT count(*) FROM annotations") == [(0,)]
        assert "deleted comment has no text to tag" in status_text(app)
        await pilot.press("j", "r", "#", "1", "0", "enter")
        assert rows(db_path, "SELECT source_cluster, target_cluster FROM links") == [(11, 10)]


# --- the status line --------------------------------------------------------------------------


async def test_the_three_counts_are_explained_and_messages_cover_no_pane(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert status_text(app).strip() == (
            "11 rows: 10 comments + 1 deleted · 20 occurrences in the source"
        )
        assert "0/10 tagged" in screen_text(app).splitlines()[0]
        panes = screen_text(app).splitlines()[1:-2]
        await pilot.press("1")
        assert "Tagged #1 claim" in status_text(app)
        assert not app._notifications  # no toast over the panes
        assert screen_text(app).splitlines()[2:-2] == panes[1:]  # only the tagged row changed


async def test_a_filtered_view_says_what_it_shows_in_full(db_path, monkeypatch):
    monkeypatch.setattr("tui.widgets.status_line.MESSAGE_SECONDS", 0.1)
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "slash", *"copies", "enter")
        await settle(app, pilot)
        await wait_until(pilot, lambda: "shown" in status_text(app))  # "Tagged #1" has gone
        line = status_text(app)
        assert "3 shown · search “copies” · esc clears" in line
        assert line.rstrip().endswith("20 occurrences")


# --- the jump list ----------------------------------------------------------------------------


async def test_ctrl_o_goes_back_after_following_a_link_and_ctrl_n_forward(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"jjjj", "r", "#", "4", "enter")  # #5 rebuts #4
        await pilot.press("tab", "tab", "enter")  # follow the link
        assert selected_number(app) == 4
        await pilot.press("ctrl+o")
        assert selected_number(app) == 5
        await pilot.press("ctrl+n")
        assert selected_number(app) == 4
        await pilot.press("backspace")
        assert selected_number(app) == 5
        await pilot.press("backspace")
        assert selected_number(app) == 5
        assert "Nothing to go back to" in status_text(app)


# --- keys -------------------------------------------------------------------------------------


async def test_p_links_a_rephrasing(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "p", "#", "1", "enter")
        assert rows(db_path, "SELECT source_cluster, target_cluster, kind FROM links") == [
            (2, 1, "rephrases")
        ]
        await pilot.press("question_mark")
        shown = screen_text(app)
        for _ in range(4):
            await pilot.press("pagedown")
            shown += screen_text(app)
        assert "link_rephrases" in shown


async def test_a_tag_another_annotator_created_is_offered_without_a_restart(db_path):
    from store import create_tag, open_database

    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        other = open_database(db_path)
        create_tag(other, "analogy", "bob")
        other.close()
        await pilot.press("t", *"analogy")
        await pilot.pause()
        assert "+ create tag" not in screen_text(app)
        await pilot.press("enter")
        assert rows(db_path, "SELECT count(*) FROM tags WHERE name = 'analogy'") == [(1,)]
        assert rows(
            db_path,
            "SELECT a.annotator FROM annotations a JOIN tags t ON t.id = a.tag_id "
            "WHERE t.name = 'analogy'",
        ) == [("alice",)]


# --- filters ----------------------------------------------------------------------------------


async def test_the_filter_menu_counts_each_choice_and_filters_by_note(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "j", "1", "2", "e", *"why?", "escape")
        await pilot.press("f")
        assert isinstance(app.screen, FilterPicker)
        lines = ("11  everything", "8  untagged", "1  has a note", "2  tag claim")
        await wait_until(pilot, lambda: all(line in screen_text(app) for line in lines))
        await pilot.press(*"note", "enter")
        await settle(app, pilot)
        assert app.screen.query_one(CommentList).row_count == 1
        assert selected_number(app) == 2


# --- search -----------------------------------------------------------------------------------


def test_search_marks_words_as_full_text_search_finds_them():
    from tui.widgets.comment_body import search_matches

    text = "Naïve_reader: the NAIVE view of naïveté, not renaive."
    found = [text[m.start() : m.end()] for m in search_matches("naive", text)]
    assert found == ["Naïve", "NAIVE", "naïveté"]
    assert [m.span() for m in search_matches("READ", text)] == [(6, 12)]
    assert list(search_matches("  ,; ", text)) == []


async def test_search_matches_are_marked_in_the_pane(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"cop", "enter")
        await settle(app, pilot)
        body = app.screen.query_one(CommentPanel).part("text")
        marked = {body.plain[span.start : span.end] for span in body.spans}
        assert marked == {"copyright", "copies", "copy"}
        assert len(body.spans) == 7  # every occurrence: 2 + 4 + 1


# --- the same words from different people -------------------------------------------------------


async def test_the_pane_relates_the_same_words_said_by_others(tmp_path):
    thanks = [
        {"id": f"t{n}", "author": name, "text": "Thank you sir, this was really helpful"}
        for n, name in enumerate(["ann", "bob", "carol", "ann"])
    ]
    app = reader(database_with(tmp_path / "t.db", jsonl(tmp_path / "t.jsonl", thanks)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.query_one(CommentList).row_count == 3  # ann's repeat folds
        shown = " ".join(panel_text(app).split())
        assert "Same words, by others: #2 bob, #3 carol" in shown


# --- help and the palette ---------------------------------------------------------------------


async def test_help_has_a_title_lists_each_key_once_and_scrolls_to_the_end(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = screen_text(app)
        assert "threadmark keys" in shown and "esc or ? closes" in shown
        for _ in range(3):
            await pilot.press("pagedown")
            shown += screen_text(app)
        pane_rows = [line for line in shown.splitlines() if "panel_down" in line]
        assert len(set(pane_rows)) == 1 and "jump_down" in pane_rows[0]
        await pilot.press("G")
        await pilot.pause()
        assert "Config folder" in screen_text(app)


async def test_the_palette_offers_threadmarks_commands_and_themes_first(db_path):
    app = reader(db_path)
    async with app.run_test(size=(80, 60)) as pilot:
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await wait_until(pilot, lambda: len(palette_prompts(app)) > 20)
        prompts = palette_prompts(app)
        assert prompts[0].startswith("Show everything")
        themes = [p.split("\n")[0] for p in prompts if p.startswith("Theme: ")]
        assert themes[:4] == [
            "Theme: threadmark-ansi",
            "Theme: threadmark-dark",
            "Theme: threadmark-high-contrast",
            "Theme: threadmark-light",
        ]
        assert not {"Keys", "Maximize", "Screenshot"} & {p.split("\n")[0] for p in prompts}


# --- the export dialog ------------------------------------------------------------------------


async def test_a_failed_export_leaves_the_dialog_editable_with_the_reason(db_path, tmp_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        dialog = app.screen
        name = dialog.query_one("#export-path")
        name.value = str(tmp_path / "no-such-dir" / "out.csv")
        await pilot.press("tab", "enter")
        await settle(app, pilot)
        assert app.screen is dialog
        assert "Export failed" in str(dialog.query_one("#export-hint").render())
        assert not name.disabled
        name.value = str(tmp_path / "out.csv")
        await pilot.press("enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, ExportDialog)
        assert (tmp_path / "out.csv").stat().st_size > 0
        assert "Wrote" in status_text(app)


async def test_the_export_dialog_shows_the_full_path_and_asks_before_replacing(db_path, tmp_path):
    target = tmp_path / "kept.csv"
    target.write_text("precious", "utf-8")
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        dialog = app.screen
        dialog.query_one("#export-path").value = str(target)
        await pilot.pause()
        assert str(target) in str(dialog.query_one("#export-target").render())
        await pilot.press("tab", "enter")
        await settle(app, pilot)
        assert app.screen is dialog and target.read_text("utf-8") == "precious"
        assert "exists" in str(dialog.query_one("#export-hint").render())
        await pilot.press("enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, ExportDialog)
        assert target.read_text("utf-8").startswith("id,")


# --- no key sequence crashes the reader ---------------------------------------------------------

BURST_KEYS = [
    *"jkgGnN123456789trsupmezZdxfq",
    "slash",
    "question_mark",
    "escape",
    "enter",
    "tab",
    "backspace",
    "delete",
    "ctrl+o",
    "ctrl+n",
    "ctrl+p",
    "pagedown",
    "down",
    "up",
    "space",
]


async def _burst(db_path, bursts: list[list[str]]) -> None:
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for burst in bursts:
            for key in burst:  # all at once, as a paste or a lagging SSH link delivers them
                app.post_message(events.Key(key, None))
            await pilot.pause()
        if not app.quitting:
            app.exit()
    assert app.return_code == 0


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(bursts=st.lists(st.lists(st.sampled_from(BURST_KEYS), max_size=12), max_size=4))
def test_no_burst_of_keys_crashes_the_reader(tmp_path_factory, bursts):
    db_path = seeded_database(tmp_path_factory.mktemp("burst") / "seed.db")
    asyncio.run(_burst(db_path, bursts))


@pytest.mark.parametrize("key", ["u", "r", "t", "x", "e", "question_mark", "slash", "f", "p"])
async def test_a_key_right_after_q_opens_nothing_and_quits_cleanly(db_path, key):
    await _burst(db_path, [["q", key, key]])


async def test_enter_twice_chooses_once_and_closes_only_the_dialog(db_path):
    """Enter typed twice into a dialog that is closing: the choice happens once, and the
    second Enter must not close the reader under it (the palette's did)."""
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key in ("t", "enter", "enter"):
            app.post_message(events.Key(key, None))
        await settle(app, pilot)
        assert rows(db_path, "SELECT count(*) FROM annotations") == [(1,)]  # not toggled back
        await pilot.press("ctrl+p", *"Show untagged")
        await wait_until(pilot, lambda: "Show untagged comments" in palette_prompts(app)[:1])
        for key in ("enter", "enter"):
            app.post_message(events.Key(key, None))
        await settle(app, pilot)
        assert app.screen is app.reader
        assert app.reader.row_filter.untagged


# --- bad input leaves no database behind ----------------------------------------------------------


def test_the_reader_creates_no_database_when_its_import_fails(tmp_path):
    bad = tmp_path / "l.json"
    bad.write_text('{"comments": [', "utf-8")
    code, output = run_in_terminal(["--db", tmp_path / "new.db", bad], tmp_path)
    assert code == 2
    assert "threadmark: error: l.json: malformed JSON" in output
    assert not list(tmp_path.glob("new.db*"))
