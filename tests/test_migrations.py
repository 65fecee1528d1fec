"""A database made by an older threadmark opens in this one with its data intact, and the
schema is one that other SQLite tools (Datasette, sqlite-utils) understand."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from store import open_database
from store.database import SCHEMA_VERSION, expected_schema
from store.detail import comment_detail
from store.queries import RowFilter, filtered_ids

RELEASE_0_1_0 = Path(__file__).parent / "fixtures" / "release-0.1.0.threadmark"

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
    conn = sqlite3.connect(old_database)
    try:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        objects = set(conn.execute("SELECT type, name FROM sqlite_master WHERE sql IS NOT NULL"))
    finally:
        conn.close()
    assert objects == set(expected_schema(SCHEMA_VERSION))  # as a new database has it
    renamed = {"method": "folded"}  # migration 2's one name for how comments fold
    for table, (old_columns, rows) in before.items():
        wanted = ", ".join(renamed.get(name, name) for name in old_columns.split(", "))
        assert dump(old_database, table, wanted) == rows, table
    assert {row[0] for row in dump(old_database, "threads", "fold")} == {"across-authors"}
    assert dump(old_database, "annotations", "DISTINCT segment_id") == [(None,)]


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
