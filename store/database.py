"""Opening a threadmark database, and refusing every kind of bad file with its own one-line error.

The store speaks to a plain ``sqlite3.Connection``: the reader opens one at every start, and
a wrapper such as sqlite-utils (with the numpy, and pandas where installed, that it imports)
would add 0.2 to 1 s to that first paint and to every export.

Several threadmark processes (several annotators) may share one file, so the database runs in
WAL mode with a busy timeout, and every write goes through :func:`write`, which takes the write
lock up front with ``BEGIN IMMEDIATE`` instead of failing half-way through a transaction.

A bad file (not a regular file, read-only where a write is wanted, not SQLite, not threadmark's,
from a newer threadmark, missing part of its schema, damaged, locked) raises
:class:`ThreadmarkError` and is left as it was: byte for byte, with no -wal, -shm or -journal
file that was not there before.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from store.codebook import install_starter_codebook
from store.errors import ThreadmarkError
from store.files import special_kind
from store.schema import APPLICATION_ID, MIGRATIONS

BUSY_TIMEOUT_MS = 10_000
SCHEMA_VERSION = len(MIGRATIONS)
# ``PRAGMA quick_check`` reads every page: about 4 ms a MiB from the page cache, 25 ms from disk
# (bench/integrity.py: 3.4 s warm and 23 s cold for the 800 MiB of a million comments).  So it
# runs at every open only up to this size, some 5,000 comments: 10-25 ms warm, 85 ms cold.
# In a larger file every connection checks each page's cells as it reads them
# (``cell_size_check``), so damage surfaces as SQLITE_CORRUPT, which :func:`database_error`
# explains.
QUICK_CHECK_MAX_BYTES = 4 * 2**20
# What schema_digests() gives for expected_schema(SCHEMA_VERSION), pinned so that opening a
# database of the current schema need not derive it (running every migration: 8 ms of each
# start).  A new migration changes them: tests/test_migrations.py says the values to put here.
# Where they cannot match (another SQLite makes other FTS5 shadow tables) the open derives.
CURRENT_SCHEMA_DIGESTS = (
    "218b78aebc360dd776c0bfe7a6216e345c836242cdc08d2934a44c43f8c26b2c",
    "b8a7f35df42b6cffd937df5c0d6369d589434ace6b7e65a1acf1d733d369ac8d",
)
# The files SQLite keeps beside a database while it is open, or after a crash.
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")


def now() -> str:
    """The current time as the ISO 8601 UTC string every table stores."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def database_exists(path: Path | str) -> bool:
    """Whether ``path`` holds a database already: an empty file is one no one has written yet."""
    path = Path(path)
    return path.is_file() and path.stat().st_size > 0


def open_database(
    path: Path | str, *, create: bool = True, read_only: bool = False
) -> sqlite3.Connection:
    """Open (and if needed create and migrate) the threadmark database at ``path``.

    ``read_only`` opens an existing database without writing anything, even where the file or
    its directory cannot be written; such a connection refuses to change the data, and a
    database of an older schema is refused (upgrading it is a write).
    """
    path = Path(path)
    info = _database_file(path)
    if info is None or info.st_size == 0:
        # An empty file is a database no one has written yet: reading must not create one.
        if read_only or not create:
            raise ThreadmarkError(f"no database at {path} (import a thread first)")
        _make_room(path)
    file = path.resolve()
    if not read_only:
        _refuse_read_only(path, file)
    conn = _connect(file, create=create, read_only=read_only)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA cell_size_check = ON")
        with read_snapshot(conn):
            version = _check_identity(conn, path)
            _check_schema(conn, path, version)
            if info is not None and info.st_size <= QUICK_CHECK_MAX_BYTES:
                check_integrity(conn, path)
        conn.execute("PRAGMA foreign_keys = ON")
        if read_only:
            _refuse_older_schema(path, version)
            conn.execute("PRAGMA query_only = ON")
        else:
            _use_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            _migrate(conn)
    except sqlite3.Error as error:
        conn.close()
        raise database_error(path, error) or ThreadmarkError(
            f"{path} is not a threadmark database ({error})"
        ) from None
    except UnicodeDecodeError:  # text in the schema that is not UTF-8: a damaged page
        conn.close()
        raise ThreadmarkError(_damaged(path, "its schema holds text that is not UTF-8")) from None
    except BaseException:
        conn.close()
        raise
    return conn


class OlderSchema(ThreadmarkError):
    """A database from an older threadmark, which only a connection that may write upgrades."""


class ReadOnlyDatabase(ThreadmarkError):
    """The database, its directory or a file SQLite keeps beside it cannot be written."""


def open_for_reading(path: Path | str) -> sqlite3.Connection:
    """A connection for commands that only read (stats, export).

    Where the file can be written it is an ordinary connection, so a database from an older
    threadmark is upgraded as any open upgrades it; where it cannot, a read-only one.
    """
    try:
        return open_database(path, create=False)
    except ReadOnlyDatabase:
        return open_database(path, read_only=True)


def copy_database(path: Path | str, target: Path) -> None:
    """Copy the database at ``path`` (with what its -wal holds) to a new file ``target``,
    writing nothing beside ``path`` (see :func:`_connect`)."""
    source = _connect(Path(path).resolve(), create=False, read_only=True)
    copy = sqlite3.connect(target)
    try:
        source.execute("PRAGMA query_only = ON")
        source.backup(copy)
    except sqlite3.Error as error:
        raise database_error(path, error) or ThreadmarkError(
            f"{path} is not a threadmark database ({error})"
        ) from None
    finally:
        copy.close()
        source.close()


def database_error(path: Path | str, error: sqlite3.Error) -> ThreadmarkError | None:
    """The user's error for what SQLite said about the file at ``path``; None for a bug.

    For callers too: a damaged page that the open did not read turns up only when a query does.
    """
    name = _error_name(error)
    if is_locked(error):
        return ThreadmarkError(f"{path} is locked by another process; try again")
    if name.startswith("SQLITE_CORRUPT"):
        return ThreadmarkError(_damaged(path, str(error)))
    if name == "SQLITE_NOTADB":
        return ThreadmarkError(f"{path} is not a threadmark database (not a SQLite file)")
    if name.startswith("SQLITE_READONLY"):
        return ThreadmarkError(f"{path} is read-only ({error})")
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_IOERR")):
        return ThreadmarkError(f"cannot read or write {path} ({error})")
    if name == "SQLITE_FULL":
        return ThreadmarkError(f"no room left on the disk to write {path}")
    return None


def check_integrity(db: sqlite3.Connection, path: Path | str) -> None:
    """Refuse a damaged file; it reads every page, so it costs about what reading the file does."""
    problems = db.execute("PRAGMA quick_check(1)").fetchall()
    if problems != [("ok",)]:
        raise ThreadmarkError(_damaged(path, problems[0][0]))


@functools.cache
def expected_schema(version: int) -> dict[tuple[str, str], frozenset[str]]:
    """``(type, name)`` of every table, index, view and trigger that migrations 1 to ``version``
    create, with the column names of each table and view.

    Derived by running them on an empty in-memory database, so it follows the migrations.
    """
    db = sqlite3.connect(":memory:")
    try:
        for script in MIGRATIONS[:version]:
            for statement in _statements(script):
                db.execute(statement)
        columns = _columns(db)
        return {(kind, name): frozenset(columns.get(name, ())) for kind, name in _objects(db)}
    finally:
        db.close()


def _database_file(path: Path) -> os.stat_result | None:
    """The database file's status, or None if there is none yet.

    Anything but a regular file is refused before SQLite opens it: opening a FIFO would block.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise ThreadmarkError(
                f"{path} is a symbolic link to {os.readlink(path)}, which does not exist"
            ) from None
        return None
    except OSError as error:
        raise ThreadmarkError(f"cannot open {path}: {error.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ThreadmarkError(f"{path} is a directory, not a database")
    if not stat.S_ISREG(info.st_mode):
        raise ThreadmarkError(f"{path} is {special_kind(info.st_mode)}, not a database file")
    if not os.access(path, os.R_OK):
        raise ThreadmarkError(f"cannot read {path}: permission denied")
    return info


def _make_room(path: Path) -> None:
    """Make the directory a new database goes in."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ThreadmarkError(f"cannot create {path}: {error.strerror}") from None


def _refuse_read_only(path: Path, file: Path) -> None:
    """Refuse to open for writing what cannot be written, before SQLite half-opens it.

    SQLite would open a read-only file for reading without a word, leave -wal and -shm files
    behind, and fail only at the first write.
    """
    if _unwritable(file):
        raise ReadOnlyDatabase(f"{path} is read-only: threadmark cannot write to it")
    if not os.access(file.parent, os.W_OK | os.X_OK):
        raise ReadOnlyDatabase(
            f"{path} is in a read-only directory: threadmark cannot write the -wal and -shm "
            f"files it keeps beside the database in {file.parent}"
        )
    for side in _side_files(file):
        if _unwritable(side):
            raise ReadOnlyDatabase(f"{side} is read-only: threadmark cannot write to it")


def _unwritable(file: Path) -> bool:
    """A file that is there and cannot be written.  ``os.access`` fails for a file that is not
    there, and another process's -wal, -shm or -journal can go (its connection closing) between
    any two looks: one that was there and is gone is no obstacle."""
    return not os.access(file, os.W_OK) and file.exists()


def _connect(file: Path, *, create: bool, read_only: bool) -> sqlite3.Connection:
    """A connection to ``file`` that writes nothing, and leaves no new file, if ``read_only``.

    A read-only SQLite connection (``mode=ro``) to a WAL database needs the -shm file: it
    creates one (and a -wal) when it can and leaves them behind, and fails when it cannot.  So:

    - -shm, -journal or a non-empty -wal present (another connection has the file open, or one
      crashed): ``mode=ro`` reads the changes still in the -wal through the -shm;
    - otherwise, where the file and its directory are writable: an ordinary connection, made
      read-only with ``query_only``, which locks as usual and removes its -wal and -shm;
    - otherwise (read-only file or directory): ``immutable``, which needs neither file, as
      SQLite's "Read-Only Databases" (wal.html) advises.  It takes no locks: a process that can
      write where this one cannot, opening the file and checkpointing into it during this read,
      would go unseen, or make the read fail as damaged.
    """
    if not read_only:
        mode = "rwc" if create else "rw"
    elif _has_pending_side_files(file):
        mode = "ro"
    elif os.access(file, os.W_OK) and os.access(file.parent, os.W_OK | os.X_OK):
        mode = "rw"
    else:
        mode = "ro&immutable=1"
    return sqlite3.connect(
        f"{file.as_uri()}?mode={mode}", uri=True, isolation_level=None, check_same_thread=False
    )


def _side_files(file: Path) -> list[Path]:
    return [file.with_name(file.name + suffix) for suffix in SIDE_SUFFIXES]


def _has_pending_side_files(file: Path) -> bool:
    """Whether a -shm, a -journal or a non-empty -wal lies beside ``file``."""
    wal, shm, journal = _side_files(file)
    try:
        return shm.exists() or journal.exists() or (wal.exists() and wal.stat().st_size > 0)
    except OSError:
        return True


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
            if not is_locked(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def is_locked(error: sqlite3.Error) -> bool:
    """Whether SQLite refused because another connection holds a lock."""
    return _error_name(error).startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def _error_name(error: sqlite3.Error) -> str:
    """SQLite's name for the error ("SQLITE_BUSY"); empty for one Python's sqlite3 raised
    itself (a closed cursor, text that is not UTF-8), which has none."""
    return getattr(error, "sqlite_errorname", None) or ""


def _check_identity(conn: sqlite3.Connection, path: Path) -> int:
    """The schema version of a file that is empty or threadmark's and no newer than this code.

    Any other SQLite file is refused, and so is a newer one, before anything (even WAL mode)
    touches it.
    """
    application_id, has_tables, version = conn.execute(
        "SELECT (SELECT application_id FROM pragma_application_id), "
        "(SELECT count(*) FROM sqlite_master), (SELECT user_version FROM pragma_user_version)"
    ).fetchone()
    if application_id != APPLICATION_ID and (application_id != 0 or has_tables):
        raise ThreadmarkError(f"{path} is a SQLite database, but not threadmark's")
    if version == 0 and has_tables:  # the first migration sets the version with its tables
        raise ThreadmarkError(_damaged(path, "it has tables but no schema version"))
    if version > SCHEMA_VERSION:
        raise ThreadmarkError(
            f"{path} was made by a newer threadmark (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); upgrade threadmark"
        )
    return version


def schema_digests(schema: dict[tuple[str, str], frozenset[str]]) -> tuple[str, str]:
    """Digests of a schema as :func:`expected_schema` gives it: of its objects, and of its
    objects with their columns."""
    objects = sorted(schema)
    columns = [(kind, name, sorted(schema[kind, name])) for kind, name in objects]
    return _digest(objects), _digest(columns)


def _digest(value: object) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()


def _check_schema(conn: sqlite3.Connection, path: Path, version: int) -> None:
    """Refuse a file that lacks a table, index, view, trigger or column its version has.

    A file of the current schema, nothing more and nothing less, is known by its digests.
    Objects first: a table's columns cannot be listed when a table it needs is gone (an FTS5
    table without its shadow tables).
    """
    found = _objects(conn)
    objects_digest, columns_digest = CURRENT_SCHEMA_DIGESTS
    if version == SCHEMA_VERSION and _digest(sorted(found)) == objects_digest:
        columns = _columns(conn)
        current = {(kind, name): frozenset(columns.get(name, ())) for kind, name in found}
        if schema_digests(current)[1] == columns_digest:
            return
    expected = expected_schema(version)
    missing = [f"{kind} {name}" for kind, name in expected if (kind, name) not in found]
    if not missing:
        columns = _columns(conn)
        for (_, name), wanted in expected.items():
            lacking = sorted(wanted - columns.get(name, set()))
            missing += [f"column {name}.{column}" for column in lacking]
    if missing:
        raise ThreadmarkError(
            f"{path} is missing part of threadmark's schema {version}: {', '.join(missing)}"
        )


# SQLite's own objects (sqlite_autoindex_*, sqlite_stat1) come and go with what it needs.
_NOT_SQLITES_OWN = r"m.name NOT LIKE 'sqlite\_%' ESCAPE '\'"


def _objects(db: sqlite3.Connection) -> set[tuple[str, str]]:
    """``(type, name)`` of every table, index, view and trigger."""
    return set(db.execute(f"SELECT m.type, m.name FROM sqlite_master m WHERE {_NOT_SQLITES_OWN}"))


def _columns(db: sqlite3.Connection) -> dict[str, set[str]]:
    """The column names of every table and view."""
    columns: dict[str, set[str]] = {}
    for name, column in db.execute(
        "SELECT m.name, c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c "
        f"WHERE m.type IN ('table', 'view') AND {_NOT_SQLITES_OWN}"
    ):
        columns.setdefault(name, set()).add(column)
    return columns


def _refuse_older_schema(path: Path, version: int) -> None:
    """A read-only connection cannot migrate, and the queries expect the current schema."""
    if version == 0:
        raise ThreadmarkError(f"no database at {path} (import a thread first)")
    if version < SCHEMA_VERSION:
        raise OlderSchema(
            f"{path} has threadmark's schema {version}, older than this one's "
            f"{SCHEMA_VERSION}; opening it for writing upgrades it"
        )


def _damaged(path: Path | str, detail: str) -> str:
    detail = re.sub(r"\s+", " ", detail).strip()
    if len(detail) > 120:
        detail = detail[:117] + "..."
    return f"{path} is damaged ({detail}); restore it from a backup"


def _migrate(db: sqlite3.Connection) -> None:
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
