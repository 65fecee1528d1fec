"""A database made by an older threadmark opens in this one with its data intact, and the
schema is one that other SQLite tools (Datasette, sqlite-utils) understand."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from store import database, open_database
from store.database import SCHEMA_VERSION, expected_schema
from store.detail import comment_detail
from store.queries import RowFilter, filtered_ids
from store.schema import APPLICATION_ID, MIGRATIONS

FIXTURES = Path(__file__).parent / "fixtures"
RELEASE_0_1_0 = FIXTURES / "release-0.1.0.threadmark"

# What the first release's database holds (it was made with that release's store API: the
# seed thread and the Reddit fixture imported, two annotators' tags, links and a note, an undo).
TABLES = ("threads", "clusters", "comments", "tags", "annotations", "links", "notes", "events")


@pytest.fixture
def old_database(tmp_path) -> Path:
    copy = tmp_path / "old.db"
    shutil.copyfile(RELEASE_0_1_0, copy)
    return copy


def dump(path: Path, table: str, columns: str = "*") -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT {columns} FROM {table} ORDER BY rowid").fetchall()
    finally:
        conn.close()


def test_the_fixture_is_a_version_1_database():
    conn = sqlite3.connect(RELEASE_0_1_0)
    try:
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
    finally:
        conn.close()


def schema_objects(path: Path) -> set[tuple[str, str]]:
    """``(type, name)`` of the tables, indexes and triggers the file declares: a migrated
    database must have the ones a new database has."""
    return set(dump(path, "sqlite_master WHERE sql IS NOT NULL", "type, name"))


def columns(path: Path, table: str) -> str:
    conn = sqlite3.connect(path)
    try:
        return ", ".join(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))
    finally:
        conn.close()


def test_a_release_0_1_0_database_opens_with_every_row_intact(old_database):
    """Every row and every column the first release wrote is there after the migrations."""
    before = {table: (columns(old_database, table), dump(old_database, table)) for table in TABLES}
    assert len(before["annotations"][1]) == 4 and len(before["events"][1]) == 10
    db = open_database(old_database)
    db.close()
    assert dump(old_database, "pragma_user_version") == [(SCHEMA_VERSION,)]
    assert schema_objects(old_database) == set(expected_schema(SCHEMA_VERSION))
    renamed = {"method": "folded"}  # migration 2's one name for how comments fold
    for table, (old_columns, rows) in before.items():
        wanted = ", ".join(renamed.get(name, name) for name in old_columns.split(", "))
        assert dump(old_database, table, wanted) == rows, table
    assert {row[0] for row in dump(old_database, "threads", "fold")} == {"across-authors"}
    assert dump(old_database, "annotations", "DISTINCT segment_id") == [(None,)]


def test_the_pinned_schema_digest_is_the_migrations_schema():
    digests = database.schema_digests(expected_schema(SCHEMA_VERSION))
    assert digests == database.CURRENT_SCHEMA_DIGESTS, (
        f"the migrations changed the schema: set CURRENT_SCHEMA_DIGESTS = {digests!r}"
    )


def test_a_database_of_the_current_schema_opens_without_deriving_it(seeded_db, monkeypatch):
    """The start-up cost the digest saves; a file that differs still takes the long way."""

    class Derived(Exception):
        pass

    def derive(version: int) -> None:
        raise Derived(version)

    monkeypatch.setattr(database, "expected_schema", derive)
    open_database(seeded_db).close()
    conn = sqlite3.connect(seeded_db)
    conn.execute("CREATE INDEX a_users_own ON tags (name)")  # allowed, but not the digest's
    conn.commit()
    conn.close()
    with pytest.raises(Derived):
        open_database(seeded_db)
    monkeypatch.undo()
    open_database(seeded_db).close()


def test_a_migrated_database_still_searches_and_shows_its_annotations(old_database):
    db = open_database(old_database)
    try:
        assert len(filtered_ids(db, 1, "alice", RowFilter(search="copies"))) == 3
        detail = comment_detail(db, 5, "alice")
        assert [tag.name for tag in detail.tags] == ["counterpoint"]
        assert detail.note == "The key rebuttal: “paint” ≠ database."
        assert [(link.kind, link.other.number) for link in detail.links_out] == [("rebuts", 4)]
    finally:
        db.close()


def test_sqlite_utils_and_datasette_find_the_full_text_index(seeded_db):
    """Datasette links a table to its FTS table only when declared ``content="clusters"``."""
    conn = sqlite3.connect(seeded_db)
    try:
        table = sqlite_utils.Database(conn).table("clusters")
        assert table.detect_fts() == "clusters_fts"
        found = [row["id"] for row in table.search("copies", columns=["id"])]
        assert sorted(found) == [1, 2, 5]
    finally:
        conn.close()


# --- a database of each released schema ----------------------------------------------------------

# The schemas released after the first (release-0.1.0.threadmark is schema 1), each with its
# fixture made by write_schema_fixture.
FIXTURE_VERSIONS = (2, 3)
T0 = "2024-03-01T10:00:00.000Z"


def _event(event_id: int, annotator: str, action: str, **payload: Any) -> dict[str, Any]:
    """A journal row, its payload as store.annotate writes it."""
    payload_text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    return {"id": event_id, "annotator": annotator, "created_at": T0, "action": action,
            "payload": payload_text}  # fmt: skip


# (the first schema version whose fixture holds the row, its table, the row).  The fixture
# of version N holds the rows of versions up to N, as that version's threadmark wrote them:
# a thread, a comment folded into another, two comments by different people with the same
# words, a tombstone, reply links, and two annotators' tags, links, notes and journal; from
# version 3, segments with tags, a link and a note on them.  For a new schema, add rows that
# use what it adds (with its version), then write its fixture and add it to FIXTURE_VERSIONS.
FIXTURE_ROWS: list[tuple[int, str, dict[str, Any]]] = [
    (2, "threads", {"id": 1, "title": "Is training on art theft?", "source": "art.json",
                    "format": "reddit", "sha256": "5e" * 32, "threshold": 90.0,
                    "imported_at": T0, "fold": "by-author"}),
    (2, "tags", {"id": 1, "name": "claim", "hotkey": "1", "color": "#4e9af1",
                 "description": "States a position", "parent_id": None}),
    (2, "tags", {"id": 2, "name": "evidence", "hotkey": "2", "color": "#3fb950",
                 "description": "", "parent_id": None}),
    (2, "tags", {"id": 3, "name": "Rebuttal", "hotkey": None, "color": "#f0883e",
                 "description": "Answers a claim", "parent_id": 1}),
    (2, "clusters", {"id": 1, "thread_id": 1, "seq": 1, "canonical_comment_id": 1,
                     "parent_cluster_id": None, "depth": 0, "author": "ana",
                     "text": "Training copies the art. Nobody asked the artists.", "size": 2,
                     "folded": "exact", "is_tombstone": 0, "text_group": None}),
    (2, "clusters", {"id": 2, "thread_id": 1, "seq": 2, "canonical_comment_id": 3,
                     "parent_cluster_id": 1, "depth": 1, "author": "ben",
                     "text": "It learns styles, not copies. Styles are not owned.", "size": 1,
                     "folded": None, "is_tombstone": 0, "text_group": None}),
    (2, "clusters", {"id": 3, "thread_id": 1, "seq": 3, "canonical_comment_id": 4,
                     "parent_cluster_id": 2, "depth": 2, "author": "cy",
                     "text": "Styles are not owned.", "size": 1, "folded": None,
                     "is_tombstone": 0, "text_group": 3}),
    (2, "clusters", {"id": 4, "thread_id": 1, "seq": 4, "canonical_comment_id": 5,
                     "parent_cluster_id": 1, "depth": 1, "author": "dee",
                     "text": "Styles are not owned.", "size": 1, "folded": None,
                     "is_tombstone": 0, "text_group": 3}),
    (2, "clusters", {"id": 5, "thread_id": 1, "seq": 5, "canonical_comment_id": 6,
                     "parent_cluster_id": 2, "depth": 2, "author": None, "text": "[deleted]",
                     "size": 1, "folded": None, "is_tombstone": 1, "text_group": None}),
    (2, "comments", {"id": 1, "thread_id": 1, "cluster_id": 1, "position": 1,
                     "platform_id": "t1_a", "parent_platform_id": None, "author": "ana",
                     "created_at": "2024-02-29T09:00:00Z",
                     "text": "Training copies the art. Nobody asked the artists.",
                     "is_tombstone": 0, "folded": None}),
    (2, "comments", {"id": 2, "thread_id": 1, "cluster_id": 1, "position": 2,
                     "platform_id": "t1_b", "parent_platform_id": None, "author": "ana",
                     "created_at": "2024-02-29T09:01:00Z",
                     "text": "Training copies the art. Nobody asked the artists.",
                     "is_tombstone": 0, "folded": "exact"}),
    (2, "comments", {"id": 3, "thread_id": 1, "cluster_id": 2, "position": 3,
                     "platform_id": "t1_c", "parent_platform_id": "t1_a", "author": "ben",
                     "created_at": "2024-02-29T09:05:00Z",
                     "text": "It learns styles, not copies. Styles are not owned.",
                     "is_tombstone": 0, "folded": None}),
    (2, "comments", {"id": 4, "thread_id": 1, "cluster_id": 3, "position": 4,
                     "platform_id": "t1_d", "parent_platform_id": "t1_c", "author": "cy",
                     "created_at": None, "text": "Styles are not owned.", "is_tombstone": 0,
                     "folded": None}),
    (2, "comments", {"id": 5, "thread_id": 1, "cluster_id": 4, "position": 5,
                     "platform_id": "t1_e", "parent_platform_id": "t1_a", "author": "dee",
                     "created_at": None, "text": "Styles are not owned.", "is_tombstone": 0,
                     "folded": None}),
    (2, "comments", {"id": 6, "thread_id": 1, "cluster_id": 5, "position": 6,
                     "platform_id": "t1_f", "parent_platform_id": "t1_c", "author": None,
                     "created_at": None, "text": "[deleted]", "is_tombstone": 1,
                     "folded": None}),
    (2, "links", {"id": 1, "source_cluster": 2, "target_cluster": 1, "kind": "replies_to",
                  "note": "", "annotator": None, "created_at": T0}),
    (2, "links", {"id": 2, "source_cluster": 3, "target_cluster": 2, "kind": "replies_to",
                  "note": "", "annotator": None, "created_at": T0}),
    (2, "links", {"id": 3, "source_cluster": 4, "target_cluster": 1, "kind": "replies_to",
                  "note": "", "annotator": None, "created_at": T0}),
    (2, "links", {"id": 4, "source_cluster": 5, "target_cluster": 2, "kind": "replies_to",
                  "note": "", "annotator": None, "created_at": T0}),
    (2, "links", {"id": 5, "source_cluster": 2, "target_cluster": 1, "kind": "rebuts",
                  "note": "styles, not copies", "annotator": "alice", "created_at": T0}),
    (2, "links", {"id": 6, "source_cluster": 4, "target_cluster": 3, "kind": "rephrases",
                  "note": "", "annotator": "bob", "created_at": T0}),
    (2, "annotations", {"cluster_id": 1, "tag_id": 1, "annotator": "alice", "created_at": T0}),
    (2, "annotations", {"cluster_id": 2, "tag_id": 3, "annotator": "alice", "created_at": T0}),
    (2, "annotations", {"cluster_id": 2, "tag_id": 1, "annotator": "bob", "created_at": T0}),
    (2, "notes", {"cluster_id": 1, "annotator": "alice", "text": "Check the licence terms.",
                  "updated_at": T0}),
    (2, "notes", {"cluster_id": 2, "annotator": "bob", "text": "Strong: “styles” ≠ copies.",
                  "updated_at": T0}),
    (2, "events", _event(1, "alice", "tag", cluster=1, tag=1, name="claim")),
    (2, "events", _event(2, "alice", "tag", cluster=2, tag=3, name="Rebuttal")),
    (2, "events", _event(3, "bob", "tag", cluster=2, tag=1, name="claim")),
    (2, "events", _event(4, "alice", "link", source=2, target=1, kind="rebuts",
                         note="styles, not copies")),
    (2, "events", _event(5, "bob", "link", source=4, target=3, kind="rephrases", note="")),
    (2, "events", _event(6, "alice", "note", cluster=1, before=None,
                         after="Check the licence terms.")),
    (2, "events", _event(7, "bob", "note", cluster=2, before=None,
                         after="Strong: “styles” ≠ copies.")),
    (2, "events", _event(8, "bob", "tag", cluster=3, tag=2, name="evidence")),
    (2, "events", _event(9, "bob", "undo", event=8)),
    # 3: segments, and tags, a link and a note on them: [0, 24) of comment 1, "Training
    # copies the art." (a range, #1:0-24: sentencex reads its text as one sentence), and
    # [0, 29) of comment 2, its first sentence "It learns styles, not copies." (#2.1).
    (3, "segments", {"id": 1, "cluster_id": 1, "start": 0, "end": 24}),
    (3, "segments", {"id": 2, "cluster_id": 2, "start": 0, "end": 29}),
    (3, "annotations", {"cluster_id": 1, "segment_id": 1, "tag_id": 2, "annotator": "alice",
                        "created_at": T0}),
    (3, "annotations", {"cluster_id": 2, "segment_id": 2, "tag_id": 1, "annotator": "bob",
                        "created_at": T0}),
    (3, "links", {"id": 7, "source_cluster": 2, "source_segment": 2, "target_cluster": 1,
                  "target_segment": 1, "kind": "undercuts", "note": "copying is not learning",
                  "annotator": "alice", "created_at": T0}),
    (3, "notes", {"cluster_id": 2, "segment_id": 2, "annotator": "alice",
                  "text": "The crux of it.", "updated_at": T0}),
    (3, "events", _event(10, "alice", "tag", cluster=1, tag=2, name="evidence", span=[0, 24])),
    (3, "events", _event(11, "bob", "tag", cluster=2, tag=1, name="claim", span=[0, 29])),
    (3, "events", _event(12, "alice", "link", source=2, target=1, kind="undercuts",
                         note="copying is not learning", source_span=[0, 29],
                         target_span=[0, 24])),
    (3, "events", _event(13, "alice", "note", cluster=2, span=[0, 29], before=None,
                         after="The crux of it.")),
]  # fmt: skip


def schema_fixture(version: int) -> Path:
    return FIXTURES / f"schema-{version}.threadmark"


def write_schema_fixture(path: Path, version: int) -> None:
    """Make at ``path`` a database of schema ``version``, as threadmark of that version would
    have left it: the released migrations up to it, then FIXTURE_ROWS up to it, in plain SQL
    (today's store code writes today's schema).  ``python -m tests.test_migrations`` makes
    the committed fixtures, one for each of FIXTURE_VERSIONS.
    """
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        for script in MIGRATIONS[:version]:
            db.executescript(script)
        for since, table, row in FIXTURE_ROWS:
            if since <= version:
                db.execute(
                    f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                    tuple(row.values()),
                )
        db.execute("INSERT INTO clusters_fts (clusters_fts) VALUES ('rebuild')")
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {version}")
        db.commit()
        db.execute("VACUUM")
    finally:
        db.close()


def fixture_tables(version: int) -> list[str]:
    """The tables of schema ``version`` that hold rows of their own (not the full-text ones)."""
    return sorted(
        name
        for kind, name in expected_schema(version)
        if kind == "table" and not name.startswith("clusters_fts")
    )


def snapshot(path: Path, version: int) -> dict[str, tuple[str, list[tuple]]]:
    """Every table of schema ``version`` in the file: its columns, and its rows in order."""
    return {table: (columns(path, table), dump(path, table)) for table in fixture_tables(version)}


@pytest.mark.parametrize("version", FIXTURE_VERSIONS)
def test_the_schema_fixture_is_what_write_schema_fixture_makes(version, tmp_path):
    """The committed file holds the rows FIXTURE_ROWS lists, in every table of its version."""
    made = tmp_path / "made.threadmark"
    write_schema_fixture(made, version)
    committed = schema_fixture(version)
    assert dump(committed, "pragma_user_version") == [(version,)]
    assert snapshot(committed, version) == snapshot(made, version)
    counts = {table: len(rows) for table, (_, rows) in snapshot(committed, version).items()}
    wanted = Counter(table for since, table, _ in FIXTURE_ROWS if since <= version)
    assert counts == wanted and all(counts.values()), "a table of the version has no rows"


@pytest.mark.parametrize("version", FIXTURE_VERSIONS)
def test_a_schema_fixture_opens_with_every_row_intact(version, tmp_path):
    """Migrated to this schema, every row and column of the old one is as it was."""
    copy = tmp_path / "old.threadmark"
    shutil.copyfile(schema_fixture(version), copy)
    before = snapshot(copy, version)
    open_database(copy).close()
    assert dump(copy, "pragma_user_version") == [(SCHEMA_VERSION,)]
    assert schema_objects(copy) == set(expected_schema(SCHEMA_VERSION))
    for table, (old_columns, rows) in before.items():
        assert dump(copy, table, old_columns) == rows, table
    db = open_database(copy)
    try:
        assert list(filtered_ids(db, 1, "alice", RowFilter(search="owned"))) == [2, 3, 4]
    finally:
        db.close()


def units_of(document: dict) -> dict[str, list[tuple]]:
    """What a JSON export says is on each comment and segment: ``(unit, its words, what,
    annotator)`` tags and notes (the words of a segment, "" for a whole comment), and links."""
    units = [(f"#{comment['number']}", "", comment) for comment in document["comments"]] + [
        (segment["unit"], segment["text"], segment)
        for comment in document["comments"]
        for segment in comment["segments"]
    ]
    tags = [
        (unit, words, tag["tag"], tag["annotator"])
        for unit, words, carrier in units
        for tag in carrier["annotations"]
    ]
    notes = [
        (unit, words, note["text"], note["annotator"])
        for unit, words, carrier in units
        for note in carrier["notes"]
    ]
    links = [
        (link["source_unit"], link["kind"], link["target_unit"], link["note"], link["annotator"])
        for link in document["links"]
        if link["annotator"] is not None
    ]
    return {"tags": sorted(tags), "notes": sorted(notes), "links": sorted(links)}


@pytest.mark.parametrize("version", FIXTURE_VERSIONS)
def test_a_schema_fixture_exports_as_json_with_its_annotations(version, tmp_path, run_cli):
    copy = tmp_path / "old.threadmark"
    shutil.copyfile(schema_fixture(version), copy)
    code, out, err = run_cli("export", "--db", copy, "--format", "json")
    assert (code, err) == (0, "")
    found = units_of(json.loads(out))
    whole = {
        "tags": [("#1", "", "claim", "alice"), ("#2", "", "Rebuttal", "alice"),
                 ("#2", "", "claim", "bob")],
        "notes": [("#1", "", "Check the licence terms.", "alice"),
                  ("#2", "", "Strong: “styles” ≠ copies.", "bob")],
        "links": [("#2", "rebuts", "#1", "styles, not copies", "alice"),
                  ("#4", "rephrases", "#3", "", "bob")],
    }  # fmt: skip
    on_segments = {
        "tags": [("#1:0-24", "Training copies the art.", "evidence", "alice"),
                 ("#2.1", "It learns styles, not copies.", "claim", "bob")],
        "notes": [("#2.1", "It learns styles, not copies.", "The crux of it.", "alice")],
        "links": [("#2.1", "undercuts", "#1:0-24", "copying is not learning", "alice")],
    }  # fmt: skip
    for what, rows in whole.items():
        wanted = rows + (on_segments[what] if version >= 3 else [])
        assert found[what] == sorted(wanted), what


if __name__ == "__main__":
    for fixture_version in FIXTURE_VERSIONS:
        write_schema_fixture(schema_fixture(fixture_version), fixture_version)
