"""``e``: write the selected comment's note.  Saved as you type; Escape closes."""

from __future__ import annotations

import sqlite3

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label, TextArea

from store.annotate import save_note_draft
from store.segments import Unit
from tui.screens.dialog import Dialog


class NoteEditor(Dialog[str]):
    """Dismisses with the final text; each edit is already stored as a draft."""

    BINDINGS = [
        Binding("escape", "close", "Save and close", id="note_close"),
        Binding("ctrl+s", "close", "Save and close", show=False, id="note_save"),
    ]
    DEFAULT_CSS = """
    NoteEditor > Vertical { height: 16; max-height: 90%; }
    NoteEditor TextArea { height: 1fr; }
    NoteEditor #note-hint { color: $text-muted; }
    """

    def __init__(self, unit: Unit, label: str, text: str) -> None:
        """``label`` is how the reader names the comment or segment (``#4``, ``#4.2``)."""
        super().__init__()
        self.unit = unit
        self.label = label
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Note on {self.label}")
            yield TextArea(self.text, soft_wrap=True, id="note-text")
            yield Label("saved as you type · esc closes", id="note-hint")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    @on(TextArea.Changed)
    def _save_draft(self, event: TextArea.Changed) -> None:
        """Store each keystroke, on the writer like every change (see tui.writer)."""
        unit, annotator, text = self.unit, self.app.annotator, event.text_area.text
        self.app.writer.submit(
            lambda db: save_note_draft(db, unit.cluster_id, annotator, text, unit.span),
            lambda _: None,
            self._draft_not_saved,
        )

    def _draft_not_saved(self, error: Exception) -> None:
        """The text stays here, and is saved (or its failure said) when the editor closes."""
        if not isinstance(error, sqlite3.Error):
            raise error
        if self.is_attached:
            self.query_one("#note-hint", Label).update("not saved yet: saved when you close")

    def action_close(self) -> None:
        self.dismiss(self.query_one(TextArea).text)
