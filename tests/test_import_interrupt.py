"""An import stopped part-way (ctrl+c, a full disk) leaves the database exactly as it was, and
no file at all where there was no database before."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import store.database
import store.ingest
from store.errors import ThreadmarkError
from tests.conftest import CLI_TIMEOUT, _command
from tests.environment import clean_env

COMMENTS = 60_000  # enough that storing them takes a second or two, time to be interrupted


def write_thread(path: Path, comments: int = COMMENTS) -> Path:
    """A JSON Lines thread whose comments are all different (so none fold)."""
    words = random.Random(comments)
    with path.open("w", encoding="utf-8") as out:
        for n in range(comments):
            text = f"comment {n} says " + " ".join(f"{words.randrange(10**6):x}" for _ in range(25))
            parent = f"c{n - 1}" if n % 5 else None
            out.write(json.dumps({"id": f"c{n}", "parent": parent, "text": text}) + "\n")
    return path


def interrupt_when(command: list[str], tmp_path: Path, started) -> tuple[int, str]:
    """Run ``command``, send it SIGINT as soon as ``started()`` is true; its status and stderr."""
    process = subprocess.Popen(
        command, env=clean_env(tmp_path, None), cwd=tmp_path, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + CLI_TIMEOUT
    while not started() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)  # polling the condition, not waiting for a guessed moment
    assert process.poll() is None, "the import ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=CLI_TIMEOUT)
    return process.returncode, stderr.decode()


def test_ctrl_c_while_storing_into_a_new_database_leaves_no_file(tmp_path):
    source = write_thread(tmp_path / "thread.jsonl")
    db = tmp_path / "new.db"

    def storing() -> bool:
        return any(tmp_path.glob(".new.db.*.importing*"))

    returncode, stderr = interrupt_when(_command(["import", source, "--db", db]), tmp_path, storing)
    assert returncode == 130, stderr
    assert stderr == "threadmark: interrupted; nothing was saved from the unfinished step\n"
    assert [path.name for path in tmp_path.iterdir() if path.is_file()] == ["thread.jsonl"]


def test_ctrl_c_while_storing_into_a_database_leaves_it_as_it_was(tmp_path, seeded_db):
    source = write_thread(tmp_path / "thread.jsonl")
    before = dump(seeded_db)
    wal = Path(f"{seeded_db}-wal")

    def storing() -> bool:  # the import's pages have begun to spill into the -wal
        return wal.exists() and wal.stat().st_size > 2**20

    returncode, stderr = interrupt_when(
        _command(["import", source, "--db", seeded_db]), tmp_path, storing
    )
    assert returncode == 130, stderr
    assert dump(seeded_db) == before


def test_a_failed_import_into_a_new_path_leaves_no_file(call_cli, tmp_path, monkeypatch):
    """The disk fills while storing: the error is one line, and nothing is left behind."""
    source = write_thread(tmp_path / "thread.jsonl", comments=3_000)
    db = tmp_path / "new.db"
    open_database = store.database.open_database

    def full_disk(path, **options):
        opened = open_database(path, **options)
        pages = opened.execute("PRAGMA page_count").fetchone()[0]
        opened.execute(f"PRAGMA max_page_count = {pages + 5}")
        return opened

    monkeypatch.setattr(store.ingest, "open_database", full_disk)
    returncode, stdout, stderr = call_cli("import", source, "--db", db)
    assert (returncode, stdout) == (2, "")
    assert stderr.startswith("threadmark: error: no room left on the disk to write "), stderr
    assert [path.name for path in tmp_path.iterdir() if path.is_file()] == ["thread.jsonl"]


def test_a_failed_import_leaves_an_empty_file_empty(call_cli, tmp_path, monkeypatch):
    source = write_thread(tmp_path / "thread.jsonl", comments=3_000)
    db = tmp_path / "touched.db"
    db.touch()

    def refuse(path, **options):
        raise ThreadmarkError(f"cannot read or write {path}")

    monkeypatch.setattr(store.ingest, "open_database", refuse)
    returncode, _, _ = call_cli("import", source, "--db", db)
    assert returncode != 0
    assert db.read_bytes() == b""
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_file()) == [
        "thread.jsonl",
        "touched.db",
    ]


def dump(db_path: Path) -> list[str]:
    """Every row of the database, as SQL: what "as it was" means."""
    with sqlite3.connect(db_path) as db:
        return list(db.iterdump())
