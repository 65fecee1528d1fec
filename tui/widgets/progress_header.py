"""The header: thread title, annotation progress as a bar, and who is annotating."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

from tui.inert import one_line


class ProgressHeader(Horizontal):
    DEFAULT_CSS = """
    ProgressHeader { height: 1; background: $panel; color: $foreground; }
    ProgressHeader #header-title { width: 1fr; padding: 0 1; text-style: bold; }
    ProgressHeader ProgressBar { width: auto; }
    ProgressHeader #header-bar Bar { width: 12; }
    ProgressHeader #header-count { width: auto; padding: 0 1; }
    ProgressHeader #header-annotator { width: auto; padding: 0 1; color: $secondary; }
    """

    def compose(self) -> ComposeResult:
        yield Label(id="header-title")
        yield ProgressBar(show_eta=False, show_percentage=False, id="header-bar")
        yield Label(id="header-count")
        yield Label(id="header-annotator")

    def show(self, title: str, annotated: int, unique: int, annotator: str) -> None:
        self.query_one("#header-title", Label).update(Text(one_line(title, 200)))
        self.query_one(ProgressBar).update(total=max(unique, 1), progress=annotated)
        self.query_one("#header-count", Label).update(Text(f"{annotated}/{unique} tagged"))
        self.query_one("#header-annotator", Label).update(Text(one_line(annotator, 24)))
