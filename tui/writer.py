"""The reader's one writer: every change runs on its own thread and connection, in order.

A colleague's long import holds the database's write lock for seconds, and a change made on
the UI thread would wait for it with every key frozen.  Here a change is queued and the keys
stay live: it runs in its own ``BEGIN IMMEDIATE`` transaction on the writer's connection
(waiting out a lock as long as it takes, and saying so after a moment), and its result comes
back to the UI thread as a message.  Changes run in the order they were made, so a tag and
its untag typed in a burst land in that order.  Closing waits for the queue to drain: what
was typed before ``q`` is saved.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from textual.message import Message
from textual.message_pump import MessagePump

from store.database import is_locked, open_database

Change = Callable[[sqlite3.Connection], Any]
# How long a change waits for the write lock before the reader says it is waiting; then it
# goes on waiting: a change is never dropped for a lock.
WAITING_NOTICE_MS = 1000
_STOP = None


class _Job(NamedTuple):
    change: Change
    done: Callable[[Any], None]
    failed: Callable[[Exception], None]


class Writer:
    """Runs changes on a thread of its own; ``owner`` (the app) gets their outcomes."""

    class Finished(Message):
        """A change ran: ``callback(value)`` is its outcome, to be called on the UI thread."""

        def __init__(self, callback: Callable[[Any], None], value: Any) -> None:
            super().__init__()
            self.callback = callback
            self.value = value

    class Waiting(Message):
        """A change has waited a while for another process's write lock."""

    def __init__(self, owner: MessagePump, db_path: Path) -> None:
        self.owner = owner
        self.pending = 0  # changes queued or running: counted on the UI thread
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        # Opened here, so that a database the writer cannot open fails the reader's start
        # rather than every change after it; used only on the writer's thread from then on.
        self._db = open_database(db_path, create=False)
        self._db.execute(f"PRAGMA busy_timeout = {WAITING_NOTICE_MS}")
        self._thread = threading.Thread(target=self._run, name="threadmark-writer")
        self._thread.start()

    def submit(
        self, change: Change, done: Callable[[Any], None], failed: Callable[[Exception], None]
    ) -> None:
        """Queue ``change(db)``; ``done(result)`` or ``failed(error)`` follows on the UI thread
        (via :meth:`finished`)."""
        self.pending += 1
        self._jobs.put(_Job(change, done, failed))

    def finished(self, message: Finished) -> None:
        """The owner's handler of :class:`Finished`."""
        self.pending -= 1
        message.callback(message.value)

    def close(self) -> None:
        """Run what is queued, then stop (outcomes that arrive after the app has gone are
        dropped: the changes themselves are committed)."""
        self._jobs.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        db = self._db
        try:
            while (job := self._jobs.get()) is not _STOP:
                try:
                    outcome = (job.done, self._until_done(db, job.change))
                except Exception as error:  # the UI says why it was not saved
                    outcome = (job.failed, error)
                self.owner.post_message(self.Finished(*outcome))
        finally:
            db.close()

    def _until_done(self, db: sqlite3.Connection, change: Change) -> Any:
        """Run ``change``, again and again while another process holds the write lock (its
        transaction rolled back each time, so it runs whole once)."""
        while True:
            try:
                return change(db)
            except sqlite3.OperationalError as error:
                if not is_locked(error):
                    raise
                self.owner.post_message(self.Waiting())
