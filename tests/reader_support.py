"""Shared helpers for the reader's Pilot tests: a seeded database and the screen as text."""

from __future__ import annotations

import fcntl
import os
import select
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

from store import import_file, open_database
from store.seeds import SEED_THREAD_TITLE, seed_thread_path
from tests.environment import clean_env
from tui.app import ThreadmarkApp

SIZE = (80, 24)


class Terminal:
    """``threadmark ARGS`` on a real 80x24 pseudo-terminal, for a test to type into and read.

    Everything the program writes is kept in ``output``; leaving the ``with`` block kills it
    if it is still running.
    """

    def __init__(self, args: list[object], tmp_path: Path) -> None:
        self.controller, terminal = os.openpty()
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {**clean_env(tmp_path, None), "TERM": "xterm-256color"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", *map(str, args)],
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
            env=env,
            cwd=tmp_path,
            start_new_session=True,
        )
        os.close(terminal)
        self.output = bytearray()
        self.closed = False  # the program closed the terminal: it has exited

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.controller)

    def send(self, keys: bytes) -> None:
        os.write(self.controller, keys)

    def read(self, timeout: float) -> bool:
        """Add what the program writes within ``timeout`` seconds; False if it wrote nothing."""
        if self.closed or not select.select([self.controller], [], [], timeout)[0]:
            return False
        try:
            chunk = os.read(self.controller, 65536)
        except OSError:  # EIO: the program closed the terminal
            chunk = b""
        self.closed = not chunk
        self.output += chunk
        return bool(chunk)

    def read_until(self, wanted: bytes, *, since: int = 0, timeout: float = 30.0) -> None:
        """Read until ``wanted`` shows in the output after offset ``since``; fail after
        ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while wanted not in self.output[since:]:
            remaining = deadline - time.monotonic()
            assert remaining > 0 and not self.closed, f"{wanted!r} never appeared on the screen"
            self.read(remaining)

    def wait(self, timeout: float = 60) -> tuple[int, str]:
        """Read until the program exits; its exit status and everything it wrote."""
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            if not self.read(0.1) and self.process.poll() is not None:
                break
        code = self.process.wait(timeout=max(1.0, deadline - time.monotonic()))
        return code, self.output.decode("utf-8", errors="replace")


def run_in_terminal(args: list[object], tmp_path: Path, timeout: float = 60) -> tuple[int, str]:
    """Run ``threadmark ARGS`` on a real 80x24 pseudo-terminal until it exits.

    Returns its exit status and everything it wrote to the terminal.
    """
    with Terminal(args, tmp_path) as terminal:
        return terminal.wait(timeout)


def seeded_database(path: Path) -> Path:
    db = open_database(path)
    import_file(db, seed_thread_path(), title=SEED_THREAD_TITLE)
    db.close()
    return path


def database_with(path: Path, source: Path) -> Path:
    db = open_database(path)
    import_file(db, source)
    db.close()
    return path


def reader(db_path: Path, annotator: str = "alice", **options) -> ThreadmarkApp:
    return ThreadmarkApp(db_path, annotator, **options)


def screen_text(app: ThreadmarkApp) -> str:
    """Every character on the screen, line by line, as the terminal would show it."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def panel_text(app: ThreadmarkApp) -> str:
    """The right half of the screen at 80 columns: the annotation pane."""
    return "\n".join(line[40:] for line in screen_text(app).splitlines()[1:-1])


def status_text(app: ThreadmarkApp) -> str:
    """The reader's status line (messages, the filter, the counts) as shown."""
    return screen_text(app).splitlines()[-2]


def rows(db_path: Path, sql: str, args: tuple = ()) -> list[tuple]:
    """Read through a separate connection: proves the change was committed."""
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


async def settle(app: ThreadmarkApp, pilot) -> None:
    """Wait for background work (a filter, an export) and the redraw that follows it."""
    await app.workers.wait_for_complete()
    await pilot.pause()


async def wait_until(pilot, condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Let the app run until ``condition()`` holds: for work it does in the background."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await pilot.pause()


def palette_prompts(app) -> list[str]:
    """The commands the open command palette offers, as text."""
    from textual.command import CommandList

    options = app.screen.query_one(CommandList).options
    return [str(option.prompt) for option in options]
