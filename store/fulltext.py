"""A new thread's full-text index, built on the machine's second core while its rows are written.

Tokenising for FTS5 is a quarter of what storing a large import costs, and it needs nothing
but each cluster's id and text, which are known before the first row is written.  When the
database's index is empty (a new database, or one whose threads were all deleted), a child
process builds the index in a scratch file while the import's connection writes clusters,
comments and links.  (A thread would share SQLite's global memory mutex and the GIL with the
import, and slow it down more than it helps.)  The scratch index is then copied in: FTS5 keeps
an index in ordinary tables (its shadow tables ``_data``, ``_idx``, ``_docsize`` and
``_config``), so an empty index given the tables of one that the same SQLite built over the
same rows is that index.  Into an index that holds rows already, an import indexes its
clusters the ordinary way, in its transaction.

Run as ``python -m store.fulltext SCRATCH DECLARATION FIRST_ID``, it is that child: it reads
lists of texts from its stdin (store.messages), the clusters numbered on from FIRST_ID.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from store import messages
from store.errors import ThreadmarkError

INDEX = "clusters_fts"
SHADOW_TABLES = ("data", "idx", "docsize", "config")
COPY_BATCH = 10_000
TEXTS_PER_MESSAGE = 20_000  # texts sent to the child as one list (store.messages)
# Below this many clusters the index is built in the transaction: starting the child (about
# 50 ms) would cost more than it saves, as on the seed thread's first import.
MIN_CLUSTERS = 20_000


class IndexBuiltAside:
    """An FTS index of ``texts``, the clusters numbered from ``first_id``, being built by a
    child process in a scratch file."""

    def __init__(self, db: sqlite3.Connection, first_id: int, texts: Sequence[str]) -> None:
        declaration = db.execute(
            "SELECT sql FROM sqlite_master WHERE name = ?", (INDEX,)
        ).fetchone()[0]
        self._scratch = tempfile.TemporaryDirectory(prefix="threadmark-search-")
        self._path = Path(self._scratch.name) / "index.db"
        self._builder = subprocess.Popen(
            [sys.executable, "-m", __name__, str(self._path), declaration, str(first_id)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        # The pipe fills faster than the child indexes: a thread feeds it (writing to a pipe
        # releases the GIL), so the import goes on meanwhile.
        self._feeder = threading.Thread(target=self._feed, args=(texts,), daemon=True)
        self._feeder.start()

    def _feed(self, texts: Sequence[str]) -> None:
        pipe = self._builder.stdin
        try:
            for start in range(0, len(texts), TEXTS_PER_MESSAGE):
                messages.send(pipe, texts[start : start + TEXTS_PER_MESSAGE])
            pipe.close()
        except (BrokenPipeError, ValueError):  # the child died or was stopped: copy_into tells
            pass

    def copy_into(self, db: sqlite3.Connection) -> None:
        """Wait for the index, then make it ``db``'s, inside ``db``'s write transaction."""
        self._feeder.join()
        error = self._builder.stderr.read()
        if self._builder.wait() != 0:
            last = error.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
            raise ThreadmarkError(f"building the search index failed: {last[0]}")
        scratch = sqlite3.connect(self._path)
        try:
            for table in SHADOW_TABLES:
                shadow = f"{INDEX}_{table}"
                db.execute(f"DELETE FROM {shadow}")
                rows = scratch.execute(f"SELECT * FROM {shadow}")
                insert = f"INSERT INTO {shadow} VALUES ({', '.join('?' * len(rows.description))})"
                while batch := rows.fetchmany(COPY_BATCH):
                    db.executemany(insert, batch)
        finally:
            scratch.close()
        forget_cached_structure(db)

    def discard(self) -> None:
        """Stop the child if it still runs (the import failed, or ctrl+c); drop the scratch."""
        if self._builder.poll() is None:
            self._builder.kill()
        self._builder.wait()
        self._feeder.join()
        for pipe in (self._builder.stdin, self._builder.stderr):
            pipe.close()
        self._scratch.cleanup()


def worth_building_aside(db: sqlite3.Connection, clusters: int) -> bool:
    """Whether an import of ``clusters`` should have its index built by the child: it is large
    enough, and ``db``'s index is empty (the only index a copy can become)."""
    if clusters < MIN_CLUSTERS:
        return False
    return db.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {INDEX}_docsize)").fetchone()[0]


def forget_cached_structure(db: sqlite3.Connection) -> None:
    """Make this connection's FTS5 read the index's structure from its tables again.

    FTS5 caches an index's structure per connection and trusts it until another connection
    changes the file, so after its tables were written directly the cache would describe the
    old, empty index.  Rolling a savepoint back over a write to the index drops that cache.
    """
    db.execute("SAVEPOINT forget_index_structure")
    db.execute(f"INSERT INTO {INDEX} (rowid, text) VALUES (-1, '')")
    db.execute("ROLLBACK TO forget_index_structure")
    db.execute("RELEASE forget_index_structure")


def build(path: str, declaration: str, first_id: int) -> None:
    """The child's work: the index of the texts on stdin, in a scratch file at ``path``."""
    scratch = sqlite3.connect(path, isolation_level=None)
    try:
        # A scratch file that a crash may lose: no journal, no syncing.
        scratch.execute("PRAGMA journal_mode = OFF")
        scratch.execute("PRAGMA synchronous = OFF")
        scratch.execute(declaration)
        scratch.execute("BEGIN")
        next_id = first_id
        while (texts := messages.received(sys.stdin.buffer)) is not None:
            rows = enumerate(texts, start=next_id)
            scratch.executemany(f"INSERT INTO {INDEX} (rowid, text) VALUES (?, ?)", rows)
            next_id += len(texts)
        scratch.execute("COMMIT")
    finally:
        scratch.close()


if __name__ == "__main__":
    build(sys.argv[1], sys.argv[2], int(sys.argv[3]))
