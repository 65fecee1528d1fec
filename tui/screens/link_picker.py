"""``r``/``s``/``u``: choose the comment the selected one rebuts, supports or undercuts."""

from __future__ import annotations

import sqlite3

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from store.linking import Candidate, exact_number, link_candidates, numbered_target
from store.queries import number_of
from tui.inert import cut, one_line
from tui.screens.picker import Picker

REASON_WIDTH = 19  # "words: paint, brush"; longer reasons are cut
AUTHOR_WIDTH = 10
SNIPPET_WIDTH = 120  # more than fits: the list cuts each row at its edge


class LinkPicker(Picker[int]):
    """Dismisses with the target's cluster id.  ``#12`` then Enter links to exactly comment 12
    of the thread (its number in the thread, as the reader shows it), whatever ranks first."""

    DEFAULT_CSS = """
    LinkPicker #link-columns { color: $text-muted; text-style: bold; }
    """

    def __init__(self, db: sqlite3.Connection, source_id: int, kind: str) -> None:
        super().__init__(
            f"#{number_of(db, source_id)} {kind} …",
            "enter links · #12 names a comment · words filter · esc cancels",
            placeholder="#number or words",
        )
        self.db = db
        self.source_id = source_id

    def on_mount(self) -> None:
        """The column labels go above the list (before Picker's on_mount fills it, which runs
        next); :meth:`options` writes them to fit the numbers shown."""
        options = self.query_one(OptionList)
        options.parent.mount(Label(id="link-columns"), before=options)

    def options(self, query: str) -> list[Option]:
        candidates = link_candidates(self.db, self.source_id, query)
        width = max((len(f"#{candidate.number}") for candidate in candidates), default=1)
        self._label_columns(width)
        options = [Option(_row(candidate, width), id=str(candidate.id)) for candidate in candidates]
        if not options and exact_number(query) is not None:
            options.append(Option(Text(f"no comment {query.strip()} to link to"), disabled=True))
        return options

    def choose(self, option_id: str | None, query: str) -> int | None:
        wanted = exact_number(query)
        if wanted is not None:
            target = numbered_target(self.db, self.source_id, wanted)
            return target.id if target else None
        return int(option_id) if option_id is not None else None

    def _label_columns(self, number_width: int) -> None:
        heading = f"{'#':<{number_width}} {'why suggested':<{REASON_WIDTH}} comment"
        self.query_one("#link-columns", Label).update(Text(heading))


def _row(candidate: Candidate, number_width: int) -> Text:
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append(f"{f'#{candidate.number}':<{number_width}} ", style="bold")
    reason = cut(one_line(candidate.reason, REASON_WIDTH + 1), REASON_WIDTH)
    row.append(reason + " " * (REASON_WIDTH - cell_len(reason) + 1), style="dim")
    if candidate.author:
        row.append(
            cut(one_line(candidate.author, AUTHOR_WIDTH + 1), AUTHOR_WIDTH) + " ", style="italic"
        )
    row.append(one_line(candidate.snippet, SNIPPET_WIDTH))
    return row
