"""Segments in the store: tags, notes and links on a range of a comment, undo and redo, stats,
exports, and the one-line error for a range that is not in the text."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import (
    add_link,
    import_file,
    open_database,
    set_note,
    thread_stats,
    toggle_tag,
)
from store.annotate import note_text, redo, remove_link, undo
from store.detail import comment_detail
from store.errors import ThreadmarkError
from store.segments import unit_label
from store.sentences import sentences_of
from tests.conftest import SEED_PATH
from tests.test_export import exported

FIXTURES = SEED_PATH.parents[1] / "tests" / "fixtures"

CLAIM, EVIDENCE = 1, 2


@pytest.fixture
def db(seeded_db):
    connection = open_database(seeded_db)
    yield connection
    connection.close()


def text_of(db, cluster_id: int) -> str:
    return db.execute("SELECT text FROM clusters WHERE id = ?", (cluster_id,)).fetchone()[0]


def sentence(db, cluster_id: int, number: int) -> tuple[int, int]:
    return sentences_of(text_of(db, cluster_id))[number - 1]


def segments(db) -> list[tuple]:
    return db.execute("SELECT cluster_id, start, end FROM segments ORDER BY id").fetchall()


def test_tagging_a_sentence_makes_one_segment_and_tagging_it_again_reuses_it(db):
    first = sentence(db, 5, 1)
    assert toggle_tag(db, 5, CLAIM, "alice", first)
    assert toggle_tag(db, 5, EVIDENCE, "bob", first)
    assert segments(db) == [(5, *first)]
    rows = db.execute(
        "SELECT a.cluster_id, s.start, s.end, a.tag_id, a.annotator FROM annotations a "
        "JOIN segments s ON s.id = a.segment_id ORDER BY a.rowid"
    ).fetchall()
    assert rows == [(5, *first, CLAIM, "alice"), (5, *first, EVIDENCE, "bob")]
    assert toggle_tag(db, 5, CLAIM, "alice")  # the whole comment is a unit of its own
    whole = db.execute("SELECT count(*) FROM annotations WHERE segment_id IS NULL").fetchone()
    assert whole == (1,)


def test_the_last_tag_off_a_segment_removes_it_and_undo_redo_bring_it_back(db):
    span = sentence(db, 5, 2)
    toggle_tag(db, 5, CLAIM, "alice", span)
    assert not toggle_tag(db, 5, CLAIM, "alice", span)  # off again
    assert segments(db) == []
    undo(db, "alice")  # the untag undone: tagged again
    assert segments(db) == [(5, *span)]
    undo(db, "alice")  # the tag undone
    assert segments(db) == []
    event = redo(db, "alice")
    assert event.span == span
    assert segments(db) == [(5, *span)]
    assert db.execute("SELECT tag_id, annotator FROM annotations").fetchall() == [(1, "alice")]


def test_links_go_between_any_two_units_and_name_their_segments(db):
    source, target = sentence(db, 5, 1), sentence(db, 4, 2)
    assert add_link(db, 5, 4, "rebuts", "alice", source_span=source, target_span=target)
    assert not add_link(db, 5, 4, "rebuts", "alice", source_span=source, target_span=target)
    assert add_link(db, 5, 4, "rebuts", "alice")  # comment to comment is another link
    assert add_link(
        db, 5, 5, "supports", "alice", source_span=sentence(db, 5, 2), target_span=source
    )
    with pytest.raises(ThreadmarkError, match="linked to itself"):
        add_link(db, 5, 5, "rebuts", "alice", source_span=source, target_span=source)
    detail = comment_detail(db, 5, "alice")
    labels = [(link.label, link.kind, link.other_label) for link in detail.links_out]
    assert labels == [
        ("#5.1", "rebuts", "#4.2"),
        ("#5", "rebuts", "#4"),
        ("#5.2", "supports", "#5.1"),
    ]
    assert detail.links_out[0].other_words == "Generative AI and LLMs are a tool not a product."
    assert remove_link(db, 5, 4, "rebuts", "alice", source_span=source, target_span=target)
    assert (5, *source) in segments(db)  # still the target of the support link
    assert (4, *target) not in segments(db)


def test_a_note_on_a_segment_is_its_own(db):
    span = sentence(db, 2, 3)
    set_note(db, 2, "alice", "the liability point", span=span)
    set_note(db, 2, "alice", "on the whole comment")
    assert note_text(db, 2, "alice", span) == "the liability point"
    assert note_text(db, 2, "alice") == "on the whole comment"
    detail = comment_detail(db, 2, "alice")
    assert [(s.label, s.note, s.tags) for s in detail.segments] == [
        ("#2.3", "the liability point", [])
    ]
    set_note(db, 2, "alice", "  ", span=span)  # an empty note removes it, and its segment
    assert segments(db) == []


def test_clearing_a_sentence_note_never_touches_the_comments_note(db):
    set_note(db, 2, "alice", "on the whole comment")
    set_note(db, 2, "alice", "", span=sentence(db, 2, 1))  # there is none on that sentence
    assert note_text(db, 2, "alice") == "on the whole comment"
    add_link(db, 2, 1, "rebuts", "alice")  # a link from the whole comment
    assert not remove_link(db, 2, 1, "rebuts", "alice", source_span=sentence(db, 2, 1))
    assert db.execute("SELECT count(*) FROM links WHERE annotator = 'alice'").fetchone() == (1,)
    assert undo(db, "alice").action == "link"  # nothing was journaled for the no-op removals
    assert note_text(db, 2, "alice") == "on the whole comment"


def test_the_filter_counts_a_comment_with_notes_once(db):
    from store.queries import filter_counts

    set_note(db, 2, "alice", "whole")
    set_note(db, 2, "alice", "first", span=sentence(db, 2, 1))
    set_note(db, 2, "alice", "second", span=sentence(db, 2, 2))
    assert filter_counts(db, 1, "alice").has_note == 1


@pytest.mark.parametrize(
    ("span", "message"),
    [
        ((0, 0), "not a non-empty range"),
        ((5, 2), "not a non-empty range"),
        ((-1, 4), "not a non-empty range"),
        ((0, 10_000), "not a non-empty range"),
        ((0.5, 3), "two whole numbers"),
        ((True, 3), "two whole numbers"),
    ],
)
def test_a_range_that_is_not_in_the_text_is_a_user_error_and_changes_nothing(db, span, message):
    before = db.execute("SELECT count(*) FROM events").fetchone()
    with pytest.raises(ThreadmarkError, match=message):
        toggle_tag(db, 1, CLAIM, "alice", span)
    assert "\n" not in message
    assert segments(db) == []
    assert db.execute("SELECT count(*) FROM events").fetchone() == before


def test_a_deleted_comment_has_no_segment_to_tag(db):
    with pytest.raises(ThreadmarkError, match="deleted comment"):
        toggle_tag(db, 10, CLAIM, "alice", (0, 7))


def test_stats_count_segments(db):
    toggle_tag(db, 5, CLAIM, "alice", sentence(db, 5, 1))
    set_note(db, 4, "alice", "weak", span=sentence(db, 4, 1))
    add_link(db, 5, 4, "rebuts", "alice", target_span=sentence(db, 4, 2))
    counts = thread_stats(db, 1)
    assert (counts["segments"], counts["annotations"], counts["notes"]) == (3, 1, 1)


def test_exports_carry_segments_with_their_tags_annotators_and_notes(db):
    span, target = sentence(db, 5, 1), sentence(db, 4, 2)
    toggle_tag(db, 5, CLAIM, "alice", span)
    toggle_tag(db, 5, EVIDENCE, "bob", span)
    set_note(db, 5, "alice", "=the claim", span=span)
    add_link(db, 5, 4, "rebuts", "alice", source_span=span, target_span=target)

    out = exported(db, "json", 1)
    data = json.loads(out)
    comment = next(c for c in data["comments"] if c["id"] == 5)
    assert comment["tags"] == []  # the whole comment's own tags
    (segment,) = comment["segments"]
    assert (segment["start"], segment["end"], segment["unit"]) == (*span, "#5.1")
    assert segment["text"] == text_of(db, 5)[span[0] : span[1]]
    assert segment["tags"] == ["claim", "evidence"]
    assert [(a["tag"], a["annotator"]) for a in segment["annotations"]] == [
        ("claim", "alice"),
        ("evidence", "bob"),
    ]
    assert segment["note"] == "=the claim"
    link = next(link for link in data["links"] if link["kind"] == "rebuts")
    assert (link["source_unit"], link["target_unit"]) == ("#5.1", "#4.2")
    assert (link["source_start"], link["source_end"]) == span
    assert (link["target_start"], link["target_end"]) == target

    out = exported(db, "jsonl", 1)
    lines = [json.loads(line) for line in out.splitlines()]
    line = next(c for c in lines if c["id"] == 5)
    assert line["segments"] == comment["segments"]
    (own,) = [link for link in line["links"] if link["kind"] == "rebuts"]  # its links, ends too
    assert (own["source_unit"], own["target_unit"], own["target_start"]) == ("#5.1", "#4.2", 111)

    out = exported(db, "segments-csv", 1)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["id"], r["unit"], r["tags"], r["annotators"], r["note"]) for r in rows] == [
        ("4", "#4.2", "", "", ""),  # linked, not tagged
        ("5", "#5.1", "claim;evidence", "alice;bob", "'=the claim"),  # formula neutralised
    ]

    out = exported(db, "links-csv", 1)
    edge = next(r for r in csv.DictReader(io.StringIO(out)) if r["kind"] == "rebuts")
    assert edge["source_text"] == segment["text"]  # the units' words


def test_a_script_segments_a_comment_and_tags_its_sentence(db):
    from store import comment_sentences

    spans = comment_sentences(db, 5)
    assert [text_of(db, 5)[a:b][:22] for a, b in spans] == [
        "Paint making companies",
        "Nor does paint fundame",
        "That’s where the “it’s",
    ]
    assert toggle_tag(db, 5, CLAIM, "script", spans[1])
    with pytest.raises(ThreadmarkError, match="no comment with id 999"):
        comment_sentences(db, 999)


def test_units_are_named_by_whole_sentences_where_they_can_be():
    text = SEED_PATH.read_text("utf-8").splitlines()[4]
    spans = sentences_of(text)
    assert unit_label(5, text, None) == "#5"
    assert unit_label(5, text, spans[1]) == "#5.2"
    assert unit_label(5, text, (spans[0][0], spans[1][1])) == "#5.1-2"
    assert unit_label(5, text, (3, 9)) == "#5:3-9"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_range_of_a_hostile_comment_is_tagged_and_exported_exactly(hostile_db, data):
    """Ranges anywhere, in text full of escape sequences, controls and markup."""
    db, cluster_id = hostile_db
    text = text_of(db, cluster_id)
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    toggle_tag(db, cluster_id, CLAIM, "alice", (start, end))
    out = exported(db, "json")
    comment = next(c for c in json.loads(out)["comments"] if c["id"] == cluster_id)
    assert [s["text"] for s in comment["segments"]] == [text[start:end]]
    toggle_tag(db, cluster_id, CLAIM, "alice", (start, end))
    assert segments(db) == []


@pytest.fixture
def hostile_db(tmp_path):
    """The hostile fixture's longest comment, imported."""
    connection = open_database(tmp_path / "hostile.db")
    import_file(connection, FIXTURES / "hostile.txt")
    (cluster_id,) = connection.execute(
        "SELECT id FROM clusters ORDER BY length(text) DESC LIMIT 1"
    ).fetchone()
    yield connection, cluster_id
    connection.close()
