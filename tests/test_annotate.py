"""Annotations (store.annotate): every change is a row plus a journal event, and undo/redo is a
per-annotator replay of that journal that survives re-opening the database."""

from __future__ import annotations

import json

import pytest

from store import (
    ThreadmarkError,
    add_link,
    create_tag,
    import_file,
    open_database,
    redo,
    remove_link,
    set_note,
    toggle_tag,
    undo,
)
from store.annotate import note_text, save_note_draft

CLAIM, EVIDENCE, QUESTION = 1, 2, 4  # starter codebook tag ids (hotkeys 1, 2, 4)


@pytest.fixture
def db(open_db, seed_path):
    database = open_db()
    import_file(database, seed_path)
    return database


def annotations(db) -> set[tuple[int, int, str]]:
    return set(db.execute("SELECT cluster_id, tag_id, annotator FROM annotations").fetchall())


def human_links(db) -> set[tuple[int, int, str, str, str]]:
    return set(
        db.execute(
            "SELECT source_cluster, target_cluster, kind, annotator, note FROM links "
            "WHERE annotator IS NOT NULL"
        ).fetchall()
    )


def events(db, annotator: str | None = None) -> list[tuple[str, str, dict]]:
    sql = "SELECT annotator, action, payload FROM events"
    args: tuple = ()
    if annotator is not None:
        sql, args = sql + " WHERE annotator = ?", (annotator,)
    return [(who, action, json.loads(payload)) for who, action, payload in
            db.execute(sql + " ORDER BY id", args)]  # fmt: skip


def notes(db) -> dict[tuple[int, str], str]:
    return {(c, a): t for c, a, t in db.execute("SELECT cluster_id, annotator, text FROM notes")}


# --- tags ------------------------------------------------------------------------------------


def test_toggle_tag_adds_then_removes_and_journals_each_time(db):
    assert toggle_tag(db, 3, CLAIM, "alice") is True
    assert annotations(db) == {(3, CLAIM, "alice")}
    created_at = db.execute("SELECT created_at FROM annotations").fetchone()[0]
    assert created_at.endswith("Z") and created_at[:4].isdigit()

    assert toggle_tag(db, 3, CLAIM, "alice") is False
    assert annotations(db) == set()
    assert events(db) == [
        ("alice", "tag", {"cluster": 3, "tag": CLAIM, "name": "claim"}),
        ("alice", "untag", {"cluster": 3, "tag": CLAIM, "name": "claim"}),
    ]


def test_two_annotators_tag_the_same_comment_independently(db):
    assert toggle_tag(db, 3, CLAIM, "alice") is True
    assert toggle_tag(db, 3, CLAIM, "bob") is True
    assert toggle_tag(db, 3, CLAIM, "alice") is False
    assert annotations(db) == {(3, CLAIM, "bob")}


def test_toggling_an_unknown_tag_is_an_error_and_changes_nothing(db):
    with pytest.raises(ThreadmarkError, match="no tag 999"):
        toggle_tag(db, 3, 999, "alice")
    assert annotations(db) == set() and events(db) == []


def test_create_tag_is_journaled_but_not_undone(db):
    tag = create_tag(db, "  sarcasm \n", "alice")
    assert (tag.name, tag.hotkey) == ("sarcasm", None)  # 1-9 are all taken by the starter set
    assert events(db) == [("alice", "create_tag", {"tag": tag.id, "name": "sarcasm"})]
    with pytest.raises(ThreadmarkError, match="already a tag"):
        create_tag(db, "SARCASM", "alice")
    assert undo(db, "alice") is None
    assert db.execute("SELECT count(*) FROM tags").fetchone()[0] == 10


# --- links -----------------------------------------------------------------------------------


def test_add_and_remove_link(db):
    assert add_link(db, 5, 4, "rebuts", "alice", note="paint is not a model") is True
    assert human_links(db) == {(5, 4, "rebuts", "alice", "paint is not a model")}
    assert add_link(db, 5, 4, "rebuts", "alice") is False  # already there: nothing new
    assert add_link(db, 5, 4, "supports", "alice") is True  # another kind is another link
    assert add_link(db, 5, 4, "rebuts", "bob") is True  # another annotator too

    assert remove_link(db, 5, 4, "rebuts", "alice") is True
    assert human_links(db) == {(5, 4, "supports", "alice", ""), (5, 4, "rebuts", "bob", "")}
    assert remove_link(db, 5, 4, "rebuts", "alice") is False
    assert [action for _, action, _ in events(db, "alice")] == ["link", "link", "unlink"]
    assert events(db, "alice")[-1][2] == {
        "source": 5, "target": 4, "kind": "rebuts", "note": "paint is not a model",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("source", "target", "kind", "message"),
    [
        (3, 3, "rebuts", "itself"),
        (3, 4, "hates", "unknown link kind"),
        (3, 4, "replies_to", "unknown link kind"),  # made by imports, not by people
        (3, 4, "quotes", "unknown link kind"),
        (3, 4, "", "unknown link kind"),
    ],
)
def test_bad_links_are_errors_and_change_nothing(db, source, target, kind, message):
    with pytest.raises(ThreadmarkError, match=message):
        add_link(db, source, target, kind, "alice")
    assert db.execute("SELECT count(*) FROM links").fetchone()[0] == 0
    assert events(db) == []


# --- notes -----------------------------------------------------------------------------------


def test_set_note_and_an_empty_note_removes_it(db):
    set_note(db, 2, "alice", "first thought")
    set_note(db, 2, "alice", "second thought")
    assert notes(db) == {(2, "alice"): "second thought"}
    set_note(db, 2, "alice", "   \n")
    assert notes(db) == {}
    assert [payload for _, _, payload in events(db)] == [
        {"cluster": 2, "before": None, "after": "first thought"},
        {"cluster": 2, "before": "first thought", "after": "second thought"},
        {"cluster": 2, "before": "second thought", "after": None},
    ]
    set_note(db, 2, "alice", "")  # no note, none asked for: nothing to journal
    assert len(events(db)) == 3


def test_notes_are_per_annotator(db):
    set_note(db, 2, "alice", "hers")
    set_note(db, 2, "bob", "his")
    set_note(db, 2, "alice", "")
    assert notes(db) == {(2, "bob"): "his"}


def test_drafts_then_set_note_make_one_journal_event(db):
    for draft in ("w", "wo", "wor", "word"):
        save_note_draft(db, 6, "alice", draft)
    assert note_text(db, 6, "alice") == "word" and events(db) == []
    set_note(db, 6, "alice", "words", original=None)
    assert events(db) == [("alice", "note", {"cluster": 6, "before": None, "after": "words"})]
    assert notes(db) == {(6, "alice"): "words"}

    undo(db, "alice")
    assert notes(db) == {}


def test_drafts_over_an_existing_note_undo_to_the_original(db):
    set_note(db, 6, "alice", "original")
    save_note_draft(db, 6, "alice", "origi")
    save_note_draft(db, 6, "alice", "rewritten")
    set_note(db, 6, "alice", "rewritten", original="original")
    assert [payload for _, _, payload in events(db)][-1] == {
        "cluster": 6, "before": "original", "after": "rewritten",
    }  # fmt: skip
    assert len(events(db)) == 2
    undo(db, "alice")
    assert notes(db) == {(6, "alice"): "original"}


# --- undo and redo ---------------------------------------------------------------------------


def test_undo_and_redo_every_kind_of_change(db):
    toggle_tag(db, 1, CLAIM, "alice")
    add_link(db, 2, 1, "supports", "alice", note="yes")
    set_note(db, 1, "alice", "note")
    toggle_tag(db, 1, CLAIM, "alice")  # untag
    remove_link(db, 2, 1, "supports", "alice")

    assert undo(db, "alice").action == "unlink"
    assert human_links(db) == {(2, 1, "supports", "alice", "yes")}
    assert undo(db, "alice").action == "untag"
    assert annotations(db) == {(1, CLAIM, "alice")}
    assert undo(db, "alice").action == "note"
    assert notes(db) == {}
    assert undo(db, "alice").action == "link"
    assert human_links(db) == set()
    assert undo(db, "alice").action == "tag"
    assert annotations(db) == set()
    assert undo(db, "alice") is None

    assert [redo(db, "alice").action for _ in range(5)] == [
        "tag", "link", "note", "untag", "unlink",
    ]  # fmt: skip
    assert redo(db, "alice") is None
    assert annotations(db) == set() and human_links(db) == set()
    assert notes(db) == {(1, "alice"): "note"}


def test_undo_is_per_annotator(db):
    toggle_tag(db, 1, CLAIM, "alice")
    toggle_tag(db, 1, CLAIM, "bob")
    toggle_tag(db, 2, EVIDENCE, "bob")
    add_link(db, 3, 1, "rebuts", "bob")

    event = undo(db, "alice")
    assert (event.action, event.cluster_id) == ("tag", 1)
    assert annotations(db) == {(1, CLAIM, "bob"), (2, EVIDENCE, "bob")}
    assert human_links(db) == {(3, 1, "rebuts", "bob", "")}
    assert undo(db, "alice") is None  # alice has nothing more; bob's changes are not hers

    assert undo(db, "bob").action == "link"
    assert undo(db, "bob").action == "tag"
    assert annotations(db) == {(1, CLAIM, "bob")}
    assert redo(db, "alice").action == "tag"
    assert annotations(db) == {(1, CLAIM, "bob"), (1, CLAIM, "alice")}
    assert redo(db, "bob").payload == {"cluster": 2, "tag": EVIDENCE, "name": "evidence"}
    assert annotations(db) == {(1, CLAIM, "bob"), (1, CLAIM, "alice"), (2, EVIDENCE, "bob")}


def test_a_new_change_clears_the_redo_stack(db):
    toggle_tag(db, 1, CLAIM, "alice")
    toggle_tag(db, 2, CLAIM, "alice")
    undo(db, "alice")
    toggle_tag(db, 5, QUESTION, "bob")  # someone else's change does not clear alice's redo
    assert redo(db, "alice").payload["cluster"] == 2
    undo(db, "alice")
    toggle_tag(db, 3, EVIDENCE, "alice")
    assert redo(db, "alice") is None
    assert annotations(db) == {(1, CLAIM, "alice"), (3, EVIDENCE, "alice"), (5, QUESTION, "bob")}
    assert [action for _, action, _ in events(db, "alice")] == [
        "tag", "tag", "undo", "redo", "undo", "tag",
    ]  # fmt: skip


def test_undo_and_redo_work_across_reopening(db_path, seed_path):
    first = open_database(db_path)
    import_file(first, seed_path)
    toggle_tag(first, 4, QUESTION, "alice")
    set_note(first, 4, "alice", "asked")
    first.close()

    second = open_database(db_path)
    assert undo(second, "alice").action == "note"
    second.close()

    third = open_database(db_path)
    try:
        assert notes(third) == {}
        assert undo(third, "alice").action == "tag"
        assert annotations(third) == set()
        assert redo(third, "alice").action == "tag"
        assert redo(third, "alice").action == "note"
        assert annotations(third) == {(4, QUESTION, "alice")}
        assert notes(third) == {(4, "alice"): "asked"}
    finally:
        third.close()


def test_undo_with_nothing_done_is_none_and_journals_nothing(db):
    assert undo(db, "nobody") is None
    assert redo(db, "nobody") is None
    assert events(db) == []


def test_event_descriptions_name_units_as_the_reader_shows_them(db):
    toggle_tag(db, 3, CLAIM, "alice")
    add_link(db, 5, 2, "rebuts", "alice", target_span=(0, 10))
    set_note(db, 5, "alice", "x", span=(4, 9))

    def shown(cluster_id: int, span) -> str:
        return f"#{cluster_id + 10}" + ("" if span is None else f"[{span[0]}:{span[1]}]")

    assert undo(db, "alice").describe(shown) == "note on #15[4:9]"
    assert undo(db, "alice").describe(shown) == "link #15 rebuts #12[0:10]"
    assert undo(db, "alice").describe(shown) == "tag claim on #13"
