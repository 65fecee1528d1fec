"""The full-text index of a large import into an empty index is built by a child process and
copied in (store.fulltext): it must be exactly the index SQLite builds in the transaction.
Here every thread counts as large enough."""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import store.fulltext
from store import ThreadmarkError, import_file, open_database
from store.queries import RowFilter, ThreadView

LARGE_ENOUGH = store.fulltext.MIN_CLUSTERS
PYTHON = sys.executable


@pytest.fixture(autouse=True)
def every_thread_builds_aside(monkeypatch):
    monkeypatch.setattr(store.fulltext, "MIN_CLUSTERS", 1)


HOSTILE = [
    "plain words about copyright",
    "a NUL\x00inside copyright",
    "emoji 😀 copyright 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "combining e\u0301 café copyright",
    "> a quoted line\nthen copyright again",
    "\x1b[31mred\x1b[0m copyright [b]markup[/b]",
    "\u202eright-to-left copyright\u2066",
]


def write_jsonl(path: Path, texts: list[str]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for n, text in enumerate(texts):
            out.write(json.dumps({"id": f"c{n}", "author": f"a{n}", "text": text}) + "\n")
    return path


def check_index(db: sqlite3.Connection) -> None:
    """FTS5's own check of the index against its content table (rank 1: against the rows)."""
    db.execute("INSERT INTO clusters_fts (clusters_fts, rank) VALUES ('integrity-check', 1)")


def found(db: sqlite3.Connection, thread_id: int, query: str) -> list[int]:
    view = ThreadView(db, thread_id, "alice", RowFilter(search=query))
    return [row.id for row in view.window(0, view.count())]


def scratch_dirs() -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob("threadmark-search-*"))


def built_aside(monkeypatch) -> list[int]:
    """Count the imports whose index the child built."""
    built = []
    original = store.fulltext.IndexBuiltAside.copy_into

    def counted(self, db):
        built.append(1)
        return original(self, db)

    monkeypatch.setattr(store.fulltext.IndexBuiltAside, "copy_into", counted)
    return built


def test_a_new_databases_index_is_built_aside_and_is_sqlites_own(open_db, tmp_path, monkeypatch):
    built = built_aside(monkeypatch)
    db = open_db()
    before = scratch_dirs()
    thread = import_file(db, write_jsonl(tmp_path / "t.jsonl", HOSTILE)).thread_id
    assert built == [1]
    check_index(db)
    assert len(found(db, thread, "copyright")) == len(HOSTILE)
    assert found(db, thread, "inside") == found(db, thread, "NUL")  # the words after a NUL too
    assert len(found(db, thread, "emoji")) == len(found(db, thread, "cafe")) == 1
    # The same index as one built the ordinary way: rebuilding it from the rows changes nothing.
    tables = [f"clusters_fts_{name}" for name in store.fulltext.SHADOW_TABLES]
    copied = {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}
    db.execute("INSERT INTO clusters_fts (clusters_fts) VALUES ('rebuild')")
    assert {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables} == copied
    assert scratch_dirs() == before


def test_a_second_thread_is_indexed_in_the_transaction(open_db, tmp_path, monkeypatch):
    built = built_aside(monkeypatch)
    db = open_db()
    first = import_file(db, write_jsonl(tmp_path / "a.jsonl", ["alpha copyright"])).thread_id
    second = import_file(db, write_jsonl(tmp_path / "b.jsonl", ["beta copyright"])).thread_id
    assert built == [1]
    check_index(db)
    assert len(found(db, first, "copyright")) == len(found(db, second, "copyright")) == 1
    assert found(db, second, "alpha") == []


def test_a_small_thread_is_indexed_in_the_transaction(open_db, tmp_path, monkeypatch):
    """Starting the child costs more than indexing the seed thread (store.fulltext)."""
    monkeypatch.setattr(store.fulltext, "MIN_CLUSTERS", LARGE_ENOUGH)
    built = built_aside(monkeypatch)
    db = open_db()
    thread = import_file(db, write_jsonl(tmp_path / "t.jsonl", HOSTILE)).thread_id
    assert built == []
    check_index(db)
    assert len(found(db, thread, "copyright")) == len(HOSTILE)


def test_a_connection_that_searched_the_empty_index_finds_the_import(open_db, tmp_path):
    """FTS5 caches an index's structure per connection: the copy must not leave it stale."""
    db = open_db()
    db.execute("SELECT * FROM clusters_fts WHERE clusters_fts MATCH 'copyright'").fetchall()
    thread = import_file(db, write_jsonl(tmp_path / "t.jsonl", HOSTILE)).thread_id
    assert len(found(db, thread, "copyright")) == len(HOSTILE)
    import_file(db, write_jsonl(tmp_path / "more.jsonl", ["more copyright"]))
    check_index(db)


def test_a_builder_that_fails_fails_the_import_and_changes_nothing(
    open_db, db_path, tmp_path, monkeypatch
):
    db = open_db()
    monkeypatch.setattr(store.fulltext.sys, "executable", "/bin/false")
    before = scratch_dirs()
    with pytest.raises(ThreadmarkError, match="building the search index failed"):
        import_file(db, write_jsonl(tmp_path / "t.jsonl", HOSTILE))
    assert db.execute("SELECT count(*) FROM clusters").fetchone() == (0,)
    assert not db.in_transaction
    assert scratch_dirs() == before
    monkeypatch.setattr(store.fulltext.sys, "executable", PYTHON)
    thread = import_file(db, write_jsonl(tmp_path / "t.jsonl", HOSTILE)).thread_id
    assert len(found(db, thread, "copyright")) == len(HOSTILE)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.text(min_size=1, max_size=60), min_size=1, max_size=30))
def test_any_texts_make_an_index_that_passes_fts5s_check(tmp_path, texts):
    with tempfile.TemporaryDirectory(dir=tmp_path) as scratch:
        db = open_database(Path(scratch) / "t.db")
        try:
            try:
                import_file(db, write_jsonl(Path(scratch) / "t.jsonl", texts))
            except ThreadmarkError:  # every text blank: refused, as it should be
                assert all(not text.strip() for text in texts)
            check_index(db)
        finally:
            db.close()
