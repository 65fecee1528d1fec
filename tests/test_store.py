"""The database: schema and pragmas, re-opening, the starter codebook, what an import stores
(clusters, occurrences, positions, authors, counts), and full-text search that never raises."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

import store.ingest
from store import ThreadmarkError, import_file, open_database, thread_stats, toggle_tag
from store.queries import RowFilter, ThreadView
from store.schema import APPLICATION_ID, MIGRATIONS

SEED_UNIQUE_POSITIONS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 20]  # canonical occurrence of each cluster
SEED_COUNTS = {"threads": 1, "comments": 20, "unique": 10, "tombstones": 1, "duplicates": 9}


@pytest.fixture
def seed_db(open_db, seed_path):
    db = open_db()
    assert import_file(db, seed_path).thread_id == 1
    return db


def rows(db, sql, *args):
    return db.execute(sql, args).fetchall()


# --- schema, pragmas, identity ---------------------------------------------------------------


def test_a_new_database_has_the_schema_pragmas_and_identity(open_db, db_path):
    db = open_db()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) >= 1
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    tables = {row[0] for row in rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"threads", "comments", "clusters", "tags", "annotations", "links", "notes",
            "events", "clusters_fts"} <= tables  # fmt: skip

    # The pragmas that live in the file are seen by any other connection too.
    other = sqlite3.connect(db_path)
    try:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert other.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert other.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    finally:
        other.close()


def test_foreign_keys_are_enforced(seed_db):
    with pytest.raises(sqlite3.IntegrityError):
        seed_db.execute(
            "INSERT INTO annotations (cluster_id, tag_id, annotator, created_at) "
            "VALUES (999, 1, 'alice', 'now')"
        )
    assert rows(seed_db, "SELECT count(*) FROM annotations") == [(0,)]


def test_annotating_an_unknown_comment_is_a_user_error(seed_db):
    with pytest.raises(ThreadmarkError, match="no comment with id 999"):
        toggle_tag(seed_db, 999, 1, "alice")
    assert rows(seed_db, "SELECT count(*) FROM events") == [(0,)]  # rolled back with it


def test_the_starter_codebook_is_on_every_new_database(open_db, seed_path):
    codebook = json.loads((seed_path.parent / "codebook.json").read_text("utf-8"))["tags"]
    db = open_db()
    stored = rows(db, "SELECT name, hotkey, color, description FROM tags ORDER BY hotkey")
    assert [row[1] for row in stored] == [str(n) for n in range(1, 10)]
    assert stored == [
        (tag["name"], tag["hotkey"], tag["color"], tag["description"]) for tag in codebook
    ]


def test_reopening_keeps_the_data_and_does_not_reinstall_the_codebook(open_db, db_path, seed_path):
    db = open_db()
    import_file(db, seed_path)
    toggle_tag(db, 3, 2, "alice")
    db.execute("UPDATE tags SET description = 'mine' WHERE name = 'claim'")
    before = thread_stats(db)
    db.close()

    again = open_db()
    assert thread_stats(again) == before
    assert rows(again, "SELECT cluster_id, tag_id, annotator FROM annotations") == [(3, 2, "alice")]
    assert rows(again, "SELECT count(*) FROM tags") == [(9,)]
    assert rows(again, "SELECT description FROM tags WHERE name = 'claim'") == [("mine",)]
    assert again.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert import_file(again, seed_path).created is False
    assert thread_stats(again) == before


def test_open_without_create_does_not_make_a_file(tmp_path):
    path = tmp_path / "absent.db"
    with pytest.raises(ThreadmarkError, match="no database"):
        open_database(path, create=False)
    assert not path.exists()


def test_a_foreign_database_is_refused_untouched(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(ThreadmarkError, match="not threadmark's"):
        open_database(path)
    assert path.read_bytes() == before


# --- what an import stores -------------------------------------------------------------------


def test_seed_counts(seed_db):
    counts = thread_stats(seed_db, 1)
    assert {key: counts[key] for key in SEED_COUNTS} == SEED_COUNTS
    assert thread_stats(seed_db) == counts


def test_seed_clusters_are_numbered_1_to_11_in_thread_order(seed_db):
    clusters = rows(
        seed_db,
        "SELECT c.id, c.seq, o.position, c.size, c.is_tombstone FROM clusters c "
        "JOIN comments o ON o.id = c.canonical_comment_id ORDER BY c.id",
    )
    assert [row[0] for row in clusters] == list(range(1, 12))
    assert [row[1] for row in clusters] == list(range(1, 12))
    assert [row[2] for row in clusters] == SEED_UNIQUE_POSITIONS
    assert [row[3] for row in clusters] == [2] * 9 + [1, 1]
    assert [row[4] for row in clusters] == [0] * 9 + [1, 0]


def test_every_occurrence_keeps_its_position_and_text(seed_db, seed_path):
    lines = [line for line in seed_path.read_text("utf-8").split("\n") if line.strip()]
    assert len(lines) == 20
    stored = rows(
        seed_db, "SELECT position, text, cluster_id, is_tombstone FROM comments ORDER BY position"
    )
    assert [row[0] for row in stored] == list(range(1, 21))
    assert [row[1] for row in stored] == lines
    # Lines 10-15 repeat 1-6, 16 is the tombstone, 17-19 repeat 7-9, 20 is new.
    assert [row[2] for row in stored] == [*range(1, 10), *range(1, 7), 10, 7, 8, 9, 11]
    tombstones = [(row[0], row[1]) for row in stored if row[3]]
    assert tombstones == [(16, "deleted by creator")]
    # Each cluster's text is its canonical occurrence's.
    assert rows(seed_db, "SELECT count(*) FROM clusters c JOIN comments o "
                "ON o.id = c.canonical_comment_id WHERE o.text != c.text") == [(0,)]  # fmt: skip


SAME_WORDS_BY_FOUR = (
    "id,author,created_at,text\n"
    "c1,ann,2024-01-01T10:00:00Z,The same point made by several people here\n"
    "c2,bob,2024-01-01T11:00:00Z,A different comment with its own words\n"
    "c3,carol,2024-01-01T12:00:00Z,The same point made by several people here\n"
    "c4,dan,2024-01-01T13:00:00Z,the same point  made by several people here!\n"
    "c5,ann,2024-01-01T14:00:00Z,The same point made by several people here\n"
)


def test_the_same_words_from_different_people_stay_apart_and_are_related(open_db, tmp_path):
    source = tmp_path / "thread.csv"
    source.write_text(SAME_WORDS_BY_FOUR, encoding="utf-8")
    db = open_db()
    import_file(db, source)
    # ann said it twice (a repeat folds); carol and dan said it too (their own speech acts).
    assert rows(db, "SELECT id, author, size, folded, text_group FROM clusters ORDER BY id") == [
        (1, "ann", 2, "exact", 1),
        (2, "bob", 1, None, None),
        (3, "carol", 1, None, 1),
        (4, "dan", 1, None, 1),
    ]
    assert rows(db, "SELECT fold FROM threads") == [("by-author",)]


def test_folding_across_authors_keeps_the_first_authors_name(open_db, tmp_path):
    source = tmp_path / "thread.csv"
    source.write_text(SAME_WORDS_BY_FOUR, encoding="utf-8")
    db = open_db()
    import_file(db, source, fold_mode="across-authors")
    assert rows(db, "SELECT fold FROM threads") == [("across-authors",)]
    assert rows(db, "SELECT id, author, size FROM clusters ORDER BY id") == [
        (1, "ann", 4),
        (2, "bob", 1),
    ]
    assert rows(
        db, "SELECT position, author, platform_id, cluster_id FROM comments ORDER BY id"
    ) == [
        (1, "ann", "c1", 1),
        (2, "bob", "c2", 2),
        (3, "carol", "c3", 1),
        (4, "dan", "c4", 1),
        (5, "ann", "c5", 1),
    ]


def test_a_repeated_platform_id_counts_as_a_comment_and_a_duplicate(open_db, tmp_path):
    source = tmp_path / "paged.jsonl"
    records = [
        {"id": "a", "author": "ann", "text": "First page, first comment"},
        {"id": "b", "author": "bob", "text": "First page, second comment"},
        {"id": "a", "author": "ann", "text": "First page, first comment"},  # page 2 repeats it
        {"id": "c", "parent_id": "a", "author": "cat", "text": "A reply on the second page"},
    ]
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    db = open_db()
    import_file(db, source)
    counts = thread_stats(db)
    assert (counts["comments"], counts["unique"], counts["duplicates"]) == (4, 3, 1)
    assert rows(db, "SELECT position, cluster_id FROM comments ORDER BY position") == [
        (1, 1), (2, 2), (3, 1), (4, 3),
    ]  # fmt: skip
    assert rows(db, "SELECT parent_cluster_id, depth FROM clusters WHERE id = 3") == [(1, 1)]
    assert counts["structural_links"] == 1
    assert counts["links"] == 0


def test_a_second_thread_numbers_on_from_the_first(seed_db, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("one comment here\nanother comment there\n", encoding="utf-8")
    outcome = import_file(seed_db, other)
    assert (outcome.thread_id, outcome.created) == (2, True)
    assert rows(seed_db, "SELECT id, seq FROM clusters WHERE thread_id = 2 ORDER BY id") == [
        (12, 1),
        (13, 2),
    ]
    assert rows(
        seed_db, "SELECT min(position), max(position) FROM comments WHERE thread_id = 2"
    ) == [(1, 2)]


def test_an_import_that_fails_half_way_leaves_nothing(open_db, seed_path, monkeypatch):
    db = open_db()

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store.ingest, "write_structural_links", explode)
    with pytest.raises(RuntimeError):
        import_file(db, seed_path)
    for table in ("threads", "clusters", "comments", "links", "clusters_fts"):
        assert rows(db, f"SELECT count(*) FROM {table}") == [(0,)], table


def test_library_import_of_bad_input_raises_threadmark_error(open_db, tmp_path):
    db = open_db()
    bad = tmp_path / "bad.json"
    bad.write_text('{"comments": [', encoding="utf-8")
    with pytest.raises(ThreadmarkError, match=r"bad\.json"):
        import_file(db, bad)
    with pytest.raises(ThreadmarkError, match="no such file"):
        import_file(db, tmp_path / "missing.txt")
    assert rows(db, "SELECT count(*) FROM threads") == [(0,)]


def test_a_lone_surrogate_in_json_is_stored_as_a_replacement_character(open_db, tmp_path):
    source = tmp_path / "odd.jsonl"
    source.write_text('{"id": "a", "author": "x\\udc00", "text": "half an emoji \\ud83d!"}\n')
    db = open_db()
    import_file(db, source)
    assert rows(db, "SELECT author, text FROM comments") == [("x\ufffd", "half an emoji \ufffd!")]


# --- full-text search ------------------------------------------------------------------------


def search_ids(db, query: str) -> list[int]:
    view = ThreadView(db, 1, "alice", RowFilter(search=query))
    return [row.id for row in view.window(0, view.count())]


def matching(db, *words: str) -> list[int]:
    """Clusters whose text has a word starting with each of ``words`` (what FTS should find)."""
    found = []
    for cluster_id, text in rows(db, "SELECT id, text FROM clusters ORDER BY seq"):
        if all(re.search(rf"\b{word}", text, re.IGNORECASE) for word in words):
            found.append(cluster_id)
    return found


def test_search_finds_words_and_prefixes(seed_db):
    spongebob = search_ids(seed_db, "spongebob")
    assert spongebob == matching(seed_db, "spongebob") != []
    assert search_ids(seed_db, "SpongeBob") == spongebob
    assert search_ids(seed_db, "sponge") == spongebob  # a prefix
    both = search_ids(seed_db, "copyright database")
    assert both == matching(seed_db, "copyright", "database") != []
    assert set(both) < set(search_ids(seed_db, "copyright"))
    assert search_ids(seed_db, "zyzzyva") == []


HOSTILE_QUERIES = [
    '"', '""', '"unbalanced', "'", "AND", "OR", "NOT", "copyright AND", "AND copyright",
    "copyright OR law", "NOT law", "NEAR(", "NEAR(copyright law", "NEAR(copyright law, 3)",
    "NEAR/3", "*", "copy*", "**", "-", "-copyright", "copyright -law", "--", "(", ")", "()",
    "text:copyright", "clusters_fts:x", "^copyright", "{copyright}", "+", "a + b", ":", "\\",
    "%", "_", "🙂", "ü", "\x00", "\x1b[31m", "\u202e", "", "   ", "copy right" * 50,
]  # fmt: skip


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_search_never_raises(seed_db, query):
    view = ThreadView(seed_db, 1, "alice", RowFilter(search=query))
    found = view.window(0, 50)
    assert len(found) == view.count() <= 11
    for word in ("copyright", "law"):
        if query in (word, f"{word}*", f"-{word}", f'"{word}"'):
            assert [row.id for row in found] == matching(seed_db, word)


def test_search_combines_with_other_filters(seed_db):
    toggle_tag(seed_db, 1, 1, "alice")
    view = ThreadView(seed_db, 1, "alice", RowFilter(search="spongebob", tag_id=1))
    assert [row.id for row in view.window(0, 20)] == [1]
    assert ThreadView(seed_db, 1, "bob", RowFilter(search="spongebob", tag_id=1)).count() == 0


def test_a_reply_before_its_parent_imports_with_its_depth(open_db, tmp_path):
    source = tmp_path / "newest-first.csv"
    source.write_text(
        "id,parent,text\n"
        "3,2,a reply to the reply, listed first of all\n"
        "2,1,the reply that came before its parent\n"
        "1,,the parent that came last in the file\n",
        encoding="utf-8",
    )
    db = open_db()
    import_file(db, source)
    assert rows(db, "SELECT id, parent_cluster_id, depth FROM clusters ORDER BY id") == [
        (1, 2, 2),
        (2, 3, 1),
        (3, None, 0),
    ]
    assert rows(db, "SELECT source_cluster, target_cluster FROM links ORDER BY 1") == [
        (1, 2),
        (2, 3),
    ]
