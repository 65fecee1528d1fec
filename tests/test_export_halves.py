"""The comment table written on both cores (store.exporters.halves): the bytes one process
writes, the second half by a helper from the same state of the file, and the whole table by
this process whenever the helper cannot help."""

from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path

import pytest
from halves_writer import write_pids
from hypothesis import HealthCheck, given, settings
from test_export_properties import ANY_CHARACTER, annotate, annotations, imported, threads

from store import (
    add_link,
    create_tag,
    export,
    import_file,
    open_database,
    set_note,
    toggle_tag,
)
from store.exporters import halves
from store.exporters.options import EVERYONE, ExportOptions

TESTS = Path(__file__).parent
CLAIM = 1
WORDS = ("paint", "brush", "canvas", "model", "copyright", "style", "market", "law", "art")


@pytest.fixture
def helper_always(monkeypatch):
    """A helper for any table of two comments or more, which can import the tests' writer."""
    monkeypatch.setattr(halves, "HELPER_MIN_COMMENTS", 2)
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    monkeypatch.setenv("HALVES_TEST_PARENT", str(os.getpid()))


@pytest.fixture
def db(open_db, seed_path, tmp_path):
    """Two threads, annotated by two people; comment 3 has four links, one
    target twice, linked out of the index's order."""
    database = open_db()
    import_file(database, seed_path)
    other = tmp_path / "other.txt"
    other.write_text(
        "".join(
            f'{" ".join(WORDS[(n * k) % len(WORDS)] for k in range(1, 9))}, "quoted" {n}\n'
            for n in range(1, 40, 3)
        )
    )
    import_file(database, other)
    first, *_, last = all_ids(database)
    quoted = create_tag(database, '"quoted", tag', "alice")
    for cluster_id in (first, 2, 9, last):
        toggle_tag(database, cluster_id, CLAIM, "alice")
    toggle_tag(database, 9, CLAIM, "bob")
    toggle_tag(database, 9, quoted.id, "bob")
    add_link(database, 3, 5, "rebuts", "alice")
    add_link(database, 3, 2, "supports", "bob")
    add_link(database, 3, 1, "rebuts", "alice")
    add_link(database, 3, 1, "rebuts", "bob")
    add_link(database, last, last - 1, "rephrases", "alice")
    set_note(database, 9, "alice", "=1+1, said as a formula")
    set_note(database, 9, "bob", "agreed")
    return database


def exported_csv(db, thread_id=None, options=EVERYONE) -> bytes:
    out = io.BytesIO()
    export(db, "csv", out, thread_id, options)
    return out.getvalue()


def writers(db, out=None) -> list[tuple[int, int]]:
    """(comment id, pid of the process that wrote it), in the order written."""
    out = out or io.BytesIO()
    halves.write_in_halves(db, out, None, EVERYONE, write_pids)
    return [tuple(map(int, line.split())) for line in out.getvalue().decode().splitlines()]


def all_ids(db) -> list[int]:
    return [row[0] for row in db.execute("SELECT id FROM clusters ORDER BY id")]


@pytest.mark.parametrize(
    ("thread_id", "annotator"), [(None, None), (1, None), (2, None), (None, "alice")]
)
def test_the_helpers_half_gives_the_bytes_one_process_writes(db, monkeypatch, thread_id, annotator):
    options = ExportOptions(annotator=annotator)
    alone = exported_csv(db, thread_id, options)
    monkeypatch.setattr(halves, "HELPER_MIN_COMMENTS", 2)
    assert exported_csv(db, thread_id, options) == alone
    assert alone.count(b"\r\n") == 1 + len(
        [1 for row in db.execute("SELECT thread_id FROM clusters") if thread_id in (None, row[0])]
    )


def test_the_second_half_is_written_by_another_process(db, helper_always):
    written = writers(db)
    assert [cluster_id for cluster_id, _ in written] == all_ids(db)
    pids = [pid for _, pid in written]
    mine = pids.index(next(pid for pid in pids if pid != os.getpid()))
    assert mine > 0 and set(pids[:mine]) == {os.getpid()}
    assert len(set(pids[mine:])) == 1


def test_the_write_lock_is_held_until_the_helpers_read_has_begun(db, helper_always, monkeypatch):
    monkeypatch.setenv("HALVES_TEST", "try-to-write")
    out = io.BytesIO()
    halves.write_in_halves(db, out, None, EVERYONE, write_pids)
    assert b"\nlocked\n" in out.getvalue()
    db.execute("BEGIN IMMEDIATE")  # and released once it had
    db.execute("ROLLBACK")


@pytest.mark.parametrize("behaviour", ["fail", "slow-start"])
def test_a_helper_that_fails_or_hangs_leaves_the_table_to_this_process(
    db, helper_always, monkeypatch, behaviour
):
    monkeypatch.setenv("HALVES_TEST", behaviour)
    monkeypatch.setattr(halves, "HELPER_START_SECONDS", 0.5)
    written = writers(db)
    assert [cluster_id for cluster_id, _ in written] == all_ids(db)
    assert {pid for _, pid in written} == {os.getpid()}


def test_no_interpreter_to_start_leaves_the_table_to_this_process(db, helper_always, monkeypatch):
    monkeypatch.setattr(halves.sys, "executable", "/nonexistent/python3")
    written = writers(db)
    assert [cluster_id for cluster_id, _ in written] == all_ids(db)
    assert {pid for _, pid in written} == {os.getpid()}


def test_a_database_whose_name_reads_as_a_uri_is_the_one_the_helper_reads(
    db, db_path, helper_always, tmp_path
):
    db.close()
    odd = tmp_path / "a?mode=memory#b%41 c.db"
    db_path.rename(odd)
    moved = open_database(odd)
    try:
        written = writers(moved)
        assert [cluster_id for cluster_id, _ in written] == all_ids(moved)
        assert len({pid for _, pid in written}) == 2
    finally:
        moved.close()


def test_a_colleague_holding_the_write_lock_leaves_the_table_to_this_process(
    db, db_path, helper_always
):
    colleague = sqlite3.connect(db_path, isolation_level=None)
    colleague.execute("BEGIN IMMEDIATE")
    try:
        written = writers(db)
    finally:
        colleague.execute("ROLLBACK")
        colleague.close()
    assert [cluster_id for cluster_id, _ in written] == all_ids(db)
    assert {pid for _, pid in written} == {os.getpid()}


def test_a_database_opened_read_only_is_never_locked_and_written_by_one_process(
    db, db_path, helper_always
):
    reader = open_database(db_path, read_only=True)
    try:
        written = writers(reader)
    finally:
        reader.close()
    assert [cluster_id for cluster_id, _ in written] == all_ids(db)
    assert {pid for _, pid in written} == {os.getpid()}


class Cancelled(Exception):
    pass


class CancelledAfterFirstWrite(io.BytesIO):
    def write(self, data):
        if self.tell():
            raise Cancelled
        return super().write(data)


def test_a_cancelled_export_stops_the_helper_and_leaves_no_scratch(
    db, helper_always, monkeypatch, tmp_path
):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(halves.tempfile, "tempdir", str(scratch))
    started = []
    start = halves._start_helper
    monkeypatch.setattr(
        halves, "_start_helper", lambda *args: started.append(start(*args)) or started[-1]
    )
    with pytest.raises(Cancelled):
        halves.write_in_halves(db, CancelledAfterFirstWrite(), None, EVERYONE, write_pids)
    assert started and started[0].poll() is not None
    assert list(scratch.iterdir()) == []


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(comments=threads(ANY_CHARACTER), marks=annotations)
def test_any_thread_gives_the_same_bytes_on_two_cores(
    tmp_path_factory, monkeypatch, comments, marks
):
    db = imported(tmp_path_factory.mktemp("halves"), comments)
    try:
        annotate(db, marks)
        alone = exported_csv(db)
        with monkeypatch.context() as patch:
            patch.setattr(halves, "HELPER_MIN_COMMENTS", 2)
            assert exported_csv(db) == alone
    finally:
        db.close()
