"""The line under the panes: what just happened, else what the list shows and how much.

Messages used to be toasts, which covered the pane's tags and links after every key; here they
take the place of the view's description for a few seconds and never hide the pane.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.timer import Timer
from textual.widget import Widget

from tui.inert import inert

MESSAGE_SECONDS = 4.0
ERROR_SECONDS = 8.0


class StatusLine(Widget):
    COMPONENT_CLASSES = {
        "status-line--message",
        "status-line--warning",
        "status-line--error",
        "status-line--summary",
    }
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text-muted; }
    StatusLine > .status-line--message { color: $foreground; }
    StatusLine > .status-line--warning { color: $warning; text-style: bold; }
    StatusLine > .status-line--error { color: $error; text-style: bold; }
    StatusLine > .status-line--summary { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view = ""
        self.summaries: tuple[str, ...] = ()
        self.message: str | None = None
        self._severity = "information"
        self._timer: Timer | None = None

    def show_view(self, view: str, *summaries: str) -> None:
        """What the list shows (left) and its counts (right), longest form first."""
        self.view, self.summaries = view, summaries
        self.refresh()

    def say(self, message: str, severity: str = "information") -> None:
        """Show ``message`` in place of the view for a few seconds (errors stay longer).

        Inert whatever its source: messages quote file names, tag names and errors.
        """
        self.message, self._severity = inert(" ".join(message.split())), severity
        if self._timer is not None:
            self._timer.stop()
        seconds = ERROR_SECONDS if severity == "error" else MESSAGE_SECONDS
        self._timer = self.set_timer(seconds, self._expire)
        self.refresh()

    def forget(self) -> None:
        """Drop the message now: what it said no longer holds."""
        if self._timer is not None:
            self._timer.stop()
        self._expire()

    def _expire(self) -> None:
        self.message, self._timer = None, None
        self.refresh()

    def render(self) -> Text:
        """`` message or view ... summary ``: the summary shortens, then goes, before the left."""
        width = self.size.width
        style = self.get_component_rich_style
        if self.message is not None:
            name = {"warning": "warning", "error": "error"}.get(self._severity, "message")
            left = Text(f" {self.message}", style(f"status-line--{name}"))
        else:
            left = Text(f" {self.view}")
        summary = next((s for s in self.summaries if left.cell_len + cell_len(s) + 3 <= width), "")
        line = Text(no_wrap=True, end="")
        line.append_text(left)
        if summary:
            line.pad_right(width - line.cell_len - cell_len(summary) - 1)
            line.append(summary, style("status-line--summary"))
            line.append(" ")
        line.truncate(width, overflow="ellipsis")
        return line
