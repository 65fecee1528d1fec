"""``threadmark import`` hardened: reader options, warnings, batches with bad files, and
sources that are not regular files or are too large to read."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

import store.database
import store.ingest
from store.errors import ThreadmarkError
from store.ingest import MAX_SOURCE_BYTES, read_source
from store.records import CommentRecord, ParsedThread, ReadOptions
from tests.test_cli import assert_bad_input, stats_json, write_other_thread


@pytest.fixture
def reader_calls(monkeypatch) -> list[ReadOptions]:
    """Replace the readers with one that records the options it is given.

    The thread it returns carries two warnings, one of them hostile, so the command line's
    wiring is tested apart from what any reader does with the options.
    """
    calls: list[ReadOptions] = []

    def read_bytes(data, name, format="auto", options=None, progress=None):
        calls.append(options)
        return ParsedThread(
            format="csv",
            records=[CommentRecord(text=data.decode())],
            warnings=["line 3: a time out of range was dropped", "odd \x1b]0;PWNED\x07 cell"],
        )

    monkeypatch.setattr(store.ingest, "read_bytes", read_bytes)
    return calls


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


# --- reader options ----------------------------------------------------------------------------


def test_reader_options_reach_the_reader(call_cli, db_path, tmp_path, reader_calls):
    source = tmp_path / "comments.csv"
    source.write_text("one comment")
    returncode, stdout, stderr = call_cli(
        "import", source, "--db", db_path,
        "--encoding", "cp1252", "--split", "paragraphs",
        "--text-column", "Body", "--author-column", "2", "--id-column", "comment id",
        "--parent-column", "10", "--time-column", "when",
    )  # fmt: skip
    assert (returncode, stdout) == (0, ""), stderr
    assert reader_calls == [
        ReadOptions(
            split="paragraphs",
            encoding="cp1252",
            columns={
                "text": "Body",
                "author": 2,
                "platform_id": "comment id",
                "parent_id": 10,
                "created_at": "when",
            },
        )
    ]


def test_without_options_the_reader_gets_the_defaults(call_cli, db_path, seed_path, reader_calls):
    assert call_cli("import", seed_path, "--db", db_path)[0] == 0
    assert reader_calls == [ReadOptions()]


def test_each_warning_is_one_line_naming_the_file_and_the_import_succeeds(
    call_cli, db_path, tmp_path, reader_calls
):
    source = tmp_path / "comments.csv"
    source.write_text("one comment")
    returncode, stdout, stderr = call_cli("import", source, "--db", db_path)
    assert (returncode, stdout) == (0, "")
    assert stderr.splitlines() == [
        f"threadmark: warning: {source}: line 3: a time out of range was dropped",
        f"threadmark: warning: {source}: odd \u241b]0;PWNED\u2407 cell",
        f"imported {source} as thread 1: 1 comment (csv), 0 folded into earlier ones",
    ]


@pytest.mark.parametrize(
    ("option", "value", "mentions"),
    [
        ("--text-column", "0", "start at 1"),
        ("--author-column", "", "cannot be empty"),
        ("--id-column", "  ", "cannot be empty"),
        ("--encoding", "no-such-codec", "unknown text encoding"),
        ("--encoding", "rot13", "unknown text encoding"),  # a codec, but not bytes to text
        ("--fold", "sideways", "--fold"),
    ],
)
def test_bad_option_values_are_errors_before_any_file_is_read(
    call_cli, seeded_db, seed_path, tmp_path, fingerprint, option, value, mentions
):
    fresh = tmp_path / "fresh.db"
    before = fingerprint(seeded_db)
    for db in (fresh, seeded_db):  # seeded: the seed is already imported, and still an error
        assert_bad_input(
            call_cli("import", seed_path, "--db", db, option, value), mentions=mentions
        )
    assert not fresh.exists()
    assert fingerprint(seeded_db) == before


def test_fold_across_authors_folds_the_same_words_from_different_people(run_cli_many, tmp_path):
    source = write_jsonl(
        tmp_path / "same-words.jsonl",
        [
            {"id": "1", "author": "ann", "text": "The same words, said twice."},
            {"id": "2", "author": "bob", "text": "The same words, said twice."},
        ],
    )
    by_author, across = tmp_path / "by-author.db", tmp_path / "across.db"
    imports = run_cli_many(
        [
            (["import", source, "--db", by_author], None),
            (["import", source, "--db", across, "--fold", "across-authors"], None),
        ]
    )
    assert [returncode for returncode, _, _ in imports] == [0, 0], imports
    assert "0 folded" in imports[0][2] and "1 folded" in imports[1][2]
    with sqlite3.connect(by_author) as first, sqlite3.connect(across) as second:
        assert first.execute("SELECT count(*) FROM clusters").fetchone() == (2,)
        assert second.execute("SELECT count(*) FROM clusters").fetchone() == (1,)


# --- a batch with bad files --------------------------------------------------------------------


def write_batch(directory: Path) -> dict[str, Path]:
    """Two good files and two bad ones (an empty JSON file, a truncated one)."""
    empty = directory / "empty.json"
    empty.write_bytes(b"")
    bad = directory / "bad.json"
    bad.write_bytes(b'{"comments": [')
    good = write_other_thread(directory / "good.txt")
    other = directory / "other.txt"
    other.write_text("a comment of its own\nand a reply to it\n", encoding="utf-8")
    return {"empty": empty, "bad": bad, "good": good, "other": other}


def test_a_bad_file_in_a_batch_imports_nothing_and_says_so(
    run_cli, call_cli, seeded_db, tmp_path, fingerprint
):
    files = write_batch(tmp_path)
    fresh = tmp_path / "fresh.db"
    before = fingerprint(seeded_db)
    for result in (
        run_cli("import", files["empty"], files["bad"], files["good"], "--db", seeded_db),
        call_cli("import", files["good"], files["empty"], files["bad"], "--db", fresh),
    ):
        line = assert_bad_input(result)
        assert line.startswith(f"threadmark: error: {files['empty'].name}")  # the first bad one
        assert line.endswith("; nothing imported")
    assert fingerprint(seeded_db) == before
    assert not fresh.exists()


def test_skip_bad_imports_the_good_files_and_reports_each_bad_one(
    run_cli, call_cli, seeded_db, tmp_path
):
    files = write_batch(tmp_path)
    order = [files["empty"], files["good"], files["bad"], files["other"]]
    returncode, stdout, stderr = run_cli("import", *order, "--db", seeded_db, "--skip-bad")
    assert (returncode, stdout) == (2, "")
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 4, stderr
    assert lines[0].startswith(f"threadmark: error: {files['empty'].name}: ")
    assert lines[0].endswith("; skipped")
    assert lines[1].startswith(f"imported {files['good']} as thread 2: 3 comments")
    assert lines[2].startswith(f"threadmark: error: {files['bad'].name}: ")
    assert lines[2].endswith("; skipped")
    assert lines[3].startswith(f"imported {files['other']} as thread 3: 2 comments")
    assert stats_json(call_cli, seeded_db)["threads"] == 3


def test_skip_bad_with_only_good_files_exits_0(call_cli, db_path, tmp_path, seed_path):
    files = write_batch(tmp_path)
    returncode, _, stderr = call_cli(
        "import", seed_path, files["good"], "--db", db_path, "--skip-bad"
    )
    assert returncode == 0, stderr
    assert stats_json(call_cli, db_path)["threads"] == 2


def test_skip_bad_with_only_bad_files_makes_no_database(call_cli, tmp_path):
    files = write_batch(tmp_path)
    db = tmp_path / "never.db"
    returncode, stdout, stderr = call_cli(
        "import", files["empty"], files["bad"], tmp_path / "missing.txt", "--db", db, "--skip-bad"
    )
    assert (returncode, stdout) == (2, "")
    assert [line.endswith("; skipped") for line in stderr.splitlines()] == [True] * 3
    assert not db.exists()


def test_a_failure_while_storing_the_second_file_stores_neither(
    call_cli, seeded_db, tmp_path, monkeypatch
):
    """The disk fills up after the first file is stored: both must be gone, as if never begun."""
    small = write_other_thread(tmp_path / "small.txt")
    large = tmp_path / "large.txt"
    large.write_text("".join(f"comment {n}: {'words ' * 40}\n" for n in range(3000)))
    open_database = store.database.open_database

    def nearly_full(path, **options):
        db = open_database(path, **options)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages + 50}")  # room for small.txt alone
        return db

    monkeypatch.setattr(store.database, "open_database", nearly_full)
    monkeypatch.setattr(store.ingest, "open_database", nearly_full)  # where the store opens it
    returncode, _, stderr = call_cli("import", small, large, "--db", seeded_db)
    assert returncode == 2
    assert stderr == f"threadmark: error: no room left on the disk to write {seeded_db}\n"
    with sqlite3.connect(seeded_db) as db:
        assert db.execute("SELECT count(*) FROM threads").fetchone() == (1,)


# --- sources that are not regular files, or too large ------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(run_cli, seeded_db, tmp_path):
    fifo = tmp_path / "thread.txt"
    os.mkfifo(fifo)
    line = assert_bad_input(run_cli("import", fifo, "--db", seeded_db))
    assert line == (
        f"threadmark: error: {fifo} is a named pipe (FIFO), not a thread; save it to a file "
        "first; nothing imported"
    )


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_refused_before_it_is_read(call_cli, tmp_path, device):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    db = tmp_path / "never.db"
    assert_bad_input(call_cli("import", device, "--db", db), mentions="a character device")
    assert not db.exists()


def test_a_file_over_the_cap_is_refused_before_it_is_read(call_cli, tmp_path):
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as out:  # sparse: no disk space, and never read
        out.truncate(MAX_SOURCE_BYTES + 1)
    db = tmp_path / "never.db"
    assert_bad_input(call_cli("import", huge, "--db", db), mentions="larger than 1 GiB")
    assert not db.exists()


def test_a_file_that_reports_no_size_is_read_to_its_end_but_not_past_the_cap(monkeypatch):
    proc_file = Path("/proc/self/maps")  # a regular file of size 0 that holds kilobytes
    if not proc_file.is_file() or proc_file.stat().st_size:
        pytest.skip("no /proc here")
    assert len(read_source(proc_file)) > 1000
    monkeypatch.setattr(store.ingest, "MAX_SOURCE_BYTES", 1000)
    with pytest.raises(ThreadmarkError, match="the most threadmark reads"):
        read_source(proc_file)


def test_a_new_database_is_stored_without_wal_and_put_in_place_in_wal(
    call_cli, db_path, seed_path, monkeypatch
):
    """A new database is written with a rollback journal (each page once) while no one else
    can see it, and is in WAL, with its rows, once in place."""
    modes = []
    store_import = store.ingest.store_import

    def recording(db, prepared, progress=None):
        modes.append(db.execute("PRAGMA journal_mode").fetchone()[0])
        return store_import(db, prepared, progress)

    monkeypatch.setattr("store.rescrape.store_import", recording)  # where the CLI's batch calls it
    returncode, _, stderr = call_cli("import", seed_path, "--db", db_path)
    assert returncode == 0, stderr
    assert modes == ["delete"]
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT count(*) FROM comments").fetchone()[0] == 20
    assert not Path(f"{db_path}-journal").exists()
