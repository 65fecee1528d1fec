"""A new database is bulk-loaded (keys unchecked and secondary indexes left out while its rows
are written): what it ends up holding is what an import into an existing database holds."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from store.database import open_database, write
from store.errors import ThreadmarkError
from store.ingest import database_for_import

# Rows that say when they were made differ between two imports of one file, and nothing else.
_WHEN = {"threads": "imported_at", "links": "created_at"}


def write_thread(path: Path) -> Path:
    """Replies (some before their parent), a pagination repeat, one author's exact repeat,
    a quote and a tombstone: every kind of row and link an import writes."""
    rows = [
        {"id": "r2", "parent": "r1", "author": "bo", "text": "A reply that came first."},
        {"id": "r1", "parent": None, "author": "al", "text": "Paint is not art, it is a tool."},
        {"id": "r3", "parent": "r1", "author": "cy", "text": "> Paint is not art\nIt is."},
        {"id": "r4", "parent": "r3", "author": "al", "text": "Same words, twice over here."},
        {"id": "r5", "parent": "r3", "author": "al", "text": "Same words, twice over here."},
        {"id": "r1", "parent": None, "author": "al", "text": "Paint is not art, it is a tool."},
        {"id": "r6", "parent": "r4", "author": "dee", "text": "[deleted]"},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def schema(db_path: Path) -> set[tuple[str, str, str]]:
    with sqlite3.connect(db_path) as db:
        return set(db.execute("SELECT type, name, sql FROM sqlite_master"))


def rows(db_path: Path) -> dict[str, list[tuple]]:
    """Every table's rows in id order, leaving out when each was made."""
    with sqlite3.connect(db_path) as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite%' AND name NOT LIKE 'clusters_fts%'"
            )
        ]
        found = {}
        for table in tables:
            columns = [
                name
                for (_, name, *_) in db.execute(f"PRAGMA table_info({table})")
                if name != _WHEN.get(table)
            ]
            found[table] = db.execute(
                f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid"
            ).fetchall()
        found["search"] = db.execute(
            "SELECT rowid FROM clusters_fts WHERE clusters_fts MATCH 'paint' ORDER BY rowid"
        ).fetchall()
        return found


def test_a_new_database_holds_what_an_existing_one_would(call_cli, tmp_path):
    source = write_thread(tmp_path / "thread.jsonl")
    new, existing = tmp_path / "new.db", tmp_path / "existing.db"
    open_database(existing).close()  # made (schema and starter codebook), nothing imported

    for db in (new, existing):
        returncode, _, stderr = call_cli("import", source, "--db", db)
        assert returncode == 0, stderr

    assert schema(new) == schema(existing)  # every index built again, as it was defined
    assert rows(new) == rows(existing)
    assert rows(new)["links"]  # the test compares links, not two empty tables
    with sqlite3.connect(new) as db:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_dangling_key_in_a_new_database_fails_the_import_and_leaves_no_file(tmp_path):
    db_path = tmp_path / "new.db"
    dangling = pytest.raises(ThreadmarkError, match="refers to a threads row that is not there")
    with dangling, database_for_import(db_path) as db, write(db):
        db.execute(
            "INSERT INTO clusters (id, thread_id, seq, canonical_comment_id, text, size) "
            "VALUES (1, 99, 1, 1, 'orphan', 1)"
        )
        db.execute(
            "INSERT INTO comments (id, thread_id, cluster_id, position, text) "
            "VALUES (1, 99, 1, 1, 'orphan')"
        )
    assert list(tmp_path.iterdir()) == []
