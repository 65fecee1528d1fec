"""The JSON export as a backup that import restores whole, and ``threadmark merge``: threads,
clusters, segments, codebook, taggings with their annotators and times, notes, links and the
journal come in; nothing is lost, nothing doubled, and doing it twice changes nothing."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from store import add_link, create_tag, import_file, open_database, set_note, toggle_tag
from store.annotate import undo
from store.segments import comment_sentences
from tests.test_cli import assert_bad_input
from tests.test_export import exported_json

CLAIM, EVIDENCE = 1, 2
FIXTURES = Path(__file__).parent / "fixtures"
# Every table a merge writes, in an order that shows what changed.
TABLES = ("threads", "clusters", "comments", "tags", "segments", "annotations", "notes", "links")


def annotate(db: sqlite3.Connection, annotator: str) -> None:
    """Whole-comment and sentence tags, notes on both, links between sentences and comments."""
    first, second = comment_sentences(db, 5)[:2]
    target = comment_sentences(db, 4)[1]
    toggle_tag(db, 1, CLAIM, annotator)
    toggle_tag(db, 2, EVIDENCE, annotator)
    toggle_tag(db, 5, CLAIM, annotator, first)
    toggle_tag(db, 5, EVIDENCE, annotator, second)
    set_note(db, 5, annotator, f"{annotator} on a sentence", span=first)
    set_note(db, 1, annotator, f"{annotator} on the comment")
    add_link(db, 5, 4, "rebuts", annotator, "not so", source_span=first, target_span=target)
    add_link(db, 3, 1, "supports", annotator)


@pytest.fixture
def coded(tmp_path, seed_path) -> Path:
    """The seed coded by alice, with a tag of her own in a colour of her choosing."""
    path = tmp_path / "coded.db"
    db = open_database(path)
    import_file(db, seed_path)
    annotate(db, "alice")
    own = create_tag(db, "concession (partial)", "alice", color="#123456")
    toggle_tag(db, 6, own.id, "alice")
    db.close()
    return path


def rows(path: Path) -> dict[str, list[tuple]]:
    """Every row a merge may write, table by table."""
    db = sqlite3.connect(path)
    try:
        return {
            table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() for table in TABLES
        }
    finally:
        db.close()


def export_of(path: Path) -> dict:
    db = open_database(path)
    try:
        return exported_json(db)
    finally:
        db.close()


def test_a_json_export_restores_into_a_new_database_as_the_same_document(call_cli, coded, tmp_path):
    backup, restored = tmp_path / "backup.json", tmp_path / "restored.db"
    assert call_cli("export", "--db", coded, "--format", "json", "-o", backup)[0] == 0
    returncode, stdout, stderr = call_cli("import", backup, "--db", restored)
    assert (returncode, stdout) == (0, "")
    assert stderr == (
        f"restored {backup}: 1 thread (1 new), 11 new comments, 10 new tags, 5 taggings, "
        "2 notes, 2 links\n"
    )
    original = json.loads(backup.read_text("utf-8"))
    assert export_of(restored) == original  # times, colours, hotkeys, segments, ends: all
    assert original["comments"][4]["segments"][0]["annotations"][0]["annotator"] == "alice"
    assert {tag["name"]: tag["color"] for tag in original["tags"]}["concession (partial)"] == (
        "#123456"
    )


def test_a_restored_change_is_undone_like_any_other(call_cli, coded, tmp_path):
    backup, restored = tmp_path / "backup.json", tmp_path / "restored.db"
    with closing(sqlite3.connect(coded)) as db, db:  # made a minute apart, not a millisecond
        db.execute(
            "UPDATE links SET created_at = '2031-01-01T00:01:00.000Z' WHERE kind = 'supports'"
        )
    call_cli("export", "--db", coded, "--format", "json", "-o", backup)
    exported = json.loads(backup.read_text("utf-8"))["links"]
    assert [link["kind"] for link in exported if link["annotator"]] == ["supports", "rebuts"]
    call_cli("import", backup, "--db", restored)
    db = open_database(restored)
    event = undo(db, "alice")  # her last change, as she made it (not as listed): a link
    assert (event.action, event.payload["kind"]) == ("link", "supports")
    assert db.execute("SELECT count(*) FROM links WHERE kind = 'supports'").fetchone()[0] == 0
    db.close()


def test_restoring_or_merging_again_changes_nothing(call_cli, coded, tmp_path):
    backup, other = tmp_path / "backup.json", tmp_path / "other.db"
    call_cli("export", "--db", coded, "--format", "json", "-o", backup)
    before = rows(coded)
    assert call_cli("import", backup, "--db", coded)[2] == (
        f"restored {backup}: 1 thread (0 new): nothing new\n"
    )
    assert rows(coded) == before
    call_cli("import", backup, "--db", other)
    once = rows(other)
    for _ in range(2):
        assert call_cli("merge", coded, "--db", other)[2] == (
            f"merged {coded}: 1 thread (0 new): nothing new\n"
        )
        assert rows(other) == once


def test_merge_brings_in_another_annotators_codes_and_reports_codebook_conflicts(
    call_cli, coded, tmp_path, seed_path, fingerprint
):
    theirs = tmp_path / "theirs.db"
    db = open_database(theirs)
    import_file(db, seed_path)  # the same source file: the same thread
    annotate(db, "bob")
    db.execute("UPDATE tags SET color = '#000000' WHERE id = ?", (CLAIM,))
    mine = create_tag(db, "bob's tag", "bob")
    toggle_tag(db, 7, mine.id, "bob")
    db.close()
    untouched = fingerprint(theirs)

    returncode, _, stderr = call_cli("merge", theirs, "--db", coded)
    assert returncode == 0, stderr
    assert f"threadmark: warning: {theirs}: tag claim: kept its color" in stderr
    assert stderr.endswith(
        f"merged {theirs}: 1 thread (0 new), 0 new comments, 1 new tag, 5 taggings, 2 notes, "
        "2 links\n"
    )
    assert fingerprint(theirs) == untouched
    data = export_of(coded)
    assert len(data["threads"]) == 1
    sentence = data["comments"][4]["segments"][0]
    assert [(a["tag"], a["annotator"]) for a in sentence["annotations"]] == [
        ("claim", "alice"),
        ("claim", "bob"),
    ]
    rebuts = [
        (link["annotator"], link["source_unit"], link["target_unit"])
        for link in data["links"]
        if link["kind"] == "rebuts"
    ]
    assert rebuts == [("alice", "#5.1", "#4.2"), ("bob", "#5.1", "#4.2")]
    assert {tag["name"]: tag["color"] for tag in data["tags"]}["claim"] != "#000000"
    assert "bob's tag" in data["comments"][6]["tags"]


def test_merge_adds_a_thread_the_database_lacks_with_its_codes(call_cli, coded, tmp_path):
    other = tmp_path / "other.db"
    source = tmp_path / "other.txt"
    source.write_text("one comment\nanother comment\n", encoding="utf-8")
    db = open_database(other)
    thread = import_file(db, source).thread_id
    toggle_tag(db, 1, CLAIM, "carol")
    add_link(db, 2, 1, "rebuts", "carol")
    db.close()

    assert call_cli("merge", other, "--db", coded)[0] == 0
    data = export_of(coded)
    added = [c for c in data["comments"] if c["thread"] != 1]
    assert [(c["number"], c["text"], c["tags"]) for c in added] == [
        (1, "one comment", ["claim"]),
        (2, "another comment", []),
    ]
    assert thread == 1 and {t["id"] for t in data["threads"]} == {1, 2}
    (link,) = [link for link in data["links"] if link["annotator"] == "carol"]
    assert (link["source"], link["target"]) == (added[1]["id"], added[0]["id"])


def test_merge_reads_a_database_of_the_first_release_without_upgrading_it(
    call_cli, coded, tmp_path, fingerprint
):
    old = tmp_path / "old.threadmark"
    shutil.copy(FIXTURES / "release-0.1.0.threadmark", old)
    untouched = fingerprint(old)
    returncode, _, stderr = call_cli("merge", old, "--db", coded)
    assert returncode == 0, stderr
    assert fingerprint(old) == untouched
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("old")) == [
        "old.threadmark"  # no -wal or -shm left beside it
    ]
    assert stderr == (
        f"merged {old}: 2 threads (1 new), 8 new comments, 1 new tag, 3 taggings, 1 note, 2 links\n"
    )


@pytest.mark.parametrize("kind", ["not threadmark's", "newer", "missing", "itself", "text"])
def test_a_bad_merge_is_one_error_and_changes_neither_database(
    call_cli, coded, tmp_path, fingerprint, kind
):
    other = tmp_path / "other.db"
    if kind == "not threadmark's":
        sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    elif kind == "newer":
        shutil.copy(coded, other)
        sqlite3.connect(other).execute("PRAGMA user_version = 99").connection.commit()
    elif kind == "itself":
        other = coded
    elif kind == "text":
        other.write_text("not a database at all\n" * 100)
    before, theirs = fingerprint(coded), fingerprint(other)
    assert_bad_input(call_cli("merge", other, "--db", coded))
    assert (fingerprint(coded), fingerprint(other)) == (before, theirs)


def test_merge_into_a_database_that_does_not_exist_yet_makes_it_only_on_success(
    call_cli, coded, tmp_path
):
    target = tmp_path / "new.db"
    assert_bad_input(call_cli("merge", tmp_path / "missing.db", "--db", target))
    assert not target.exists()
    assert call_cli("merge", coded, "--db", target)[0] == 0
    assert export_of(target) == export_of(coded)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data["comments"][0].update(thread=99),  # a thread the export lacks
        lambda data: data["comments"][0].update(text=None),
        lambda data: data["comments"][1]["occurrences"][0].update(position=1),  # a repeat
        lambda data: data["links"].append({"source": 1, "target": 2, "kind": "hates"}),
        lambda data: data.update(tags={"claim": 1}),
        # values of the wrong kind, or past what SQLite or a float holds
        lambda data: data["threads"][0].update(threshold=10**400),
        lambda data: data["threads"][0].update(fold="bogus"),
        lambda data: data["comments"][0].update(id=10**30),
        lambda data: data["comments"][0].update(occurrences="abc"),
        lambda data: data["comments"][0].update(depth=[1]),
    ],
)
def test_an_inconsistent_backup_is_one_error_and_restores_nothing(
    call_cli, coded, tmp_path, fingerprint, damage
):
    backup, target = tmp_path / "backup.json", tmp_path / "target.db"
    call_cli("export", "--db", coded, "--format", "json", "-o", backup)
    data = json.loads(backup.read_text("utf-8"))
    damage(data)
    backup.write_text(json.dumps(data), encoding="utf-8")
    open_database(target).close()
    before = fingerprint(target)
    assert_bad_input(call_cli("import", backup, "--db", target), mentions="backup.json")
    assert fingerprint(target) == before


def test_a_hand_made_export_without_sha256_restores_once(call_cli, tmp_path):
    target = tmp_path / "target.db"
    fixture = FIXTURES / "export.json"
    assert call_cli("import", fixture, "--db", target)[0] == 0
    again = call_cli("import", fixture, "--db", target)
    assert again[2].endswith(": 2 threads (0 new): nothing new\n")
    data = export_of(target)
    assert [(c["thread"], c["text"]) for c in data["comments"]] == [
        (1, "The first comment."),
        (1, "deleted by creator"),
        (2, "A comment of the other thread."),
    ]
    assert data["comments"][0]["annotations"][0]["created_at"] == "2024-02-01T00:00:00Z"


def test_a_rescraped_thread_restores_with_its_key_and_flagged_segments(call_cli, tmp_path):
    from tests.test_rescrape import REDDIT_1, REDDIT_2, code_reddit_thread

    coded, backup, restored = tmp_path / "coded.db", tmp_path / "b.json", tmp_path / "r.db"
    db = open_database(coded)
    import_file(db, REDDIT_1)
    code_reddit_thread(db)
    db.close()
    assert call_cli("import", REDDIT_2, "--db", coded)[0] == 0  # an update: flags segments
    call_cli("export", "--db", coded, "--format", "json", "-o", backup)
    original = json.loads(backup.read_text("utf-8"))
    assert original["threads"][0]["thread_key"].startswith("reddit:")
    assert any(s["coded_text"] for c in original["comments"] for s in c["segments"])
    assert call_cli("import", backup, "--db", restored)[0] == 0
    assert export_of(restored) == original
    # and the restored thread takes the next scrape as its own
    assert "already imported" in call_cli("import", REDDIT_2, "--db", restored)[2]


def test_merging_a_thread_folded_otherwise_adds_no_reply_links_of_its_folding(call_cli, tmp_path):
    """Replies and quotes follow from a thread's own folding: the other side's are not
    mapped onto comments folded another way (they would link a reply to the wrong one)."""
    source = tmp_path / "thread.csv"
    source.write_text(
        "id,parent,author,text\n"
        "a1,,alice,The moon landing was filmed in a studio\n"
        "a2,a1,bob,The moon landing was filmed in a studio\n"
        "a3,,carol,Nonsense and you know it\n"
        "a4,a3,dave,The moon landing was filmed in a studio\n",
        encoding="utf-8",
    )
    by_author, across = tmp_path / "by.db", tmp_path / "across.db"
    call_cli("import", source, "--db", by_author, "--fold", "by-author")
    call_cli("import", source, "--db", across, "--fold", "across-authors")
    before = rows(by_author)["links"]
    assert call_cli("merge", across, "--db", by_author)[0] == 0
    assert rows(by_author)["links"] == before


def test_a_codebook_made_by_hand_survives_a_merge_into_a_database_with_no_threads(
    call_cli, coded, tmp_path
):
    target = tmp_path / "target.db"
    open_database(target).close()
    assert call_cli("tags", "add", "mycode", "--db", target)[0] == 0
    assert call_cli("merge", coded, "--db", target)[0] == 0
    names = {tag["name"] for tag in export_of(target)["tags"]}
    assert {"mycode", "claim", "concession (partial)"} <= names


@pytest.mark.parametrize("command", [["stats"], ["export", "--format", "json"], ["agreement"]])
def test_a_thread_id_past_what_sqlite_holds_is_one_error(call_cli, coded, command):
    assert_bad_input(call_cli(*command, "--db", coded, "--thread", "99999999999999999999"))
