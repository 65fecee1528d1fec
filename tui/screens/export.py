"""``x``: export the thread in any format the core offers, to a file name the user gives."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import BinaryIO

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from store.database import open_database
from store.errors import ThreadmarkError
from store.exporters import EXPORT_FORMATS, ExportFormat
from store.exporting import export_file
from tui.inert import inert
from tui.screens.dialog import Dialog


def default_file_name(title: str, format: str) -> str:
    """A file name from the thread title: safe characters only, the format's suffix."""
    stem = re.sub(r"[^\w.-]+", "-", title.casefold()).strip("-.")[:60] or "thread"
    return stem + EXPORT_FORMATS[format].suffix


def _format_line(format: ExportFormat) -> Text:
    """A format in the list: its name, then what it is for, dimmed."""
    return Text.assemble((f"{format.name:<13}", "bold"), (format.description, "dim"))


class ExportDialog(Dialog[Path]):
    """Pick a format, edit the file name, Enter writes it (in a worker, with its own connection)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export_cancel")]
    DEFAULT_CSS = """
    ExportDialog OptionList { height: auto; max-height: 10; border: none; }
    ExportDialog #export-target { color: $text-muted; }
    ExportDialog #export-hint { color: $text-muted; }
    ExportDialog #export-hint.-problem { color: $error; text-style: bold; }
    """
    HINT = "up/down format · enter in the list or the name exports · esc cancels"

    def __init__(self, db_path: Path, thread_id: int, title: str, format: str = "csv") -> None:
        super().__init__()
        self.db_path = db_path
        self.thread_id = thread_id
        self.title_text = title
        self.initial_format = format
        self.cancelled = threading.Event()
        self._overwrite_confirmed: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Export this thread as")
            yield OptionList(
                *[
                    Option(_format_line(format), id=format.name)
                    for format in EXPORT_FORMATS.values()
                ],
                id="export-formats",
            )
            yield Label("to file")
            yield Input(default_file_name(self.title_text, self.initial_format), id="export-path")
            yield Label(id="export-target")
            yield Label(self.HINT, id="export-hint")

    def on_mount(self) -> None:
        formats = self.query_one(OptionList)
        formats.highlighted = list(EXPORT_FORMATS).index(self.initial_format)
        formats.focus()
        self._show_target()

    def _target(self) -> Path:
        return Path(self.query_one(Input).value.strip()).expanduser()

    @on(Input.Changed)
    def _show_target(self) -> None:
        """The full path the file will have: a relative name is relative to where threadmark
        was started, which a user over SSH may not remember."""
        target = self._target()
        shown = inert(str(target.resolve())) if target.name else "(no file name)"
        self.query_one("#export-target", Label).update(Text(f"→ {shown}"))
        self._overwrite_confirmed = None
        self._hint(self.HINT)

    def _hint(self, text: str, *, problem: bool = False) -> None:
        hint = self.query_one("#export-hint", Label)
        hint.update(Text(text))
        hint.set_class(problem, "-problem")

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
        path = self._target()
        if not path.name or path.is_dir():
            self._hint("Give a file name to export to.", problem=True)
            return
        if path.exists() and self._overwrite_confirmed != path:
            self._overwrite_confirmed = path
            self._hint(f"{inert(path.name)} exists: enter again replaces it", problem=True)
            return
        self._editable(False)
        self._show_progress(0)
        self._export(self.format, path)

    def _editable(self, editable: bool) -> None:
        self.query_one(Input).disabled = not editable
        self.query_one(OptionList).disabled = not editable

    @work(thread=True, exclusive=True)
    def _export(self, format: str, path: Path) -> None:
        """Runs off the UI thread; a partial file is removed if it fails or is cancelled."""
        try:
            db = open_database(self.db_path, create=False)
            try:
                export_file(
                    db, format, path, self.thread_id, watch=lambda file: _Watched(file, self)
                )
            finally:
                db.close()
        except ExportCancelled:
            return
        except (OSError, ThreadmarkError) as error:
            message = getattr(error, "strerror", None) or str(error)
            self.app.call_from_thread(self._failed, f"Export failed: {message}")
            return
        self.app.call_from_thread(self._done, path)

    def _show_progress(self, written: int) -> None:
        self._hint(f"exporting… {written / 1e6:.1f} MB written · esc cancels")

    def _done(self, path: Path) -> None:
        self.dismiss(path)
        self.app.notify(f"Wrote {inert(str(path))}")

    def _failed(self, message: str) -> None:
        """Back to editing, with the reason shown where the user is looking."""
        self._editable(True)
        self._hint(f"{inert(message)} · change the name, or esc", problem=True)
        self.query_one(Input).focus()

    def action_cancel(self) -> None:
        self.cancelled.set()
        self.dismiss(None)


class ExportCancelled(Exception):
    """Raised from a write once the user has pressed Escape: the partial file goes."""


class _Watched:
    """The export's output stream, counting what is written and stopping on cancel."""

    REPORT_EVERY = 1 << 20

    def __init__(self, file: BinaryIO, dialog: ExportDialog) -> None:
        self.file = file
        self.dialog = dialog
        self.written = 0
        self.reported = 0

    def write(self, data: bytes) -> int:
        if self.dialog.cancelled.is_set():
            raise ExportCancelled
        self.written += len(data)
        if self.written - self.reported >= self.REPORT_EVERY:
            self.reported = self.written
            self.dialog.app.call_from_thread(self.dialog._show_progress, self.written)
        return self.file.write(data)
