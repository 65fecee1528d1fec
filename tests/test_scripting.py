"""``threadmark tag``, ``link``, ``note`` and ``tags``: the reader's changes from a shell.

Each command is checked by the rows it leaves in the database, its one line on stderr and
nothing on stdout (but ``tags list``), and by ``undo`` reversing it as it reverses the reader's
keys.  Bad input is one ``threadmark: error:`` line, exit 2, and the database as it was.

The seed thread: #4 (id 4) has 12 sentences in 1,407 characters, #3 one sentence, #5 three,
#10 is a deleted comment; "paint" is in #4 and #5.
"""

from __future__ import annotations

import io
import json
import sqlite3

import pytest

from store.annotate import tag_units, undo
from store.database import open_database
from store.errors import ThreadmarkError
from store.segments import Unit, unit_name
from store.sentences import sentences_of
from tests.test_cli import assert_bad_input, write_other_thread

ME = "alice"
AS_ME = {"THREADMARK_ANNOTATOR": ME}
CLAIM, EVIDENCE, OFF_TOPIC = 1, 2, 9


@pytest.fixture
def db(seeded_db):
    connection = open_database(seeded_db)
    yield connection
    connection.close()


@pytest.fixture
def cli(call_cli, seeded_db):
    """The command line on the seeded database, as alice."""
    return lambda *args: call_cli(*args, "--db", seeded_db, env=AS_ME)


def said(result) -> str:
    """The one line a command says on stderr, after checking it succeeded quietly."""
    returncode, stdout, stderr = result
    assert returncode == 0, stderr
    assert stdout == ""
    assert len(stderr.splitlines()) == 1, stderr
    return stderr.strip()


def sentence(db, cluster_id: int, first: int, last: int | None = None) -> tuple[int, int]:
    text = db.execute("SELECT text FROM clusters WHERE id = ?", (cluster_id,)).fetchone()[0]
    spans = sentences_of(text)
    return spans[first - 1][0], spans[(last or first) - 1][1]


def tags_on(db) -> set[tuple]:
    """(comment id, segment range or None, tag id, annotator) of every annotation."""
    rows = db.execute(
        "SELECT a.cluster_id, s.start, s.end, a.tag_id, a.annotator FROM annotations a "
        "LEFT JOIN segments s ON s.id = a.segment_id"
    )
    return {(c, None if start is None else (start, end), t, who) for c, start, end, t, who in rows}


def links(db) -> set[tuple]:
    rows = db.execute(
        "SELECT l.source_cluster, s.start, s.end, l.target_cluster, t.start, t.end, l.kind, "
        "l.note, l.annotator FROM links l LEFT JOIN segments s ON s.id = l.source_segment "
        "LEFT JOIN segments t ON t.id = l.target_segment WHERE l.annotator IS NOT NULL"
    )
    return {
        (source, None if s1 is None else (s1, e1), target, None if s2 is None else (s2, e2), *rest)
        for source, s1, e1, target, s2, e2, *rest in rows
    }


def journal(db) -> list[tuple[str, str, dict]]:
    rows = db.execute("SELECT annotator, action, payload FROM events ORDER BY id")
    return [(who, action, json.loads(payload)) for who, action, payload in rows]


def described(db, event) -> str:
    """An undone change as the reader's status line says it."""
    return event.describe(lambda cluster, span: unit_name(db, Unit(cluster, span)))


def segment_count(db) -> int:
    return db.execute("SELECT count(*) FROM segments").fetchone()[0]


# --- tag ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "label", "cluster", "span_in"),
    [
        ("4", "#4", 4, lambda db: None),
        ("#4", "#4", 4, lambda db: None),
        ("4.2", "#4.2", 4, lambda db: sentence(db, 4, 2)),
        ("4.2-3", "#4.2-3", 4, lambda db: sentence(db, 4, 2, 3)),
        ("4:10-52", "#4:10-52", 4, lambda db: (10, 52)),
        # A one-sentence comment's sentence is the comment, as in the reader.
        ("3.1", "#3", 3, lambda db: None),
    ],
)
def test_tag_tags_the_unit_each_form_of_id_names(cli, db, unit, label, cluster, span_in):
    assert said(cli("tag", unit, "claim")) == f"tagged {label} claim"
    assert tags_on(db) == {(cluster, span_in(db), CLAIM, ME)}
    assert journal(db)[-1][:2] == (ME, "tag")


def test_a_tag_is_named_in_any_case_or_by_its_hotkey(cli, db):
    assert said(cli("tag", "4", "EVIDENCE")) == "tagged #4 evidence"
    assert said(cli("tag", "5", "1")) == "tagged #5 claim"
    assert tags_on(db) == {(4, None, EVIDENCE, ME), (5, None, CLAIM, ME)}


def test_tagging_twice_says_so_and_changes_nothing(cli, db):
    said(cli("tag", "4.2", "claim"))
    before = journal(db)

    assert said(cli("tag", "4.2", "claim")) == "#4.2 is already tagged claim; nothing changed"
    assert journal(db) == before
    assert len(tags_on(db)) == 1


def test_remove_untags_and_removing_an_absent_tag_changes_nothing(cli, db):
    said(cli("tag", "4.2", "claim"))
    assert said(cli("tag", "4.2", "claim", "--remove")) == "untagged #4.2 claim"
    assert tags_on(db) == set() and segment_count(db) == 0
    events = journal(db)

    assert (
        said(cli("tag", "4.2", "claim", "--remove")) == "#4.2 is not tagged claim; nothing changed"
    )
    assert journal(db) == events


def test_undo_reverses_a_scripted_tag_as_it_reverses_the_readers(cli, db):
    said(cli("tag", "4.2", "claim"))
    said(cli("tag", "5", "evidence"))

    assert described(db, undo(db, ME)) == "tag evidence on #5"
    assert tags_on(db) == {(4, sentence(db, 4, 2), CLAIM, ME)}
    assert described(db, undo(db, ME)) == "tag claim on #4.2"
    assert tags_on(db) == set() and segment_count(db) == 0  # the segment went with its tag
    assert undo(db, "bob") is None  # another annotator's stack is their own


def test_tag_search_tags_every_match_in_one_go_each_change_journaled(cli, db):
    said(cli("tag", "4", "claim"))  # one match is tagged already

    message = said(cli("tag", "--search", "paint", "claim"))

    assert message == "tagged 1 comment claim of the 2 comments matching 'paint'"
    assert tags_on(db) == {(4, None, CLAIM, ME), (5, None, CLAIM, ME)}
    assert [(action, event["cluster"]) for _, action, event in journal(db)] == [
        ("tag", 4),
        ("tag", 5),
    ]
    assert undo(db, ME).cluster_id == 5
    assert tags_on(db) == {(4, None, CLAIM, ME)}


def test_tag_search_remove_untags_the_matches(cli, db):
    said(cli("tag", "--search", "paint", "claim"))
    message = said(cli("tag", "--search", "PAINT", "claim", "--remove"))
    assert message == "untagged 2 comments claim of the 2 comments matching 'PAINT'"
    assert tags_on(db) == set()


def test_tag_search_leaves_deleted_comments_out(cli, db):
    # "creator" is only in #10, the deleted comment: a match, but nothing to tag.
    message = said(cli("tag", "--search", "creator", "claim"))
    assert message == "tagged 0 comments claim of the 0 comments matching 'creator'"
    assert tags_on(db) == set() and journal(db) == []


def test_a_batch_with_a_deleted_comment_in_it_tags_none(db):
    with pytest.raises(ThreadmarkError, match="deleted comment"):
        tag_units(db, [Unit(4), Unit(10)], CLAIM, ME)
    assert tags_on(db) == set() and journal(db) == []


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (("tag", "99", "claim"), "no comment #99 (its comments are #1 to #11)"),
        (("tag", "#99", "claim"), "no comment #99"),
        (("tag", "0", "claim"), "no comment #0"),
        (("tag", "4.13", "claim"), "#4 has 12 sentences: no 4.13"),
        (("tag", "4.0", "claim"), "#4 has 12 sentences"),
        (("tag", "4.3-2", "claim"), "#4 has 12 sentences"),
        (("tag", "3.2", "claim"), "#3 has 1 sentence: no 3.2"),
        (("tag", "4:50-10", "claim"), "#4 is 1407 characters long: 4:50-10 is not a range"),
        (("tag", "4:0-1408", "claim"), "is not a range"),
        (("tag", "abc", "claim"), "'abc' names no comment"),
        (("tag", "4.", "claim"), "names no comment"),
        (("tag", "-1", "claim"), "'-1' names no comment"),
        (("tag", "10.1", "claim"), "#10 is a deleted comment"),
        (("tag", "10", "claim"), "a deleted comment has no text to tag"),
        (("tag", "4", "nonsense"), "there is no tag named 'nonsense'"),
        (("tag", "claim"), "name one comment (ID) or --search QUERY"),
        (("tag", "4", "claim", "--search", "paint"), "name one comment"),
        (("tag", "--search", " ", "claim"), "--search needs words"),
        (("tag", "4", "claim", "--thread", "7"), "no thread 7"),
        (("tag", "4", "claim", "--annotator", " "), "annotator's name cannot be empty"),
        (("link", "5", "4", "--kind", "refutes"), "invalid choice: 'refutes'"),
        (("link", "5", "4"), "--kind"),
        (("link", "5", "5", "--kind", "rebuts"), "cannot be linked to itself"),
        (("link", "5", "4.99", "--kind", "rebuts"), "no 4.99"),
        (("link", "5", "4", "--kind", "rebuts", "--remove", "--note", "x"), "--note goes with"),
        (("note", "99", "text"), "no comment #99"),
        (("tags", "add", "Claim"), "there is already a tag named 'Claim'"),
        (("tags", "add", "new", "--hotkey", "1"), "hotkey 1 is taken by 'claim'"),
        (("tags", "add", "new", "--hotkey", "x"), "a hotkey is one of 1, 2,"),
        (("tags", "add", "new", "--color", "red"), "a tag colour is #rrggbb, not '#red'"),
        (("tags", "add", " "), "a tag name cannot be empty"),
        (("tags", "rename", "claim", "EVIDENCE"), "there is already a tag named 'evidence'"),
        (("tags", "rename", "nonsense", "x"), "no tag named 'nonsense'"),
        (("tags", "recolour", "claim", "#12345"), "a tag colour is #rrggbb"),
        (("tags", "hotkey", "claim", "2"), "hotkey 2 is taken by 'evidence'"),
        (("tags", "hotkey", "claim", "0"), "a hotkey is one of"),
        (("tags", "delete", "nonsense"), "no tag named 'nonsense'"),
        (("tags", "frobnicate"), "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    call_cli, seeded_db, fingerprint, args, mentions
):
    before = fingerprint(seeded_db)
    assert_bad_input(call_cli(*args, "--db", seeded_db, env=AS_ME), mentions=mentions)
    assert fingerprint(seeded_db) == before


def test_deleting_a_tag_in_use_needs_force_and_changes_nothing_without(
    cli, call_cli, seeded_db, fingerprint
):
    said(cli("tag", "4", "claim"))
    before = fingerprint(seeded_db)
    error = assert_bad_input(call_cli("tags", "delete", "claim", "--db", seeded_db))
    assert error.endswith("tag 'claim' is in use (1 annotation): --force deletes it and them")
    assert fingerprint(seeded_db) == before


def test_a_change_never_creates_a_database(call_cli, tmp_path):
    missing = tmp_path / "missing.db"
    assert_bad_input(call_cli("tag", "4", "claim", "--db", missing), mentions="no database at")
    assert not missing.exists()


def test_the_thread_is_the_only_one_else_the_one_named(call_cli, seeded_db, db, tmp_path):
    call_cli("import", write_other_thread(tmp_path / "other.txt"), "--db", seeded_db)

    error = assert_bad_input(call_cli("tag", "1", "claim", "--db", seeded_db))
    assert "the database has 2 threads: say which with --thread (1 '000_661a8b21aa12c001'" in error
    assert "2 'other'" in error

    said(call_cli("tag", "1", "claim", "--thread", "2", "--db", seeded_db, env=AS_ME))
    (other_first,) = db.execute(
        "SELECT id FROM clusters WHERE thread_id = 2 AND seq = 1"
    ).fetchone()
    assert tags_on(db) == {(other_first, None, CLAIM, ME)}


def test_a_database_with_no_thread_says_so(call_cli, db_path):
    open_database(db_path).close()
    assert_bad_input(call_cli("tag", "1", "claim", "--db", db_path), mentions="no threads yet")


# --- link --------------------------------------------------------------------------------------


def test_link_links_units_and_says_so_once(cli, db):
    assert said(cli("link", "5.1", "4.2-3", "--kind", "rebuts", "--note", "see")) == (
        "linked #5.1 rebuts #4.2-3"
    )
    expected = (5, sentence(db, 5, 1), 4, sentence(db, 4, 2, 3), "rebuts", "see", ME)
    assert links(db) == {expected}

    assert said(cli("link", "5.1", "4.2-3", "--kind", "rebuts")) == (
        "already linked: #5.1 rebuts #4.2-3; nothing changed"
    )
    assert len(journal(db)) == 1


def test_link_to_a_deleted_comment_is_allowed_as_in_the_reader(cli, db):
    assert said(cli("link", "11", "10", "--kind", "undercuts")) == "linked #11 undercuts #10"
    assert links(db) == {(11, None, 10, None, "undercuts", "", ME)}


def test_link_remove_unlinks_and_undo_brings_it_back(cli, db):
    said(cli("link", "5", "4:10-52", "--kind", "supports"))
    assert said(cli("link", "5", "4:10-52", "--kind", "supports", "--remove")) == (
        "unlinked #5 supports #4:10-52"
    )
    assert links(db) == set() and segment_count(db) == 0
    assert said(cli("link", "5", "4:10-52", "--kind", "supports", "--remove")) == (
        "there is no link #5 supports #4:10-52; nothing changed"
    )

    assert undo(db, ME).action == "unlink"
    assert links(db) == {(5, None, 4, (10, 52), "supports", "", ME)}


# --- note --------------------------------------------------------------------------------------


def notes(db) -> dict[tuple, str]:
    rows = db.execute(
        "SELECT n.cluster_id, s.start, s.end, n.annotator, n.text FROM notes n "
        "LEFT JOIN segments s ON s.id = n.segment_id"
    )
    return {(c, None if s is None else (s, e), who): text for c, s, e, who, text in rows}


def test_note_writes_replaces_and_an_empty_one_removes(cli, db):
    assert said(cli("note", "4", "first")) == "noted #4"
    assert said(cli("note", "4", "first")) == "your note on #4 is already that; nothing changed"
    assert said(cli("note", "4", "second")) == "replaced the note on #4"
    assert notes(db) == {(4, None, ME): "second"}

    assert said(cli("note", "4", "")) == "removed the note on #4"
    assert notes(db) == {}
    assert said(cli("note", "4", "")) == "you have no note on #4; nothing changed"
    assert [action for _, action, _ in journal(db)] == ["note"] * 3
    assert undo(db, ME).action == "note"
    assert notes(db) == {(4, None, ME): "second"}


def test_note_dash_reads_the_text_from_stdin(cli, db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO("two\nlines ✓\n".encode())))
    assert said(cli("note", "4.2", "-")) == "noted #4.2"
    assert notes(db) == {(4, sentence(db, 4, 2), ME): "two\nlines ✓"}


def test_a_note_on_stdin_that_is_not_utf8_is_refused(cli, db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"caf\xe9")))
    assert_bad_input(cli("note", "4", "-"), mentions="not UTF-8")
    assert notes(db) == {}


# --- tags --------------------------------------------------------------------------------------


def test_tags_lists_the_codebook_with_uses_on_stdout(cli):
    said(cli("tag", "4", "claim"))
    said(cli("tag", "4.2", "claim"))

    returncode, stdout, stderr = cli("tags")
    assert returncode == 0 and stderr == ""
    lines = stdout.splitlines()
    assert lines[0].split() == ["name", "hotkey", "colour", "uses"]
    assert lines[1].split() == ["claim", "1", "#4e9af1", "2"]
    assert lines[9].split() == ["off-topic", "9", "#8b949e", "0"]
    assert {line.index("#") for line in lines[1:]} == {lines[0].index("colour")}  # aligned

    returncode, stdout, _ = cli("tags", "list", "--json")
    assert returncode == 0
    listed = json.loads(stdout)
    assert listed[0] == {
        "name": "claim",
        "hotkey": "1",
        "color": "#4e9af1",
        "description": "States a position the author argues for",
        "uses": 2,
    }
    assert [tag["name"] for tag in listed][-1] == "off-topic"
    assert cli("tags", "--json")[1] == stdout


def test_hostile_tag_names_are_listed_inertly(cli, seeded_db):
    # A database made elsewhere can hold anything: the reader's own tags are cleaned.
    with sqlite3.connect(seeded_db) as raw:
        raw.execute("UPDATE tags SET name = ? WHERE id = 1", ("\x1b]52;c;evil\x07\u202eclaim",))
    raw.close()

    text = cli("tags")[1]
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "␛]52;c;evil␇⟨RLO⟩claim" in text
    assert json.loads(cli("tags", "--json")[1])[0]["name"] == "\x1b]52;c;evil\x07\u202eclaim"
    assert "\x1b" not in cli("tags", "--json")[1]


def test_tags_add_with_colour_hotkey_and_description(cli, db):
    said(cli("tags", "delete", "off-topic"))  # frees hotkey 9
    assert said(cli("tags", "add", "sarcasm", "--color", "ff00ff", "--description", "irony")) == (
        "added tag sarcasm (hotkey 9, #ff00ff)"
    )
    row = db.execute("SELECT hotkey, color, description FROM tags WHERE name = 'sarcasm'")
    assert row.fetchone() == ("9", "#ff00ff", "irony")
    assert journal(db)[-1] == (ME, "create_tag", {"tag": 9, "name": "sarcasm"})


def test_tags_rename_recolour_and_hotkey_each_journaled_once(cli, db):
    said(cli("tag", "4", "claim"))
    assert said(cli("tags", "rename", "CLAIM", "assertion")) == (
        "tag claim: name claim -> assertion"
    )
    assert said(cli("tags", "recolour", "assertion", "#000000")) == (
        "tag assertion: colour #4e9af1 -> #000000"
    )
    assert said(cli("tags", "hotkey", "assertion", "none")) == "tag assertion: hotkey 1 -> none"
    assert said(cli("tags", "hotkey", "assertion", "none")) == (
        "tag assertion: its hotkey is already none; nothing changed"
    )
    assert said(cli("tags", "hotkey", "evidence", "1")) == "tag evidence: hotkey 2 -> 1"

    row = db.execute("SELECT name, hotkey, color FROM tags WHERE id = ?", (CLAIM,)).fetchone()
    assert row == ("assertion", None, "#000000")
    assert tags_on(db) == {(4, None, CLAIM, ME)}  # the annotation keeps its renamed tag
    assert [(action, event["before"], event["after"]) for _, action, event in journal(db)[1:]] == [
        ("rename_tag", "claim", "assertion"),
        ("recolour_tag", "#4e9af1", "#000000"),
        ("set_tag_hotkey", "1", None),
        ("set_tag_hotkey", "2", "1"),
    ]


def test_force_deletes_a_tag_in_use_with_its_annotations_and_segments(cli, call_cli, db, seeded_db):
    said(cli("tag", "4.2", "claim"))
    said(call_cli("tag", "5", "claim", "--db", seeded_db, env={"THREADMARK_ANNOTATOR": "bob"}))
    said(cli("tag", "4.2", "evidence"))

    assert said(cli("tags", "delete", "claim", "--force")) == (
        "deleted tag claim and its 2 annotations"
    )
    assert tags_on(db) == {(4, sentence(db, 4, 2), EVIDENCE, ME)}
    assert db.execute("SELECT 1 FROM tags WHERE name = 'claim'").fetchone() is None
    assert journal(db)[-1] == (ME, "delete_tag", {"tag": CLAIM, "name": "claim", "annotations": 2})

    said(cli("tags", "delete", "evidence", "--force"))
    assert segment_count(db) == 0  # the segment went with its last tag


def test_no_undo_replays_a_change_of_a_deleted_tag(cli, call_cli, db, seeded_db):
    said(cli("tag", "4", "off-topic"))
    said(cli("tag", "4", "off-topic", "--remove"))
    said(call_cli("tag", "5", "off-topic", "--db", seeded_db, env={"THREADMARK_ANNOTATOR": "bob"}))
    said(cli("tag", "3", "claim"))
    said(cli("tags", "delete", "off-topic", "--force"))
    said(cli("tags", "add", "fresh"))  # takes the deleted tag's id
    assert db.execute("SELECT id FROM tags WHERE name = 'fresh'").fetchone() == (OFF_TOPIC,)

    assert undo(db, ME).cluster_id == 3  # the claim, past the deleted tag's changes
    assert undo(db, ME) is None
    assert undo(db, "bob") is None
    assert tags_on(db) == set()


# --- end to end --------------------------------------------------------------------------------


def test_a_script_tags_and_lists_through_the_real_command(run_cli, seeded_db, db):
    returncode, stdout, stderr = run_cli("tag", "4.2", "claim", "--db", seeded_db, env=AS_ME)
    assert (returncode, stdout, stderr) == (0, "", "tagged #4.2 claim\n")

    returncode, stdout, stderr = run_cli("tags", "list", "--json", "--db", seeded_db)
    assert returncode == 0 and stderr == ""
    assert json.loads(stdout)[0]["uses"] == 1
    assert described(db, undo(db, ME)) == "tag claim on #4.2"
