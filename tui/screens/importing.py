"""Importing a thread from inside the reader: a progress bar, and Escape to cancel."""

from __future__ import annotations

import threading
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label, ProgressBar
from textual.worker import get_current_worker

from store.database import database_exists, open_database
from store.errors import ThreadmarkError
from store.ingest import (
    database_for_import,
    fold_thread,
    read_thread,
    thread_with_key,
    write_import,
)
from store.rescrape import PreparedUpdate, write_update
from tui.inert import inert
from tui.screens.dialog import Dialog


class ImportCancelled(Exception):
    """Raised from the progress callback so the import stops and its transaction rolls back."""


class ImportScreen(Dialog[int]):
    """Dismisses with the new (or existing) thread id; the app decides what failure means."""

    BINDINGS = [Binding("escape", "cancel", "Cancel import", id="import_cancel")]
    DEFAULT_CSS = """
    ImportScreen > Vertical { width: 60; }
    ImportScreen ProgressBar { width: 100%; }
    """

    def __init__(self, db_path: Path, source: Path, title: str | None = None) -> None:
        super().__init__()
        self.db_path = db_path
        self.source = source
        self.title_text = title
        self.cancelled = threading.Event()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"Importing {inert(self.source.name)}"))
            yield Label("reading", id="import-stage")
            yield ProgressBar(show_eta=False)
            yield Label("esc cancels", classes="hint")

    def on_mount(self) -> None:
        self.run_worker(self._import, thread=True, exclusive=True, name="import")

    def _progress(self, stage: str, done: int, total: int) -> None:
        if self.cancelled.is_set() or get_current_worker().is_cancelled:
            raise ImportCancelled
        self.app.call_from_thread(self._show_progress, stage, done, total)

    def _show_progress(self, stage: str, done: int, total: int) -> None:
        self.query_one("#import-stage", Label).update(Text(stage))
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)

    def _import(self) -> None:
        """Read and fold first, and only then open (or create) the database and store."""
        try:
            sha256, parsed = read_thread(self.source, progress=self._progress)
            existing = self._thread_it_updates(parsed.thread_key)
            if existing is not None:  # a newer scrape of a thread here: it keeps its codes
                update = PreparedUpdate(self.source.name, sha256, parsed, existing)
                db = open_database(self.db_path)
                try:
                    outcome = write_update(db, update, self._progress)
                finally:
                    db.close()
                if not outcome.already:
                    summary = f"updated thread {outcome.thread_id}: {outcome.summary()}"
                    self.app.call_from_thread(self.app.warn_later, summary)
            else:
                prepared = fold_thread(
                    self.source, sha256, parsed, title=self.title_text, progress=self._progress
                )
                with database_for_import(self.db_path) as db:  # none left if cancelled
                    outcome = write_import(db, prepared, self._progress)
        except ThreadmarkError as error:
            self.app.call_from_thread(self.app.import_failed, str(error), cancelled=False)
            return
        except ImportCancelled:
            message = "import cancelled; nothing was saved"
            self.app.call_from_thread(self.app.import_failed, message, cancelled=True)
            return
        for warning in parsed.warnings:
            self.app.call_from_thread(self.app.warn_later, f"{self.source.name}: {warning}")
        self.app.call_from_thread(self.dismiss, outcome.thread_id)

    def _thread_it_updates(self, thread_key: str | None) -> int | None:
        """The thread here that a scrape with this key is a newer version of, if any."""
        if thread_key is None or not database_exists(self.db_path):
            return None
        db = open_database(self.db_path)
        try:
            return thread_with_key(db, thread_key)
        finally:
            db.close()

    def action_cancel(self) -> None:
        self.cancelled.set()
        self.query_one("#import-stage", Label).update("cancelling…")
