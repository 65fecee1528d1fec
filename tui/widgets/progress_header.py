"""The header: thread title, annotation progress as a bar, and who is annotating.

One widget drawing one line of text, where a row of Labels around a ProgressBar meant six
widgets to style, lay out and draw before the first paint.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tui.inert import one_line

BAR_WIDTH = 12


class ProgressHeader(Widget):
    COMPONENT_CLASSES = {
        "progress-header--title",
        "progress-header--done",
        "progress-header--to-do",
        "progress-header--annotator",
    }
    DEFAULT_CSS = """
    ProgressHeader { height: 1; background: $panel; color: $foreground; }
    ProgressHeader > .progress-header--title { text-style: bold; }
    ProgressHeader > .progress-header--done { color: $primary; }
    ProgressHeader > .progress-header--to-do { color: $foreground 25%; }
    ProgressHeader > .progress-header--annotator { color: $secondary; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._title = ""
        self._annotated = 0
        self._unique = 0
        self._annotator = ""

    def show(self, title: str, annotated: int, unique: int, annotator: str) -> None:
        self._title = one_line(title, 200)
        self._annotated, self._unique = annotated, unique
        self._annotator = one_line(annotator, 24)
        self.refresh()

    def render(self) -> Text:
        """`` title…   ━━━╺━━━━━━━━ 3/10 tagged  annotator ``, the title cut to fit."""
        style = self.get_component_rich_style
        done = round(BAR_WIDTH * self._annotated / self._unique) if self._unique else 0
        right = Text(end="")
        right.append("━" * done, style("progress-header--done"))
        if done < BAR_WIDTH:
            right.append("╺" + "━" * (BAR_WIDTH - done - 1), style("progress-header--to-do"))
        right.append(f" {self._annotated}/{self._unique} tagged  ")
        right.append(self._annotator, style("progress-header--annotator"))
        right.append(" ")
        line = Text(" ", no_wrap=True, end="")
        line.append(self._title, style("progress-header--title"))
        room = max(0, self.size.width - right.cell_len - 1)
        line.truncate(room, overflow="ellipsis", pad=True)
        line.append(" ")
        line.append_text(right)
        return line
