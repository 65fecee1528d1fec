"""Shared helpers for the reader's Pilot tests: a seeded database and the screen as text."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from store import import_file, open_database
from store.seeds import SEED_THREAD_TITLE, seed_thread_path
from tui.app import ThreadmarkApp

SIZE = (80, 24)


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
