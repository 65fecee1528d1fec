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


def run_in_terminal(args: list[object], tmp_path: Path, timeout: float = 60) -> tuple[int, str]:
    """Run ``threadmark ARGS`` on a real 80x24 pseudo-terminal until it exits.

    Returns its exit status and everything it wrote to the terminal.
    """
    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**clean_env(tmp_path, None), "TERM": "xterm-256color"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", *map(str, args)],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    os.close(terminal)
    output = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # the terminal closed: the program has exited
                    break
                if not chunk:
                    break
                output += chunk
            elif process.poll() is not None:
                break
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    return code, output.decode("utf-8", errors="replace")


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
