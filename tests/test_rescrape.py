"""A newer scrape of a thread already here updates it and keeps every code (store.rescrape),
through the store and through ``threadmark import``.

The fixtures are two scrapes of one Reddit thread and of one HN thread (Algolia).  Between the
Reddit scrapes alice edited the middle sentence of her comment, dave deleted his, erin's is
gone, gina and hank replied (hank quoting alice), frank posted his comment again with "!" and
ivy said dave's words.  Between the HN ones a comment was edited, one deleted, one is gone
and two replies are new.
"""

from __future__ import annotations

import gc
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import store.rescrape
from store import open_database
from store.annotate import add_link, set_note, toggle_tag
from store.codebook import list_tags
from store.detail import comment_detail
from store.errors import ThreadmarkError
from store.ingest import import_file
from store.queries import RowFilter, filtered_ids
from store.rescrape import update_thread
from store.segments import comment_sentences
from tests.test_cli import assert_bad_input, stats_json

FIXTURES = Path(__file__).parent / "fixtures"
REDDIT_1 = FIXTURES / "reddit_rescrape_1.json"
REDDIT_2 = FIXTURES / "reddit_rescrape_2.json"
HN_1 = FIXTURES / "hn_rescrape_1.json"
HN_2 = FIXTURES / "hn_rescrape_2.json"
OTHER_REDDIT = FIXTURES / "reddit_thread.json"  # another post
RELEASE_0_1_0 = FIXTURES / "release-0.1.0.threadmark"
ANNOTATOR = "alice"

ALICE_BEFORE = (
    "Recipes are lists of ingredients. Lists of facts are not copyrightable. "
    "The prose around them can be."
)
ALICE_AFTER = (
    "Recipes are lists of ingredients. Lists of facts are not protected by copyright. "
    "The prose around them can be."
)
# What every code is on, by table: the rows an update must leave as they were.
CODES = {
    "annotations": "cluster_id, segment_id, tag_id, annotator, created_at",
    "segments": "id, cluster_id, start, end",
    "notes": "cluster_id, segment_id, annotator, text, updated_at",
    "links": "id, source_cluster, source_segment, target_cluster, target_segment, kind, annotator",
}
# Everything an update may change, to show that one that should change nothing does not.
CONTENT = {
    **CODES,
    "clusters": "*",
    "comments": "*",
    "segments": "*",
    "links": "*",
    "clusters_fts": "rowid, text",
}


def rows(db: sqlite3.Connection, sql: str, args: tuple = ()) -> list[tuple]:
    return db.execute(sql, args).fetchall()


def dump(db: sqlite3.Connection, tables: dict[str, str]) -> dict[str, list[tuple]]:
    return {
        table: rows(db, f"SELECT {columns} FROM {table} ORDER BY rowid")
        for table, columns in tables.items()
    }


def cluster_of(db: sqlite3.Connection, platform_id: str) -> int:
    """The comment (cluster) an occurrence with this platform id belongs to."""
    return db.execute(
        "SELECT cluster_id FROM comments WHERE platform_id = ? ORDER BY id", (platform_id,)
    ).fetchone()[0]


def code_reddit_thread(db: sqlite3.Connection) -> None:
    """Tags on alice's comment and its three sentences, notes, a link onto her second sentence,
    and tags on the comments that the second scrape deletes (dave's) and lacks (erin's)."""
    whole, part = (tag.id for tag in list_tags(db)[:2])
    alice, bob = cluster_of(db, "c1"), cluster_of(db, "c2")
    toggle_tag(db, alice, whole, ANNOTATOR)
    sentences = comment_sentences(db, alice)
    assert len(sentences) == 3
    for sentence in sentences:
        toggle_tag(db, alice, part, ANNOTATOR, sentence)
    set_note(db, alice, ANNOTATOR, "the claim to check", span=sentences[1])
    set_note(db, bob, ANNOTATOR, "the reply that matters")
    add_link(db, bob, alice, "rebuts", ANNOTATOR, target_span=sentences[1])
    for platform_id in ("c4", "c5"):
        toggle_tag(db, cluster_of(db, platform_id), whole, ANNOTATOR)
    set_note(db, cluster_of(db, "c5"), ANNOTATOR, "erin's story")


@pytest.fixture(scope="session")
def coded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("coded") / "coded.db"
    db = open_database(path)
    import_file(db, REDDIT_1)
    code_reddit_thread(db)
    db.close()
    return path


@pytest.fixture
def coded_db(db_path: Path, coded_template: Path) -> Path:
    """A database with the first Reddit scrape imported as thread 1 and coded (closed)."""
    shutil.copyfile(coded_template, db_path)
    return db_path


@pytest.fixture
def db(coded_db: Path):
    connection = open_database(coded_db)
    yield connection
    connection.close()


def resaved(source: Path, target: Path, change=None) -> Path:
    """``source``'s JSON with ``change`` made to it, saved with other spacing than the
    fixtures' (so with another sha256 even unchanged)."""
    data = json.loads(source.read_text(encoding="utf-8"))
    if change is not None:
        change(data)
    target.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return target


def settled(fingerprint, path: Path) -> str | None:
    """``path``'s fingerprint once the connections ``call_cli`` left open are closed.

    A sqlite3 connection and its statement cache are a cycle that only the collector frees;
    until the last connection closes, what it wrote may sit in the -wal file, not in the
    database file.
    """
    gc.collect()
    return fingerprint(path)


# --- the update, through the store -------------------------------------------------------------


def test_an_update_counts_what_the_newer_scrape_changed(db):
    outcome = update_thread(db, REDDIT_2)
    assert (outcome.thread_id, outcome.already) == (1, False)
    counts = (outcome.new, outcome.folded, outcome.edited, outcome.deleted, outcome.gone)
    assert counts == (4, 1, 1, 1, 1)
    assert outcome.flagged == 2
    assert rows(db, "SELECT count(*) FROM threads") == [(1,)]
    assert rows(db, "SELECT source, thread_key FROM threads") == [
        ("reddit_rescrape_2.json", "reddit:t3_1rcp0a")
    ]


def test_every_code_on_the_comments_still_there_is_kept(db):
    before = dump(db, CODES)
    assert all(before.values())
    update_thread(db, REDDIT_2)
    after = dump(db, CODES)
    after["links"] = after["links"][: len(before["links"])]  # the new comments' links follow
    assert after == before


def test_an_edit_takes_the_new_text_and_keeps_the_old_one_as_an_occurrence(db):
    alice = cluster_of(db, "c1")
    update_thread(db, REDDIT_2)
    assert rows(db, "SELECT text, size, folded FROM clusters WHERE id = ?", (alice,)) == [
        (ALICE_AFTER, 2, "identity")
    ]
    canonical = rows(db, "SELECT canonical_comment_id FROM clusters WHERE id = ?", (alice,))
    occurrences = rows(
        db,
        "SELECT id, platform_id, position, text, folded FROM comments WHERE cluster_id = ? "
        "ORDER BY id",
        (alice,),
    )
    assert [(pid, text, folded) for _, pid, _, text, folded in occurrences] == [
        ("c1", ALICE_AFTER, None),
        ("c1", ALICE_BEFORE, "identity"),
    ]
    assert canonical == [(occurrences[0][0],)]
    assert occurrences[1][2] == rows(db, "SELECT max(position) FROM comments")[0][0] - 4
    # The full-text index finds the comment by its new words only, and is consistent.
    assert filtered_ids(db, 1, ANNOTATOR, RowFilter(search="protected")).tolist() == [alice]
    assert filtered_ids(db, 1, ANNOTATOR, RowFilter(search="copyrightable")).tolist() == []
    db.execute("INSERT INTO clusters_fts (clusters_fts, rank) VALUES ('integrity-check', 1)")


def test_a_segment_whose_words_changed_is_flagged_and_stays_where_it_was(db):
    alice = cluster_of(db, "c1")
    update_thread(db, REDDIT_2)
    assert rows(
        db,
        "SELECT start, end, coded_text FROM segments WHERE cluster_id = ? ORDER BY start",
        (alice,),
    ) == [
        (0, 33, None),  # "Recipes are lists of ingredients." is as it was
        (34, 71, "Lists of facts are not copyrightable."),
        (72, 101, "The prose around them can be."),  # the same words, but moved on
    ]
    segments = comment_detail(db, alice, ANNOTATOR).segments
    assert [(s.words, s.coded_words) for s in segments] == [
        ("Recipes are lists of ingredients.", None),
        (ALICE_AFTER[34:71], "Lists of facts are not copyrightable."),
        (ALICE_AFTER[72:101], "The prose around them can be."),
    ]


def test_words_a_later_edit_brings_back_are_no_longer_flagged(db, tmp_path):
    update_thread(db, REDDIT_2)

    def back_to_the_first_words_but_the_last(data):
        data[1]["data"]["children"][0]["data"]["body"] = ALICE_BEFORE.replace("be.", "be!")

    outcome = update_thread(
        db, resaved(REDDIT_2, tmp_path / "third.json", back_to_the_first_words_but_the_last)
    )
    assert (outcome.edited, outcome.flagged) == (1, 1)
    assert rows(
        db, "SELECT start, coded_text FROM segments WHERE cluster_id = ? ORDER BY start",
        (cluster_of(db, "c1"),),
    ) == [(0, None), (34, None), (72, "The prose around them can be.")]  # fmt: skip


def test_deleted_and_gone_comments_keep_their_text_and_codes(db):
    dave, erin = cluster_of(db, "c4"), cluster_of(db, "c5")
    before = rows(
        db, "SELECT id, text, is_tombstone, size FROM clusters WHERE id IN (?, ?)", (dave, erin)
    )
    update_thread(db, REDDIT_2)
    assert (
        rows(
            db, "SELECT id, text, is_tombstone, size FROM clusters WHERE id IN (?, ?)", (dave, erin)
        )
        == before
    )
    assert rows(
        db, "SELECT count(*) FROM annotations WHERE cluster_id IN (?, ?)", (dave, erin)
    ) == [(2,)]
    assert rows(db, "SELECT text FROM notes WHERE cluster_id = ?", (erin,)) == [("erin's story",)]
    assert rows(db, "SELECT count(*) FROM comments WHERE platform_id IN ('c4', 'c5')") == [(2,)]


def test_new_comments_take_the_next_numbers_and_their_places_in_the_tree(db):
    numbers = dict(rows(db, "SELECT id, seq FROM clusters"))
    alice, bob = cluster_of(db, "c1"), cluster_of(db, "c2")
    update_thread(db, REDDIT_2)
    assert dict(rows(db, "SELECT id, seq FROM clusters WHERE seq <= 6")) == numbers
    new = rows(
        db,
        "SELECT c.seq, o.platform_id, c.parent_cluster_id, c.depth FROM clusters c "
        "JOIN comments o ON o.id = c.canonical_comment_id WHERE c.seq > 6 ORDER BY c.seq",
    )
    assert new == [(7, "c7", bob, 2), (8, "c8", alice, 1), (9, "c10", None, 0)]
    gina, hank = cluster_of(db, "c7"), cluster_of(db, "c8")
    links = rows(
        db,
        "SELECT source_cluster, target_cluster, kind, annotator FROM links "
        "WHERE source_cluster IN (?, ?)",
        (gina, hank),
    )
    assert set(links) == {
        (gina, bob, "replies_to", None),
        (hank, alice, "replies_to", None),
        (hank, alice, "quotes", None),
    }
    assert filtered_ids(db, 1, ANNOTATOR, RowFilter(search="blogs")).tolist() == [gina]
    positions = rows(db, "SELECT position FROM comments WHERE thread_id = 1 ORDER BY position")
    assert positions == [(n,) for n in range(1, len(positions) + 1)]


def test_a_repeat_of_a_comment_here_folds_into_it_and_the_same_words_are_grouped(db):
    frank, dave = cluster_of(db, "c6"), cluster_of(db, "c4")
    update_thread(db, REDDIT_2)
    assert cluster_of(db, "c9") == frank
    assert rows(db, "SELECT size, folded FROM clusters WHERE id = ?", (frank,)) == [(2, "near")]
    ivy = cluster_of(db, "c10")
    assert ivy not in (frank, dave)  # ivy's words are dave's, but she is not dave
    groups = rows(db, "SELECT id, text_group FROM clusters WHERE id IN (?, ?)", (dave, ivy))
    assert sorted(groups) == [(dave, dave), (ivy, dave)]


def test_the_same_scrape_saved_again_changes_no_comment(db, tmp_path):
    update_thread(db, REDDIT_2)
    before = dump(db, CONTENT)
    outcome = update_thread(db, resaved(REDDIT_2, tmp_path / "again.json"))
    counts = (outcome.new, outcome.edited, outcome.deleted, outcome.gone, outcome.flagged)
    assert counts == (0, 0, 1, 1, 0)  # dave's is still deleted, erin's still gone
    assert dump(db, CONTENT) == before


def test_the_same_file_again_is_already_imported_and_changes_nothing(db):
    update_thread(db, REDDIT_2)
    before = dump(db, {**CONTENT, "threads": "*"})
    outcome = update_thread(db, REDDIT_2)
    assert (outcome.thread_id, outcome.already, outcome.new) == (1, True, 0)
    assert dump(db, {**CONTENT, "threads": "*"}) == before


def test_an_older_scrape_after_the_newer_one_changes_no_comment(db):
    update_thread(db, REDDIT_2)
    before = dump(db, CONTENT)
    outcome = update_thread(db, REDDIT_1)  # its sha256 is no longer the thread's
    assert (outcome.already, outcome.new, outcome.edited, outcome.deleted) == (False, 0, 0, 0)
    assert outcome.gone == 4  # the comments only the newer scrape has
    assert dump(db, CONTENT) == before


def test_a_failed_update_leaves_nothing_behind(db, monkeypatch):
    before = dump(db, {**CONTENT, "threads": "*"})

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store.rescrape, "write_structural_links", explode)
    with pytest.raises(RuntimeError):
        update_thread(db, REDDIT_2)
    assert dump(db, {**CONTENT, "threads": "*"}) == before


def test_a_hacker_news_rescrape(open_db):
    db = open_db()
    import_file(db, HN_1)
    outcome = update_thread(db, HN_2)
    counts = (outcome.new, outcome.folded, outcome.edited, outcome.deleted, outcome.gone)
    assert counts == (2, 0, 1, 1, 1)
    assert rows(db, "SELECT thread_key FROM threads") == [("hn:40000000",)]
    deleted, edited = cluster_of(db, "40000003"), cluster_of(db, "40000005")
    assert rows(db, "SELECT text, is_tombstone FROM clusters WHERE id = ?", (deleted,)) == [
        ("Please keep this on topic, everyone.", 0)
    ]
    assert rows(db, "SELECT text FROM comments WHERE cluster_id = ? ORDER BY id", (edited,)) == [
        ("I print them. Acid-free paper lasts a century.",),
        ("I print them. Paper lasts.",),
    ]
    assert rows(
        db,
        "SELECT o.platform_id, p.platform_id FROM clusters c "
        "JOIN comments o ON o.id = c.canonical_comment_id "
        "JOIN clusters pc ON pc.id = c.parent_cluster_id "
        "JOIN comments p ON p.id = pc.canonical_comment_id WHERE c.seq > 5 ORDER BY c.seq",
    ) == [("40000006", "40000002"), ("40000007", "40000005")]


def test_a_source_without_ids_adds_only_the_texts_not_already_there(open_db, tmp_path):
    db = open_db()
    first = tmp_path / "lines.txt"
    first.write_text("same here\na comment of its own\nsame here\n", encoding="utf-8")
    import_file(db, first)
    grown = tmp_path / "grown.txt"
    grown.write_text(
        "same here\na comment of its own\nsame here\nsame here\nand a new one\n", encoding="utf-8"
    )
    outcome = update_thread(db, grown, thread_id=1)
    assert (outcome.new, outcome.folded, outcome.edited, outcome.gone) == (2, 1, 0, 0)
    assert rows(db, "SELECT seq, text, size FROM clusters ORDER BY seq") == [
        (1, "same here", 3),
        (2, "a comment of its own", 1),
        (3, "and a new one", 1),
    ]
    shrunk = tmp_path / "shrunk.txt"
    shrunk.write_text("a comment of its own\n", encoding="utf-8")
    outcome = update_thread(db, shrunk, thread_id=1)
    assert (outcome.new, outcome.gone) == (0, 4)
    assert rows(db, "SELECT count(*) FROM comments") == [(5,)]


def test_an_update_without_a_thread_of_its_key_is_refused(open_db):
    db = open_db()
    import_file(db, HN_1)
    with pytest.raises(ThreadmarkError, match="no thread here was read from the same"):
        update_thread(db, REDDIT_2)


# --- through the command line ------------------------------------------------------------------


def test_importing_a_newer_scrape_updates_its_thread_and_says_so(call_cli, coded_db, fingerprint):
    before = settled(fingerprint, coded_db)
    returncode, stdout, stderr = call_cli("import", REDDIT_2, "--db", coded_db)
    assert (returncode, stdout) == (0, "")
    assert stderr == (
        f"updated thread 1 from {REDDIT_2}: 4 new comments (1 folded into earlier ones), "
        "1 edited, 1 deleted, 1 gone; 2 coded segments flagged: text changed since coded\n"
    )
    assert stats_json(call_cli, coded_db)["threads"] == 1
    updated = settled(fingerprint, coded_db)
    assert updated != before
    returncode, _, stderr = call_cli("import", REDDIT_2, "--db", coded_db)
    assert (returncode, stderr) == (0, f"threadmark: {REDDIT_2} is already imported as thread 1\n")
    assert settled(fingerprint, coded_db) == updated


def test_update_names_the_thread_of_a_source_without_a_key(call_cli, db_path, tmp_path):
    first = tmp_path / "first.txt"
    first.write_text("one comment here\nanother comment there\n", encoding="utf-8")
    grown = tmp_path / "grown.txt"
    grown.write_text("one comment here\nanother comment there\na third\n", encoding="utf-8")
    assert call_cli("import", first, "--db", db_path)[0] == 0
    returncode, _, stderr = call_cli("import", grown, "--update", "1", "--db", db_path)
    assert (returncode, stderr) == (
        0,
        f"updated thread 1 from {grown}: 1 new comment, 0 edited, 0 deleted, 0 gone\n",
    )
    assert stats_json(call_cli, db_path)["threads"] == 1


def test_two_scrapes_of_a_new_thread_in_one_import_make_one_thread(call_cli, db_path):
    returncode, _, stderr = call_cli("import", REDDIT_1, REDDIT_2, "--db", db_path)
    assert returncode == 0
    assert stderr.splitlines() == [
        f"imported {REDDIT_1} as thread 1: 6 comments (reddit), 0 folded into earlier ones",
        f"updated thread 1 from {REDDIT_2}: 4 new comments (1 folded into earlier ones), "
        "1 edited, 1 deleted, 1 gone",
    ]
    assert stats_json(call_cli, db_path)["threads"] == 1


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (["--update", "7", REDDIT_2], "no thread 7 in the database"),
        (["--update", "1", HN_2], "is a hn thread, but thread 1 was read from reddit"),
        (["--update", "1", OTHER_REDDIT], "is a scrape of reddit:t3_18wxyz1, but thread 1 is "
                                          "of reddit:t3_1rcp0a"),
        (["--update", "1", FIXTURES / "missing.json"], "missing.json: no such file"),
        (["--update", "2", REDDIT_1], "is the file of thread 1, not of 2"),
        ([REDDIT_2, FIXTURES / "missing.json"], "missing.json: no such file; nothing imported"),
    ],
)  # fmt: skip
def test_a_bad_update_is_one_error_line_and_changes_nothing(
    call_cli, coded_db, fingerprint, files, message
):
    before = settled(fingerprint, coded_db)
    assert_bad_input(call_cli("import", *files, "--db", coded_db), mentions=message)
    assert settled(fingerprint, coded_db) == before


def test_update_into_no_database_makes_none(call_cli, tmp_path):
    missing = tmp_path / "none.db"
    assert_bad_input(
        call_cli("import", "--update", "1", REDDIT_2, "--db", missing),
        mentions="no thread 1 in the database",
    )
    assert not missing.exists()


def test_a_failure_while_storing_an_update_changes_nothing(
    call_cli, coded_db, fingerprint, monkeypatch
):
    def full(*args, **kwargs):
        raise ThreadmarkError("no room left on the disk")

    monkeypatch.setattr(store.rescrape, "write_structural_links", full)
    before = settled(fingerprint, coded_db)
    assert_bad_input(call_cli("import", REDDIT_2, "--db", coded_db), mentions="no room left")
    assert settled(fingerprint, coded_db) == before


def test_a_thread_from_an_older_threadmark_is_updated_by_naming_it(call_cli, tmp_path):
    """Threads imported before keys were kept have none: --update names one, which then takes
    the scrape's key, so the next scrape is recognised."""
    old = tmp_path / "old.db"
    shutil.copyfile(RELEASE_0_1_0, old)
    with sqlite3.connect(old) as conn:
        codes = conn.execute("SELECT count(*) FROM annotations").fetchone()

    def with_reply(platform_id: str, body: str):
        def change(data):
            comments = data[1]["data"]["children"]
            reply = json.loads(json.dumps(comments[0]))
            reply["data"].update(id=platform_id, body=body, replies="")
            comments.append(reply)

        return change

    newer = resaved(
        OTHER_REDDIT, tmp_path / "newer.json", with_reply("kz1", "A reply the first scrape missed.")
    )
    returncode, _, stderr = call_cli("import", newer, "--update", "2", "--db", old)
    assert (returncode, stderr) == (
        0,
        f"updated thread 2 from {newer}: 1 new comment, 0 edited, 0 deleted, 0 gone\n",
    )
    with sqlite3.connect(old) as conn:
        assert conn.execute("SELECT thread_key FROM threads WHERE id = 2").fetchone() == (
            "reddit:t3_18wxyz1",
        )
        assert conn.execute("SELECT count(*) FROM annotations").fetchone() == codes
    newest = resaved(
        newer, tmp_path / "newest.json", with_reply("kz2", "Another, posted after the second.")
    )
    returncode, _, stderr = call_cli("import", newest, "--db", old)
    assert stderr.startswith(f"updated thread 2 from {newest}: 1 new comment,")


def test_the_json_export_of_an_updated_thread_keeps_the_old_text(call_cli, coded_db, tmp_path):
    assert call_cli("import", REDDIT_2, "--db", coded_db)[0] == 0
    out = tmp_path / "out.json"
    returncode, _, stderr = call_cli("export", "--format", "json", "-o", out, "--db", coded_db)
    assert returncode == 0, stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    alice = next(c for c in data["comments"] if c["text"] == ALICE_AFTER)
    assert [o.get("text") for o in alice["occurrences"]] == [None, ALICE_BEFORE]
    assert len(data["comments"]) == 9


@pytest.mark.usefixtures("reader_home")
async def test_opening_the_reader_on_a_newer_scrape_updates_its_thread(coded_db):
    from tests.reader_support import SIZE, reader, wait_until

    app = reader(coded_db, import_path=REDDIT_2)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.reader is not None)
        assert app.reader.thread_id == 1  # the same thread, not a second one
        db = app.db
        assert db.execute("SELECT count(*) FROM threads").fetchone() == (1,)
        assert db.execute("SELECT count(*) FROM clusters").fetchone() == (9,)
        assert rows(db, "SELECT count(*) FROM segments WHERE coded_text IS NOT NULL") == [(2,)]
