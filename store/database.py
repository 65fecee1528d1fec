"""Opening a threadmark database: identity check, pragmas, migrations, write transactions.

The store speaks to a plain ``sqlite3.Connection``: the reader opens one at every start, and
sqlite-utils (with the numpy it imports) would add 0.2 s to that first paint; it is loaded
only by the exports, which read rows as dicts through it.

Several threadmark processes (several annotators) may share one file, so the database runs in
WAL mode with a busy timeout, and every write goes through :func:`write`, which takes the write
lock up front with ``BEGIN IMMEDIATE`` instead of failing half-way through a transaction.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from store.codebook import install_starter_codebook
from store.errors import ThreadmarkError
from store.schema import APPLICATION_ID, MIGRATIONS

BUSY_TIMEOUT_MS = 10_000
SCHEMA_VERSION = len(MIGRATIONS)


def now() -> str:
    """The current time as the ISO 8601 UTC string every table stores."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def open_database(path: Path | str, *, create: bool = True) -> sqlite3.Connection:
    """Open (and if needed create and migrate) the threadmark database at ``path``.

    A file that is not SQLite, or a SQLite database that is not threadmark's, raises
    :class:`ThreadmarkError` and is left byte for byte as it was.
    """
    path = Path(path)
    if path.is_dir():
        raise ThreadmarkError(f"{path} is a directory, not a database")
    if not path.exists() or path.stat().st_size == 0:
        # An empty file is a database no one has written yet: reading must not create one.
        if not create:
            raise ThreadmarkError(f"no database at {path} (import a thread first)")
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _check_identity(conn, path)
        _check_version(conn, path)
        conn.execute("PRAGMA foreign_keys = ON")
        _use_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        _migrate(conn, path)
    except sqlite3.DatabaseError as error:
        conn.close()
        if _is_locked(error):
            raise ThreadmarkError(f"{path} is locked by another process; try again") from None
        raise ThreadmarkError(f"{path} is not a threadmark database ({error})") from None
    except BaseException:
        conn.close()
        raise
    return conn


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL mode, waiting for other processes that are opening the same new file.

    Changing the journal mode needs an exclusive lock, and SQLite fails it at once with
    "database is locked" instead of waiting out the busy timeout, so retry until then.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if not _is_locked(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _is_locked(error: sqlite3.DatabaseError) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error).lower()


def _check_identity(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse any SQLite file that neither is empty nor carries threadmark's application id."""
    # One statement, so one snapshot: read apart, another process's first commit could fall
    # between them and show its tables without its application id.
    application_id, has_tables = conn.execute(
        "SELECT (SELECT application_id FROM pragma_application_id), "
        "(SELECT count(*) FROM sqlite_master)"
    ).fetchone()
    if application_id == APPLICATION_ID:
        return
    if application_id != 0 or has_tables:
        raise ThreadmarkError(f"{path} is a SQLite database, but not threadmark's")


def _check_version(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a database from a newer threadmark before anything (even WAL mode) touches it."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise ThreadmarkError(
            f"{path} was made by a newer threadmark (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); upgrade threadmark"
        )


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to :data:`SCHEMA_VERSION`; a new file also gets the starter codebook."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    with write(db):
        # Another process may have migrated while this one waited for the lock.
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for script in MIGRATIONS[version:]:
            for statement in _statements(script):
                db.execute(statement)
        if version == 0:
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            install_starter_codebook(db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements (``executescript`` would commit the transaction)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete statement in migration: {pending!r}")


@contextmanager
def write(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction that holds the write lock from its first statement.

    Commits on success, rolls back on any exception.  Nested use is an error: a change is
    exactly one transaction.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        # A failed COMMIT (a deferred key, a full disk) leaves the transaction open.
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


@contextmanager
def read_snapshot(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Several reads that see one state of the file, whatever other annotators write meanwhile."""
    db.execute("BEGIN")
    try:
        yield db
    finally:
        db.execute("COMMIT")
