"""The header: thread title, annotation progress as a bar, and who is annotating.

One widget drawing one line of text, where a row of Labels around a ProgressBar meant six
widgets to style, lay out and draw before the first paint.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tui.inert import one_line

BAR_WIDTH = 12
MIN_TITLE = 12  # cells of title worth keeping the bar out for


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
        """`` title…   ━━━╺━━━━━━━━ 3/10 tagged  annotator ``, fitted to the width.

        The title is cut first; below MIN_TITLE cells of it the bar gives way, and in a very
        narrow terminal the title goes and the annotator's name is cut.
        """
        width = self.size.width
        right = self._progress(with_bar=True)
        if width - right.cell_len - 1 < MIN_TITLE:
            right = self._progress(with_bar=False)
        room = width - right.cell_len - 1
        line = Text(no_wrap=True, end="")
        if room >= 2:  # a space and at least one character of the title
            line.append(" ")
            line.append(self._title, self.get_component_rich_style("progress-header--title"))
            line.truncate(room, overflow="ellipsis", pad=True)
            line.append(" ")
        line.append_text(right)
        line.truncate(width)
        return line

    def _progress(self, *, with_bar: bool) -> Text:
        style = self.get_component_rich_style
        progress = Text(end="")
        if with_bar:
            done = round(BAR_WIDTH * self._annotated / self._unique) if self._unique else 0
            progress.append("━" * done, style("progress-header--done"))
            if done < BAR_WIDTH:
                to_do = "╺" + "━" * (BAR_WIDTH - done - 1)
                progress.append(to_do, style("progress-header--to-do"))
            progress.append(" ")
        progress.append(f"{self._annotated}/{self._unique} tagged  ")
        progress.append(self._annotator, style("progress-header--annotator"))
        progress.append(" ")
        return progress
