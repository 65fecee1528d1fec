"""Every key of the reader, driven with Pilot: what is committed, and what the screen shows."""

from __future__ import annotations

import csv
import sqlite3

import pytest
from textual.command import CommandPalette

from tests.reader_support import (
    SIZE,
    database_with,
    palette_prompts,
    panel_text,
    reader,
    rows,
    screen_text,
    seeded_database,
    settle,
    status_text,
    wait_until,
)
from tui.screens.export import ExportDialog
from tui.screens.help import HelpScreen
from tui.screens.link_picker import LinkPicker
from tui.screens.note_editor import NoteEditor
from tui.screens.tag_picker import TagPicker
from tui.widgets.comment_list import CommentList
from tui.widgets.comment_panel import CommentPanel
from tui.widgets.key_bar import KeyBar

pytestmark = pytest.mark.usefixtures("reader_home")


@pytest.fixture
def db_path(tmp_path):
    return seeded_database(tmp_path / "seed.db")


def selected(app) -> int:
    return app.screen.query_one(CommentList).selected.id


def annotations(db_path, annotator="alice"):
    return rows(
        db_path,
        "SELECT a.cluster_id, t.name FROM annotations a JOIN tags t ON t.id = a.tag_id "
        "WHERE annotator = ? ORDER BY a.cluster_id, t.name",
        (annotator,),
    )


async def test_starts_with_the_list_focused_on_the_first_comment(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.focused, CommentList)
        assert selected(app) == 1
        text = screen_text(app)
        assert "AI and copyright" in text
        assert "0/10 tagged" in text
        assert "#1 x2 The problem with copyright law" in text
        assert "#1 · x2 (exact)" in text  # the panel shows comment 1


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["j"], 2),
        (["down", "down"], 3),
        (["j", "j", "k"], 2),
        (["j", "up"], 1),
        (["G"], 11),
        (["end"], 11),
        (["G", "g"], 1),
        (["G", "home"], 1),
        (["pagedown"], 11),
        (["pagedown", "pageup"], 1),
        (["k"], 1),  # the cursor stops at the top
        (["G", "j"], 11),  # and at the bottom
    ],
)
async def test_movement_keys(db_path, keys, expected):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys)
        assert selected(app) == expected
        assert panel_text(app).lstrip().startswith(f"#{expected}")  # the panel follows


async def test_a_burst_of_moves_ends_with_the_pane_on_the_last_row(db_path):
    """Keys typed faster than frames (as a terminal delivers a held key) are all taken: the
    list's cursor ends on the last row reached and the pane, following, shows that one."""
    from textual import events

    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key in "jjjjjjjk":  # in one go, as the driver posts a burst
            app.post_message(events.Key(key, key))
        await wait_until(pilot, lambda: selected(app) == 7 and not app.reader.pane_behind)
        await pilot.pause()
        assert app.screen.query_one(CommentPanel).detail.id == 7
        assert panel_text(app).lstrip().startswith("#7 ")
        assert "#7 " in screen_text(app).splitlines()[7][:40]  # the list's cursor row shows


async def test_number_keys_toggle_tags_and_commit_them(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "1")
        assert annotations(db_path) == [(2, "claim")]
        await pilot.press("2")
        assert annotations(db_path) == [(2, "claim"), (2, "evidence")]
        text = screen_text(app)
        assert "#2 x2 It doesn’t matter if actual… 1 2│" in text  # hotkey chips end the row
        assert "1/10 tagged" in text
        await pilot.press("1")
        assert annotations(db_path) == [(2, "evidence")]
        events = rows(db_path, "SELECT action FROM events WHERE annotator = 'alice' ORDER BY id")
        assert events == [("tag",), ("tag",), ("untag",)]


async def test_every_hotkey_maps_to_its_tag(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"123456789")
        names = rows(db_path, "SELECT name FROM tags WHERE hotkey IS NOT NULL ORDER BY hotkey")
        assert [name for _, name in annotations(db_path)] == sorted(name for (name,) in names)


async def test_n_and_shift_n_move_between_untagged_comments(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "j", "1", "j", "j", "1")  # tag #1, #2, #4
        await pilot.press("g", "n")
        assert selected(app) == 3
        await pilot.press("n")
        assert selected(app) == 5
        await pilot.press("N")
        assert selected(app) == 3
        await pilot.press("G", "n")  # #11 is last; nothing below
        assert selected(app) == 11
        await pilot.press("N")  # #10 is a tombstone: skipped
        assert selected(app) == 9


async def test_tag_picker_toggles_an_existing_tag_by_fuzzy_name(db_path):
    """A typo is not a tag: Enter would create it, so the fuzzy match is one row down."""
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        assert isinstance(app.screen, TagPicker)
        await pilot.press(*"evidnce", "down", "enter")
        assert not isinstance(app.screen, TagPicker)
        assert annotations(db_path) == [(1, "evidence")]


async def test_tag_picker_enter_creates_the_typed_name_rather_than_a_fuzzy_match(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", *"analogy", "enter")
        assert annotations(db_path) == [(1, "analogy")]
        assert rows(db_path, "SELECT count(*) FROM tags WHERE name = 'analogy'") == [(1,)]


async def test_tag_picker_enter_applies_an_exact_name_whatever_its_case(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", *"Personal-Attack", "enter")
        assert annotations(db_path) == [(1, "personal-attack")]
        assert rows(db_path, "SELECT count(*) FROM tags") == [(9,)]


async def test_tag_picker_creates_a_new_tag(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", *"legal theory", "enter")
        assert annotations(db_path) == [(1, "legal theory")]
        assert rows(db_path, "SELECT hotkey FROM tags WHERE name = 'legal theory'") == [(None,)]
        await pilot.press("escape")


async def test_tag_picker_escape_changes_nothing(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", "c", "escape")
        assert annotations(db_path) == []
        assert isinstance(app.focused, CommentList)


@pytest.mark.parametrize(("key", "kind"), [("r", "rebuts"), ("s", "supports"), ("u", "undercuts")])
async def test_link_keys_link_to_an_exact_id(db_path, key, kind):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "j", "j", key)  # #5
        assert isinstance(app.screen, LinkPicker)
        await pilot.press("#", "4", "enter")
        links = rows(db_path, "SELECT source_cluster, target_cluster, kind, annotator FROM links")
        assert links == [(5, 4, kind, "alice")]
        assert f"{kind} #4" in screen_text(app)


async def test_exact_id_beats_the_ranking(db_path):
    """#1 is typed: Enter links to #1 even though #11 also starts with 1."""
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("G", "r", "#", "1", "enter")
        assert rows(db_path, "SELECT source_cluster, target_cluster FROM links") == [(11, 1)]


async def test_link_picker_ranks_and_filters_by_typed_words(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r", *"paint manufacturer")
        picker = app.screen
        first = picker.query_one("#picker-options").get_option_at_index(0)
        assert first.id == "4"  # "You can't sue the paint and brush manufacturer ..."
        await pilot.press("enter")
        assert rows(db_path, "SELECT source_cluster, target_cluster FROM links") == [(1, 4)]


async def test_link_to_unknown_id_does_nothing(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r", "#", "9", "9", "enter")
        assert isinstance(app.screen, LinkPicker)  # stays open: nothing to link to
        await pilot.press("escape")
        assert rows(db_path, "SELECT count(*) FROM links") == [(0,)]


async def test_mark_then_link_key_links_marked_to_selected(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "j", "j", "m")  # mark #5
        assert "●#5" in screen_text(app)
        await pilot.press("g", "j", "s")  # select #2, link
        links = rows(db_path, "SELECT source_cluster, target_cluster, kind FROM links")
        assert links == [(5, 2, "supports")]
        assert "●" not in screen_text(app)  # the mark is used up


async def test_note_editor_saves_as_you_type_and_journals_once(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        assert isinstance(app.screen, NoteEditor)
        await pilot.press(*"weak")
        # already durable while the editor is still open
        assert rows(db_path, "SELECT text FROM notes WHERE cluster_id = 1") == [("weak",)]
        await pilot.press("escape")
        assert rows(db_path, "SELECT annotator, text FROM notes") == [("alice", "weak")]
        assert rows(db_path, "SELECT action FROM events") == [("note",)]
        assert "weak" in app.screen.query_one(CommentPanel).part("facts").plain


async def test_search_filters_the_list_and_escape_clears_it(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("/", *"spongebob", "enter")
        await settle(app, pilot)
        comments = app.screen.query_one(CommentList)
        assert [comments.row(i).id for i in range(comments.row_count)] == [1, 7, 11]
        assert "search “spongebob”" in screen_text(app)
        await pilot.press("escape")
        assert comments.row_count == 11


async def test_search_with_fts_syntax_never_crashes(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("/", *'"fair AND NEAR( -use* ^', "enter")
        await settle(app, pilot)
        assert app.screen.query_one(CommentList).row_count >= 0
        await pilot.press("escape")


async def test_filter_untagged_and_by_tag(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "j", "2")
        await pilot.press("f", *"untagged", "enter")
        await settle(app, pilot)
        comments = app.screen.query_one(CommentList)
        assert comments.row_count == 8  # 10 unique, 2 tagged; the tombstone is not "untagged"
        await pilot.press("escape", "f", *"tag claim", "enter")
        await settle(app, pilot)
        assert [comments.row(i).id for i in range(comments.row_count)] == [1]


async def test_filter_has_links(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "r", "#", "1", "enter")
        await pilot.press("f", *"has links", "enter")
        await settle(app, pilot)
        comments = app.screen.query_one(CommentList)
        assert [comments.row(i).id for i in range(comments.row_count)] == [1, 2]


async def test_d_hides_and_shows_tombstones(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        comments = app.screen.query_one(CommentList)
        assert "deleted by creator" in screen_text(app)
        await pilot.press("d")
        await settle(app, pilot)
        assert comments.row_count == 10
        assert "deleted by creator" not in screen_text(app)
        await pilot.press("d")
        assert comments.row_count == 11


async def test_undo_and_redo_replay_the_journal(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "j", "3")
        await pilot.press("z")
        assert annotations(db_path) == [(1, "claim")]
        assert selected(app) == 2  # undo shows where it happened
        await pilot.press("z")
        assert annotations(db_path) == []
        await pilot.press("Z")
        assert annotations(db_path) == [(1, "claim")]


async def test_undo_works_across_restarts(db_path):
    async with reader(db_path).run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "4")
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("z")
        assert annotations(db_path) == []
        assert selected(app) == 3


async def test_undo_is_per_annotator(db_path):
    async with reader(db_path, "bob").run_test(size=SIZE) as pilot:
        await pilot.press("1")
    async with reader(db_path, "alice").run_test(size=SIZE) as pilot:
        await pilot.press("z")
    assert annotations(db_path, "bob") == [(1, "claim")]


async def test_export_dialog_writes_the_chosen_format(db_path, tmp_path):
    app = reader(db_path)
    target = tmp_path / "out.csv"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "x")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        dialog.query_one("#export-path").value = str(target)
        await pilot.press("tab", "enter")  # to the file name, then export
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, ExportDialog)
    with target.open(encoding="utf-8", newline="") as handle:
        exported = list(csv.DictReader(handle))
    assert len(exported) == 11
    assert exported[0]["tags"] == "claim"


async def test_tab_switches_panes(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "r", "#", "1", "enter")  # give #2 a link to jump along
        await pilot.press("tab")
        assert isinstance(app.focused, CommentPanel)
        await pilot.press("tab")
        assert app.screen.query_one(CommentPanel).in_links
        await pilot.press("enter")  # jump to #1
        assert selected(app) == 1
        assert isinstance(app.focused, CommentList)


async def test_help_lists_every_binding_with_its_id(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_screen = app.screen
        shown = screen_text(app)
        assert "cursor_down" in shown
        assert "Toggle tag 1: claim" in shown
        for _ in range(120):  # down to the last group, "Anywhere"
            await pilot.press("j")
            shown += screen_text(app)
        for binding_id in ("tag_picker", "link_rebuts", "undo", "toggle_tombstones", "quit"):
            assert binding_id in shown
        assert help_screen.is_current
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_jumps_to_a_comment(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"#7")
        await wait_until(pilot, lambda: any("#7" in p for p in palette_prompts(app)))
        await pilot.press("enter")
        await pilot.pause()
        assert selected(app) == 7


async def test_command_palette_switches_to_another_thread(db_path, tmp_path):
    second = tmp_path / "second.txt"
    second.write_text("A thread of its own, one line.\nAnd a second line of it.\n", "utf-8")
    database_with(db_path, second)  # thread 2, the newest: the reader opens it
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        assert "A thread of its own" in screen_text(app)
        await pilot.press("ctrl+p", *"Open thread 1")
        await wait_until(pilot, lambda: any("Open thread 1" in p for p in palette_prompts(app)))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.reader is not None and app.reader.thread_id == 1)
        await pilot.pause()
        assert "AI and copyright" in screen_text(app)
        assert "A thread of its own" not in screen_text(app)
        readers = [s for s in app.screen_stack if type(s).__name__ == "ReaderScreen"]
        assert readers == [app.reader]  # replaced, not stacked
    app = reader(db_path)  # the thread last read is the one that opens next time
    async with app.run_test(size=SIZE) as pilot:
        assert app.reader.thread_id == 1


async def test_q_quits(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_remapped_key_from_config(db_path, tmp_path):
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "config.toml").write_text('[keys]\ntag_1 = "c"\n', encoding="utf-8")
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        assert annotations(db_path) == [(1, "claim")]


async def test_a_comment_linked_twice_from_one_comment_shows_both_links(tmp_path):
    """A quote-reply to its parent is both "quotes #1" and "reply to #1": two rows, one target."""
    source = tmp_path / "quote-reply.jsonl"
    parent = "Training on copyrighted images is not the same as storing copies of them at all"
    source.write_text(
        f'{{"id": "1", "text": "{parent}"}}\n'
        f'{{"id": "2", "parent": "1", "text": "> {parent}\\nIt is, if the model can reproduce '
        'them on demand."}\n',
        encoding="utf-8",
    )
    app = reader(database_with(tmp_path / "q.db", source))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j")
        shown = panel_text(app)
        assert "quotes #1" in shown
        assert "reply to #1" in shown
        await pilot.press("tab", "tab", "down", "enter")
        assert selected(app) == 1


async def test_a_locked_database_keeps_the_keys_live_and_saves_once_it_is_free(
    db_path, monkeypatch
):
    """Another process holds the write lock (a long import): the tag waits for it on the
    writer, the reader says so, the keys go on working, and the tag lands when it can."""
    monkeypatch.setattr("tui.writer.WAITING_NOTICE_MS", 50)
    app = reader(db_path)
    blocker = sqlite3.connect(db_path, isolation_level=None)
    async with app.run_test(size=SIZE) as pilot:
        blocker.execute("BEGIN IMMEDIATE")
        await pilot.press("1", wait_for_saves=False)
        await wait_until(pilot, lambda: "another process is writing" in status_text(app))
        await pilot.press("j", wait_for_saves=False)
        assert selected(app) == 2  # the keys are live while the tag waits
        assert annotations(db_path) == []
        blocker.execute("ROLLBACK")
        await wait_until(pilot, lambda: annotations(db_path) == [(1, "claim")])
        await wait_until(pilot, lambda: "Tagged #1 claim" in status_text(app))
    blocker.close()


async def test_export_dialog_refuses_an_empty_file_name(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        dialog = app.screen
        dialog.query_one("#export-path").value = ""
        await pilot.press("down")  # changing the format refills the name
        assert dialog.query_one("#export-path").value.endswith(".links.csv")
        dialog.query_one("#export-path").value = "  "
        await pilot.press("tab", "enter")
        assert app.screen is dialog  # still open, nothing written, no crash
        assert "Give a file name" in str(dialog.query_one("#export-hint").render())


async def test_delete_in_the_link_list_removes_a_link_and_z_restores_it(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "r", "#", "1", "enter")
        await pilot.press("tab", "tab", "delete")
        assert rows(db_path, "SELECT count(*) FROM links") == [(0,)]
        assert rows(db_path, "SELECT action FROM events ORDER BY id") == [("link",), ("unlink",)]
        await pilot.press("z")
        assert rows(db_path, "SELECT source_cluster, target_cluster, kind FROM links") == [
            (2, 1, "rebuts")
        ]


def key_bar(app) -> str:
    return screen_text(app).splitlines()[-1]


async def test_key_bar_shows_the_keys_of_the_focused_pane(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "r", "#", "1", "enter")  # give #2 a link, so the link list has one
        await pilot.pause()
        assert key_bar(app).startswith("t Tag r Link e Note / Search f Filter z Undo x Export")
        assert key_bar(app).endswith("▏^p Commands")
        await pilot.press("tab", "tab")
        assert app.screen.query_one(CommentPanel).in_links
        await pilot.pause()
        assert key_bar(app).startswith("⏎ Jump del Unlink ] Sentence t Tag")
        assert key_bar(app).endswith("…▏^p Commands")  # too many for 80 columns: cut, not wrapped
        await pilot.click(KeyBar, offset=(key_bar(app).index("…"), 0))  # a hint cut off
        await pilot.pause()
        assert app.screen.query_one(CommentPanel).in_links  # nothing happened
        await pilot.click(KeyBar, offset=(key_bar(app).index("^p"), 0))
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_key_bar_shows_remapped_keys_and_a_click_presses_them(db_path, tmp_path):
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "config.toml").write_text(
        '[keys]\ntag_picker = "T"\ncommand_palette = "ctrl+k"\n', encoding="utf-8"
    )
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        bar = key_bar(app)
        assert " T Tag " in bar and "t Tag" not in bar
        assert bar.endswith("▏^k Commands")
        await pilot.click(KeyBar, offset=(bar.index("T Tag") + 2, 0))  # on "Tag"
        await pilot.pause()
        assert isinstance(app.screen, TagPicker)


@pytest.mark.parametrize(
    "width, header, keys",
    [
        (
            40,
            " AI and copyright (… 0/10 tagged  alice ",
            "t Tag r Link e Note / Searc…▏^p Commands",
        ),
        (20, "0/10 tagged  alice  ", "t Tag r…▏^p Commands"),
        (12, "0/10 tagged ", "▏^p Commands"),
    ],
)
async def test_header_and_key_bar_fit_a_narrow_terminal(db_path, width, header, keys):
    """The title gives way first, then the bar; key hints are cut; nothing wraps or overlaps."""
    app = reader(db_path)
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert (lines[0], lines[-1]) == (header, keys)
        await pilot.click(KeyBar, offset=(keys.index("^p"), 0))
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
