"""Sentences from the keyboard: select one in the pane, grow it, move its end by a word, tag it,
note it, link it to another comment's sentence; and how the reader shows them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.sentences import sentences_of
from tests.reader_support import (
    SIZE,
    database_with,
    panel_text,
    reader,
    rows,
    screen_text,
    seeded_database,
    settle,
    status_text,
    wait_until,
)
from tui.inert import inert, inert_block_with_offsets
from tui.screens.link_picker import LinkPicker
from tui.widgets.comment_panel import CommentPanel

pytestmark = pytest.mark.usefixtures("reader_home")


@pytest.fixture
def db_path(tmp_path):
    return seeded_database(tmp_path / "seed.db")


def text_of(db_path, cluster_id: int) -> str:
    return rows(db_path, "SELECT text FROM clusters WHERE id = ?", (cluster_id,))[0][0]


def tagged_segments(db_path) -> list[tuple]:
    return rows(
        db_path,
        "SELECT s.cluster_id, s.start, s.end, t.name FROM annotations a "
        "JOIN segments s ON s.id = a.segment_id JOIN tags t ON t.id = a.tag_id ORDER BY a.rowid",
    )


def panel(app) -> CommentPanel:
    return app.screen.query_one(CommentPanel)


async def test_v_then_two_sentences_then_1_tags_the_second_sentence(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "right_square_bracket", "right_square_bracket", "1")
        second = sentences_of(text_of(db_path, 1))[1]
        assert tagged_segments(db_path) == [(1, *second, "claim")]
        assert rows(db_path, "SELECT count(*) FROM annotations WHERE segment_id IS NULL") == [(0,)]
        assert "Tagged #1.2 claim" in status_text(app)
        assert "¶1" in screen_text(app).splitlines()[1]  # the row: a tag on a sentence of it


async def test_curly_brackets_grow_and_shrink_by_a_sentence(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "right_square_bracket", "right_curly_bracket")
        spans = sentences_of(text_of(db_path, 1))
        assert panel(app).selection == (spans[0][0], spans[1][1])
        await pilot.press("right_curly_bracket", "left_curly_bracket", "2")
        assert tagged_segments(db_path) == [(1, spans[0][0], spans[1][1], "evidence")]
        assert "Tagged #1.1-2 evidence" in status_text(app)


async def test_angle_brackets_move_the_end_by_a_word(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "right_square_bracket")
        start, end = panel(app).selection
        text = text_of(db_path, 1)
        await pilot.press("greater_than_sign")
        grown = panel(app).selection[1]
        assert grown > end and not text[end:grown].strip().count(" ")  # one word more
        await pilot.press("less_than_sign", "less_than_sign")
        shrunk = panel(app).selection[1]
        assert shrunk < end and text[start:shrunk] == text[start:end].rsplit(" ", 1)[0]
        await pilot.press("3")
        assert tagged_segments(db_path) == [(1, start, shrunk, "counterpoint")]
        assert f"Tagged #1:{start}-{shrunk} counterpoint" in status_text(app)


async def test_escape_returns_to_the_whole_comment(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "right_square_bracket", "escape", "1")
        assert tagged_segments(db_path) == []
        assert rows(db_path, "SELECT cluster_id FROM annotations") == [(1,)]
        await pilot.press("escape")  # nothing selected: back to the list
        await pilot.press("j")
        assert app.reader.selected_id == 2


async def test_a_sentence_of_one_comment_rebuts_a_sentence_of_another(db_path):
    """The seed's #5 answers #4: "Paint making companies…" against "…a tool not a product"."""
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"jjjj", "v", "right_square_bracket", "1")
        await pilot.press("r", *"#4.2")
        await wait_until(pilot, lambda: isinstance(app.screen, LinkPicker))
        await pilot.press("enter")
        source, target = sentences_of(text_of(db_path, 5))[0], sentences_of(text_of(db_path, 4))[1]
        assert rows(
            db_path,
            "SELECT l.source_cluster, ss.start, ss.end, l.target_cluster, ts.start, ts.end, l.kind "
            "FROM links l JOIN segments ss ON ss.id = l.source_segment "
            "JOIN segments ts ON ts.id = l.target_segment",
        ) == [(5, *source, 4, *target, "rebuts")]
        assert "Linked: #5.1 rebuts #4.2" in status_text(app)
        await pilot.press("tab")  # the pane's links list
        shown = " ".join(panel_text(app).split())
        assert "#5.1 rebuts #4.2 “Generative AI" in shown  # the row is cut at the pane's edge
        await pilot.press("z")
        assert rows(db_path, "SELECT count(*) FROM links") == [(0,)]


async def test_the_link_picker_says_how_many_sentences_a_comment_has(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        for query in ("#4.0", "#4.13", "#4.2-1", "#4:5-2"):
            await pilot.press("r", *query)
            await wait_until(
                pilot, lambda q=query: f"#4 has 12 sentences: no {q}" in screen_text(app)
            )
            await pilot.press("enter")
            assert isinstance(app.screen, LinkPicker)  # nothing to link to: still open
            await pilot.press("escape")
        assert rows(db_path, "SELECT count(*) FROM links WHERE annotator IS NOT NULL") == [(0,)]


async def test_the_sentence_of_a_one_sentence_comment_is_the_comment(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"jj", "v", "right_square_bracket", "1")  # #3 is one sentence
        assert rows(db_path, "SELECT cluster_id, segment_id FROM annotations") == [(3, None)]
        assert "Tagged #3 claim" in status_text(app)


async def test_undoing_a_sentence_link_removes_both_segments(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"jjjj", "v", "right_square_bracket", "r", *"#4.2", "enter")
        assert rows(db_path, "SELECT count(*) FROM segments") == [(2,)]
        await pilot.press("z")
        assert rows(db_path, "SELECT count(*) FROM segments") == [(0,)]
        await pilot.press("Z")
        assert rows(db_path, "SELECT count(*) FROM segments") == [(2,)]


async def test_leaving_a_comment_forgets_its_selection_and_says_so(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "right_square_bracket")
        assert "#1.1 selected" in status_text(app)
        await pilot.press("escape", "escape", "j")  # whole comment, the list, the next row
        assert "selected" not in status_text(app)
        await pilot.press("1")
        assert rows(db_path, "SELECT cluster_id, segment_id FROM annotations") == [(2, None)]


async def test_only_the_drawn_sentences_of_a_huge_comment_are_selectable(tmp_path):
    from tui.widgets.comment_body import TEXT_SHOWN

    huge = " ".join(f"Sentence number {n} is here." for n in range(3000))
    source = tmp_path / "huge.txt"
    source.write_text(huge + "\n", "utf-8")
    app = reader(database_with(tmp_path / "huge.db", source))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "left_square_bracket")  # the last sentence that is drawn
        start, end = panel(app).selection
        drawn = [span for span in sentences_of(huge) if span[1] <= TEXT_SHOWN]
        assert (start, end) == drawn[-1] and end <= TEXT_SHOWN < len(huge)
        body = app.screen.query_one(CommentPanel).part("text")
        assert body.plain[start:end] == huge[start:end]  # on screen, and highlighted


async def test_the_link_picker_lists_a_comments_sentences(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r", *"#4.")
        await wait_until(pilot, lambda: "#4.3" in screen_text(app))
        shown = screen_text(app)
        assert "#4.1" in shown and "Generative AI and LLMs are a tool" in shown
        await pilot.press("escape", "r", *"paint brush")
        await wait_until(pilot, lambda: "#4 " in screen_text(app))
        await pilot.press("tab")  # into the highlighted comment's sentences
        await wait_until(pilot, lambda: "#4.2" in screen_text(app))
        await pilot.press("down", "down", "enter")
        target = sentences_of(text_of(db_path, 4))[1]
        assert rows(
            db_path,
            "SELECT l.target_cluster, s.start, s.end FROM links l "
            "JOIN segments s ON s.id = l.target_segment",
        ) == [(4, *target)]


async def test_a_note_on_a_sentence(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "right_square_bracket", "e", *"why?", "escape")
        await settle(app, pilot)
        first = sentences_of(text_of(db_path, 1))[0]
        assert rows(
            db_path,
            "SELECT s.start, s.end, n.text FROM notes n JOIN segments s ON s.id = n.segment_id",
        ) == [(*first, "why?")]
        facts = app.screen.query_one(CommentPanel).part("facts").plain
        assert (
            "#1.1 “The problem with copyright law is you need, well, copies.” note: why?" in facts
        )


async def test_the_selection_and_tagged_segments_are_marked_in_the_text(db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "right_square_bracket", "1", "right_square_bracket")
        text = text_of(db_path, 1)
        first, second = sentences_of(text)[:2]
        body = app.screen.query_one(CommentPanel).part("text")
        # Sentence 1 is tagged: underlined, then its chip; sentence 2 (after the chip) selected.
        assert body.plain.startswith(text[: first[1]] + "[1]" + text[first[1] : second[0]])
        selection = panel(app).get_component_rich_style("comment-panel--selection").bgcolor
        selected = [
            body.plain[span.start : span.end]
            for span in body.spans
            if not isinstance(span.style, str) and span.style.bgcolor == selection
        ]
        assert selected == [text[second[0] : second[1]]]
        underlined = [body.plain[s.start : s.end] for s in body.spans if s.style.underline]
        assert underlined == [text[first[0] : first[1]]]
        assert "#1.2 selected" in status_text(app)


async def test_hostile_text_in_a_selected_sentence_stays_inert(tmp_path):
    hostile = (
        "First \x1b]0;PWNED\x07 sentence. Second \x1b[2J with [bold]markup[/bold]\u200b here. "
        "Third \u202eone."
    )
    source = tmp_path / "h.txt"
    source.write_text(hostile + "\n", "utf-8")
    app = reader(database_with(tmp_path / "h.db", source))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "right_square_bracket", "right_square_bracket", "1")
        await pilot.pause()
        assert not any(ch in screen_text(app) for ch in "\x1b\x07\u200b\u202e")
        body = app.screen.query_one(CommentPanel).part("text").plain
        assert "Second ␛[2J with [bold]markup[/bold]⟨ZWSP⟩ here.[1]" in body
        second = sentences_of(hostile)[1]
        assert tagged_segments(tmp_path / "h.db") == [(1, *second, "claim")]


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(exclude_categories=()), max_size=200), data=st.data())
def test_a_segment_of_hostile_text_is_drawn_whole_placeholders_and_all(text, data):
    """Any range of any text maps to a range on screen that is exactly the range's own text made
    inert: a boundary never falls inside a placeholder, and nothing live is left."""
    shown, offsets = inert_block_with_offsets(text)
    assert shown == inert(text, multiline=True)
    assert offsets == sorted(offsets) and offsets[-1] == len(shown)
    if not text:
        return
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    piece = shown[offsets[start] : offsets[end]]
    own = inert(text[start:end], multiline=True)
    if text[end - 1 : end + 1] != "\r\n":  # "\r\n" is one line end, cut in two here
        assert piece == own
    assert not any(ord(ch) < 0x20 and ch not in "\n" for ch in piece)
    assert not any(0x7F <= ord(ch) < 0xA0 for ch in piece)
