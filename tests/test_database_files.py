"""Bad database files (issue "Hardening", item 20): each kind gets its own one-line error, and the
file is left as it was: the same bytes, and no -wal, -shm or -journal file that was not there.

The kinds: not a regular file (FIFO, device, socket, dangling symlink), read-only (file or
directory), damaged (schema page, data page, truncation, random flips), missing part of its
schema, locked.  Not SQLite, not threadmark's and newer are in test_cli.py; here they are
opened read-only too.  A read-only database opens for reading (``read_only=True``) with or
without a crash's -wal left beside it, and writes nothing.

Read-only needs a file this process really cannot write: chmod, or for root (whom chmod does
not bind) the immutable attribute, ``chattr +i``; where neither works the test says so and skips.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import database, thread_stats, toggle_tag
from store.database import (
    SCHEMA_VERSION,
    SIDE_SUFFIXES,
    check_integrity,
    database_error,
    expected_schema,
    open_database,
)
from store.errors import ThreadmarkError
from store.schema import MIGRATIONS
from tests.conftest import file_state
from tests.test_cli import BAD_DATABASES, assert_bad_input, make_bad_database

SEED_COMMENTS = 20


def side_files(path: Path) -> list[str]:
    """The -wal, -shm and -journal files beside ``path``."""
    names = [path.name + suffix for suffix in SIDE_SUFFIXES]
    return sorted(name for name in names if path.with_name(name).exists())


def disk_state(path: Path) -> tuple:
    """The database's bytes, its -wal's, and which side files there are.

    The -shm is SQLite's index of the -wal, rebuilt by any reader after a crash: only its
    presence counts.
    """
    wal = path.with_name(path.name + "-wal")
    return file_state(path), file_state(wal), side_files(path)


def assert_refused(path: Path, match: str, **options) -> ThreadmarkError:
    """``open_database(path, **options)`` raises one line matching ``match``; nothing changes."""
    before = disk_state(path)
    with pytest.raises(ThreadmarkError, match=match) as raised:
        open_database(path, **options)
    assert "\n" not in str(raised.value)
    assert disk_state(path) == before
    return raised.value


def count(db: sqlite3.Connection, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def crash_with_a_tag(path: Path) -> None:
    """Leave ``path`` as a process killed after tagging comment 1 would: the tag only in its
    -wal, with the -shm beside it (copied while the writer still has them open)."""
    scratch = path.with_name("scratch")
    scratch.mkdir()
    live = scratch / path.name
    shutil.copyfile(path, live)
    db = open_database(live)
    try:
        toggle_tag(db, 1, 1, "crashed")
        for suffix in ("", "-wal", "-shm"):
            shutil.copyfile(f"{live}{suffix}", f"{path}{suffix}")
    finally:
        db.close()
    shutil.rmtree(scratch)
    main_file_alone = sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True)
    try:
        assert count(main_file_alone, "annotations") == 0
    finally:
        main_file_alone.close()


# --- not a regular file ----------------------------------------------------------------------


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _socket(path: Path) -> Path:
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
    return path


def _dangling(path: Path) -> Path:
    path.symlink_to(path.with_name("gone") / "threadmark.db")
    return path


def _link_to_fifo(path: Path) -> Path:
    path.symlink_to(_fifo(path.with_name("pipe")))
    return path


NOT_REGULAR = {
    # case: (how to make it at a path, what the error says: a regular expression)
    "fifo": (_fifo, r"is a named pipe \(FIFO\), not a database file"),
    "char-device": (lambda path: Path("/dev/zero"), "is a character device, not a database file"),
    "socket": (_socket, "is a socket, not a database file"),
    "dangling-symlink": (_dangling, "is a symbolic link to .*gone/threadmark.db, which does not"),
    "symlink-to-fifo": (_link_to_fifo, r"is a named pipe \(FIFO\), not a database file"),
}


def open_without_hanging(path: Path, **options) -> BaseException | None:
    """What ``open_database`` raised (None if nothing), failing instead of blocking forever."""
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            open_database(path, **options).close()
            outcome.append(None)
        except BaseException as error:  # handed to the test
            outcome.append(error)

    opener = threading.Thread(target=attempt, daemon=True)
    opener.start()
    opener.join(timeout=10)
    assert outcome, f"open_database({path}) blocked"
    return outcome[0]


@pytest.mark.parametrize("case", list(NOT_REGULAR))
def test_what_is_not_a_regular_file_is_refused_without_blocking(
    case, tmp_path, run_cli_many, seed_path
):
    make, message = NOT_REGULAR[case]
    path = make(tmp_path / "threadmark.db")
    before = sorted(tmp_path.iterdir())
    for options in ({}, {"create": False}, {"read_only": True}):
        error = open_without_hanging(path, **options)
        assert isinstance(error, ThreadmarkError), error
        assert str(error).startswith(str(path)) and re.search(message, str(error)), error
    for result in run_cli_many(
        [(["stats", "--db", path], None), (["import", seed_path, "--db", path], None)]
    ):
        assert re.search(message, assert_bad_input(result, mentions=str(path)))
    assert sorted(tmp_path.iterdir()) == before  # a dangling link's target is not created


def test_a_symlink_to_a_database_opens_it_and_cleans_up_beside_the_target(seeded_db, tmp_path):
    link = tmp_path / "elsewhere" / "link.db"
    link.parent.mkdir()
    link.symlink_to(seeded_db)
    db = open_database(link)
    try:
        assert thread_stats(db)["comments"] == SEED_COMMENTS
    finally:
        db.close()
    assert side_files(seeded_db) == side_files(link) == []


def test_a_new_database_needs_a_directory_it_can_be_made_in(tmp_path, make_read_only):
    a_file = tmp_path / "plain-file"
    a_file.write_text("not a directory")
    assert_refused(a_file / "threadmark.db", "cannot open .*: Not a directory")
    locked_away = tmp_path / "read-only"
    locked_away.mkdir()
    make_read_only(locked_away)
    assert_refused(locked_away / "threadmark.db", "is in a read-only directory")
    assert list(locked_away.iterdir()) == []


# --- read-only -------------------------------------------------------------------------------


@pytest.fixture
def make_read_only():
    """``make_read_only(*paths)``: paths this process cannot write, made writable again after.

    chmod a-w, or for root the immutable attribute (chattr +i): chmod does not bind root.
    Skips when neither makes a path read-only here.
    """
    undo = []

    def apply(*paths: Path) -> None:
        for path in paths:
            if os.geteuid() == 0:
                _make_immutable(path)
                undo.append(lambda path=path: subprocess.run(["chattr", "-i", path], check=True))
            else:
                mode = path.stat().st_mode
                path.chmod(mode & ~0o222)
                undo.append(lambda path=path, mode=mode: path.chmod(mode))
            if os.access(path, os.W_OK):
                pytest.skip(f"{path.name} stays writable for this user here")

    yield apply
    for action in reversed(undo):
        action()


def _make_immutable(path: Path) -> None:
    if shutil.which("chattr") is None:
        pytest.skip("running as root, whom chmod does not bind, and there is no chattr")
    done = subprocess.run(["chattr", "+i", path], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(
            f"running as root, whom chmod does not bind, and chattr +i fails here: "
            f"{done.stderr.strip()}"
        )


@pytest.fixture
def db_in_own_dir(seeded_db: Path) -> Path:
    """The seeded database alone in a directory (which a test may make read-only)."""
    path = seeded_db.parent / "own" / "threadmark.db"
    path.parent.mkdir()
    shutil.move(seeded_db, path)
    return path


READ_ONLY_PLACES = ("file", "directory", "both")


@pytest.mark.parametrize("crashed", [False, True], ids=["closed", "crashed"])
@pytest.mark.parametrize("place", READ_ONLY_PLACES)
def test_a_read_only_database_reads_and_refuses_writes(
    place, crashed, db_in_own_dir, make_read_only, run_cli, seed_path
):
    path = db_in_own_dir
    if crashed:
        crash_with_a_tag(path)
    files = [path.parent / name for name in [path.name, *side_files(path)]]
    make_read_only(
        *{"file": files, "directory": [path.parent], "both": [*files, path.parent]}[place]
    )
    before = disk_state(path)

    message = str(assert_refused(path, "read-only"))
    assert ("read-only directory" in message) == (place == "directory")
    db = open_database(path, read_only=True)
    try:
        assert thread_stats(db)["comments"] == SEED_COMMENTS
        assert count(db, "annotations") == crashed  # the crashed writer's tag, in the -wal
    finally:
        db.close()
    assert disk_state(path) == before

    # A writing command (the seed is already in, so import opens the database first).
    assert_bad_input(run_cli("import", seed_path, "--db", path), mentions="read-only")
    assert disk_state(path) == before


@pytest.mark.parametrize("place", ["file", "directory"])
def test_stats_and_export_read_a_read_only_database(
    place, db_in_own_dir, make_read_only, run_cli_many, tmp_path
):
    path = db_in_own_dir
    make_read_only(path if place == "file" else path.parent)
    before = disk_state(path)
    stats, export = run_cli_many(
        [
            (["stats", "--db", path, "--json"], None),
            (["export", "--db", path, "--format", "jsonl", "-o", tmp_path / "out.jsonl"], None),
        ]
    )
    assert stats[0] == 0 and f'"comments": {SEED_COMMENTS}' in stats[1], stats[2]
    assert export[0] == 0, export[2]
    assert disk_state(path) == before


@pytest.mark.parametrize("crashed", [False, True], ids=["closed", "crashed"])
def test_opening_read_only_writes_nothing_even_where_it_could(crashed, seeded_db):
    """SQLite's own ``mode=ro`` and ``query_only``, which bind root too."""
    if crashed:
        crash_with_a_tag(seeded_db)
    before = disk_state(seeded_db)
    db = open_database(seeded_db, read_only=True)
    try:
        assert count(db, "annotations") == crashed
        with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only"):
            toggle_tag(db, 2, 1, "alice")
        assert count(db, "annotations") == crashed
    finally:
        db.close()
    assert disk_state(seeded_db) == before


def test_a_read_only_connection_sees_what_a_writer_commits(open_db, seeded_db):
    writer = open_db(seeded_db)
    reader = open_database(seeded_db, read_only=True)
    try:
        toggle_tag(writer, 1, 1, "alice")
        assert count(reader, "annotations") == 1
        toggle_tag(writer, 2, 1, "alice")
        assert count(reader, "annotations") == 2
    finally:
        reader.close()


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal"])
def test_a_side_file_that_goes_while_it_is_looked_at_is_no_obstacle(suffix, seeded_db, monkeypatch):
    """Another process's connection closing removes its -wal and -shm (a new database's
    -journal goes at each commit) at any moment, even between a check that the file is there
    and a check that it can be written: such a file must not make the database read-only."""
    side = Path(f"{seeded_db}{suffix}")
    side.write_bytes(b"")
    real_access = os.access

    def closing_meanwhile(path, mode, **kwargs):
        if Path(path) == side:
            side.unlink(missing_ok=True)  # the other connection closes just now
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(database.os, "access", closing_meanwhile)
    open_database(seeded_db).close()
    assert not side.exists()


def test_read_only_refuses_a_database_that_is_not_there_yet(tmp_path):
    empty = tmp_path / "touched.db"
    empty.touch()
    for path in (tmp_path / "absent.db", empty):
        assert_refused(path, "no database at .*import a thread first", read_only=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["touched.db"]
    assert empty.read_bytes() == b""


@pytest.mark.parametrize("kind", BAD_DATABASES)
def test_read_only_refuses_what_open_refuses(kind, tmp_path):
    path = tmp_path / "bad.db"
    make_bad_database(kind, path)
    refused = "newer threadmark" if kind.startswith("newer") else "not threadmark's|not a thread"
    assert_refused(path, "directory" if kind == "directory" else refused, read_only=True)


@pytest.mark.skipif(SCHEMA_VERSION < 2, reason="needs a migration to have an older schema")
def test_an_older_schema_is_upgraded_by_a_write_open_and_refused_read_only(
    db_path, monkeypatch, seed_path
):
    with monkeypatch.context() as patch:
        patch.setattr(database, "MIGRATIONS", MIGRATIONS[:1])
        patch.setattr(database, "SCHEMA_VERSION", 1)
        open_database(db_path).close()
    assert_refused(db_path, f"schema 1, older than this one's {SCHEMA_VERSION}", read_only=True)
    db = open_database(db_path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        db.close()
    open_database(db_path, read_only=True).close()


# --- damaged ---------------------------------------------------------------------------------


def overwrite(path: Path, offset: int, data: bytes) -> None:
    with path.open("r+b") as file:
        file.seek(offset)
        file.write(data)


def page_of(path: Path, table: str) -> int:
    """Where ``table``'s root page starts in the file."""
    conn = sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True)
    try:
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    return (root[0] - 1) * page_size


def schema_record(path: Path, table: str) -> int:
    """Where ``table``'s row in sqlite_master spells its name (type, name, tbl_name in a row)."""
    return path.read_bytes().index(f"table{table}{table}".encode()) + len("table")


DAMAGE = {
    # case: how to damage a closed seeded database
    "schema-name-not-utf8": lambda path: overwrite(path, schema_record(path, "tags"), b"\xff\xfe"),
    "schema-sql": lambda path: overwrite(
        path, path.read_bytes().index(b"CREATE TABLE tags"), b"CREATE TABLE \xff\xfe"
    ),
    "schema-page-header": lambda path: overwrite(path, 100, b"\x55" * 12),
    "data-page": lambda path: overwrite(path, page_of(path, "comments"), b"\x41" * 12),
    "index-page": lambda path: overwrite(path, page_of(path, "comments_cluster"), b"\x41" * 8),
    "truncated": lambda path: os.truncate(path, path.stat().st_size // 2),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_a_damaged_database_is_refused(case, seeded_db, run_cli_many, seed_path):
    DAMAGE[case](seeded_db)
    before = disk_state(seeded_db)
    for options in ({}, {"create": False}, {"read_only": True}):
        assert_refused(seeded_db, "is damaged .*; restore it from a backup", **options)
    for result in run_cli_many(
        [(["stats", "--db", seeded_db], None), (["import", seed_path, "--db", seeded_db], None)]
    ):
        assert "is damaged" in assert_bad_input(result, mentions=str(seeded_db))
    assert disk_state(seeded_db) == before


def test_a_large_database_is_checked_on_demand_and_as_its_pages_are_read(seeded_db, monkeypatch):
    """Above QUICK_CHECK_MAX_BYTES the open does not read every page (bench/integrity.py)."""
    monkeypatch.setattr(database, "QUICK_CHECK_MAX_BYTES", 0)
    DAMAGE["data-page"](seeded_db)
    before = disk_state(seeded_db)
    db = open_database(seeded_db, read_only=True)
    try:
        with pytest.raises(ThreadmarkError, match="is damaged"):
            check_integrity(db, seeded_db)
        with pytest.raises(sqlite3.DatabaseError) as raised:
            db.execute("SELECT sum(length(text)) FROM comments").fetchone()
        explained = database_error(seeded_db, raised.value)
        assert explained is not None and "is damaged" in str(explained)
    finally:
        db.close()
    assert disk_state(seeded_db) == before


def test_an_error_that_is_not_the_files_is_left_a_bug(open_db):
    db = open_db()
    with pytest.raises(sqlite3.OperationalError) as raised:
        db.execute("SELECT no_such_column FROM tags")
    assert database_error("x.db", raised.value) is None


@pytest.fixture(scope="module")
def small_database(seeded_template) -> bytes:
    """The bytes of a closed seeded database."""
    return seeded_template.read_bytes()


@st.composite
def damaged_copies(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` cut short, or with 1 to 8 bytes flipped: anywhere, or among the first bytes
    of a page, where a b-tree page keeps its header."""
    if draw(st.booleans()):
        return original[: draw(st.integers(0, len(original) - 1))]
    page_size = int.from_bytes(original[16:18], "big")  # from the SQLite header
    near_a_page_start = st.builds(
        lambda page, at: page * page_size + at,
        st.integers(0, len(original) // page_size - 1),
        st.integers(0, 24),
    )
    offsets = st.one_of(st.integers(0, len(original) - 1), near_a_page_start)
    damaged = bytearray(original)
    for offset in draw(st.lists(offsets, min_size=1, max_size=8)):
        damaged[offset] ^= draw(st.integers(1, 255))
    return bytes(damaged)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), read_only=st.booleans())
def test_any_damage_opens_or_is_refused_untouched(small_database, data, read_only):
    damaged = data.draw(damaged_copies(small_database))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "threadmark.db"
        path.write_bytes(damaged)
        try:
            open_database(path, read_only=read_only).close()
        except ThreadmarkError as error:
            assert "\n" not in str(error)
            assert path.read_bytes() == damaged
            assert side_files(path) == []


# --- missing part of the schema --------------------------------------------------------------

SCHEMA_OBJECTS = sorted(expected_schema(SCHEMA_VERSION))


def _drop(path: Path, kind: str, name: str) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(f'DROP {kind.upper()} "{name}"')
        conn.commit()
    finally:
        conn.close()


@pytest.mark.parametrize(("kind", "name"), SCHEMA_OBJECTS, ids=[n for _, n in SCHEMA_OBJECTS])
def test_a_database_missing_a_table_or_index_is_refused_by_name(kind, name, seeded_db):
    try:
        _drop(seeded_db, kind, name)
    except sqlite3.OperationalError as error:  # FTS5 keeps its own tables
        pytest.skip(f"SQLite will not drop {kind} {name}: {error}")
    for options in ({}, {"read_only": True}):
        message = str(
            assert_refused(seeded_db, "is missing part of threadmark's schema", **options)
        )
        assert f"{kind} {name}" in message


def test_a_missing_table_is_named_by_every_command(seeded_db, run_cli_many, seed_path):
    _drop(seeded_db, "table", "tags")
    before = disk_state(seeded_db)
    for result in run_cli_many(
        [(["stats", "--db", seeded_db], None), (["import", seed_path, "--db", seeded_db], None)]
    ):
        assert "table tags" in assert_bad_input(result, mentions="missing part")
    assert disk_state(seeded_db) == before


def test_a_missing_column_is_named(seeded_db):
    table, column = "notes", "text"
    conn = sqlite3.connect(seeded_db)
    try:
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.commit()
    finally:
        conn.close()
    assert_refused(seeded_db, f"column {table}.{column}")


def test_an_extra_table_or_index_of_ones_own_is_allowed(seeded_db):
    conn = sqlite3.connect(seeded_db)
    try:
        conn.execute("CREATE TABLE my_notes (x)")
        conn.execute("CREATE INDEX my_comments_author ON comments (author)")
        conn.commit()
    finally:
        conn.close()
    open_database(seeded_db).close()


# --- locked ----------------------------------------------------------------------------------


def test_a_locked_database_says_so(seeded_db, monkeypatch, call_cli):
    """In-process (call_cli): only there can the 10 s busy timeout be shortened."""
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 100)
    before = file_state(seeded_db)
    holder = sqlite3.connect(seeded_db, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        for options in ({}, {"read_only": True}):
            with pytest.raises(ThreadmarkError, match="is locked by another process"):
                open_database(seeded_db, **options)
        assert_bad_input(call_cli("stats", "--db", seeded_db), mentions="locked")
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    assert file_state(seeded_db) == before
    assert side_files(seeded_db) == []
