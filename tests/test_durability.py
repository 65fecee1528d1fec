"""Killing the reader at any moment loses nothing it has shown: SIGKILL right after a key."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time

from tests.reader_support import seeded_database

# The status line's message is drawn as one run of text, so it appears whole in the stream.
CLAIM_CHIP = b"Tagged #1 claim"
FIRST_COMMENT = b"The problem with copyright"


def read_until(fd: int, wanted: bytes, seen: bytearray, timeout: float = 30.0) -> None:
    """Read the terminal stream until ``wanted`` has appeared (or fail after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"{wanted!r} never appeared on the screen"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            seen += os.read(fd, 65536)


def test_a_tag_shown_on_screen_survives_sigkill(tmp_path):
    db_path = seeded_database(tmp_path / "seed.db")
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "THREADMARK_CONFIG_DIR": str(tmp_path / "config"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "--db", str(db_path), "--annotator", "kim"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    try:
        seen = bytearray()
        read_until(master, FIRST_COMMENT, seen)
        seen.clear()
        os.write(master, b"1")
        read_until(master, CLAIM_CHIP, seen)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "SELECT a.cluster_id, t.name, a.annotator FROM annotations a "
            "JOIN tags t ON t.id = a.tag_id"
        ).fetchall()
        events = conn.execute("SELECT action FROM events").fetchall()
    finally:
        conn.close()
    assert rows == [(1, "claim", "kim")]
    assert events == [("tag",)]
