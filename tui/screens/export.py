"""``x``: export the thread in any format the core offers, to a file name the user gives."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import TextIO

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from store.database import open_database
from store.errors import ThreadmarkError
from store.exporters import EXPORTERS, FILE_SUFFIXES, export
from tui.screens.dialog import Dialog


def default_file_name(title: str, format: str) -> str:
    """A file name from the thread title: safe characters only, the format's suffix."""
    stem = re.sub(r"[^\w.-]+", "-", title.casefold()).strip("-.")[:60] or "thread"
    return stem + FILE_SUFFIXES[format]


class ExportDialog(Dialog[Path]):
    """Pick a format, edit the file name, Enter writes it (in a worker, with its own connection)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export_cancel")]
    DEFAULT_CSS = """
    ExportDialog OptionList { height: auto; max-height: 10; border: none; }
    ExportDialog #export-hint { color: $text-muted; }
    """

    def __init__(self, db_path: Path, thread_id: int, title: str, format: str = "csv") -> None:
        super().__init__()
        self.db_path = db_path
        self.thread_id = thread_id
        self.title_text = title
        self.initial_format = format
        self.cancelled = threading.Event()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Export this thread as")
            yield OptionList(*[Option(name, id=name) for name in EXPORTERS], id="export-formats")
            yield Label("to file")
            yield Input(default_file_name(self.title_text, self.initial_format), id="export-path")
            yield Label(
                "up/down format · enter in the list or the name exports · esc cancels",
                id="export-hint",
            )

    def on_mount(self) -> None:
        formats = self.query_one(OptionList)
        formats.highlighted = list(EXPORTERS).index(self.initial_format)
        formats.focus()

    @property
    def format(self) -> str:
        formats = self.query_one(OptionList)
        return formats.get_option_at_index(formats.highlighted or 0).id

    @on(OptionList.OptionHighlighted)
    def _format_changed(self, event: OptionList.OptionHighlighted) -> None:
        """Keep the folder the user typed; the file name follows the format."""
        path = self.query_one(Input)
        folder = Path(path.value.strip()).parent if path.value.strip() else Path()
        path.value = str(folder / default_file_name(self.title_text, self.format))

    @on(OptionList.OptionSelected)
    @on(Input.Submitted)
    def _start(self) -> None:
        path = Path(self.query_one(Input).value.strip()).expanduser()
        if not path.name or path.is_dir():
            self.app.notify("Give a file name to export to.", severity="error")
            return
        self.query_one(Input).disabled = True
        self.query_one(OptionList).disabled = True
        self._show_progress(0)
        self._export(self.format, path)

    @work(thread=True, exclusive=True)
    def _export(self, format: str, path: Path) -> None:
        """Runs off the UI thread; a partial file is removed if it fails or is cancelled."""
        partial = path.with_name(path.name + ".partial")
        try:
            db = open_database(self.db_path, create=False)
            try:
                with partial.open("w", encoding="utf-8", newline="") as file:
                    export(db, format, _Watched(file, self), self.thread_id)
            finally:
                db.close()
            partial.replace(path)
        except ExportCancelled:
            partial.unlink(missing_ok=True)
            return
        except (OSError, ThreadmarkError) as error:
            partial.unlink(missing_ok=True)
            message = getattr(error, "strerror", None) or str(error)
            self.app.call_from_thread(self._failed, f"Export failed: {path}: {message}")
            return
        self.app.call_from_thread(self._done, path)

    def _show_progress(self, written: int) -> None:
        hint = f"exporting… {written / 1e6:.1f} MB written · esc cancels"
        self.query_one("#export-hint", Label).update(hint)

    def _done(self, path: Path) -> None:
        self.app.notify(f"Wrote {path}", timeout=5)
        self.dismiss(path)

    def _failed(self, message: str) -> None:
        self.query_one(Input).disabled = False
        self.query_one(OptionList).disabled = False
        self.app.notify(message, severity="error", timeout=8)

    def action_cancel(self) -> None:
        self.cancelled.set()
        self.dismiss(None)


class ExportCancelled(Exception):
    """Raised from a write once the user has pressed Escape: the partial file goes."""


class _Watched:
    """The export's output stream, counting what is written and stopping on cancel."""

    REPORT_EVERY = 1 << 20

    def __init__(self, file: TextIO, dialog: ExportDialog) -> None:
        self.file = file
        self.dialog = dialog
        self.written = 0
        self.reported = 0

    def write(self, text: str) -> int:
        if self.dialog.cancelled.is_set():
            raise ExportCancelled
        self.written += len(text)
        if self.written - self.reported >= self.REPORT_EVERY:
            self.reported = self.written
            self.dialog.app.call_from_thread(self.dialog._show_progress, self.written)
        return self.file.write(text)
