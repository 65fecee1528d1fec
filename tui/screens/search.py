"""``/``: full-text search; the list then shows only the comments that match."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from tui.screens.dialog import Dialog


class SearchPrompt(Dialog[str]):
    """Dismisses with the query ("" clears the search) or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="search_cancel")]
    DEFAULT_CSS = """
    SearchPrompt { align: center top; }
    SearchPrompt > Vertical { margin-top: 2; }
    SearchPrompt #search-hint { color: $text-muted; }
    """

    def __init__(self, query: str) -> None:
        super().__init__()
        self.query_text = query

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(self.query_text, placeholder="search words (prefixes match)")
            yield Label("enter searches · empty clears · esc cancels", id="search-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
