"""``r``/``s``/``u``: choose the comment the selected one rebuts, supports or undercuts."""

from __future__ import annotations

import sqlite3

from rich.text import Text
from textual.widgets.option_list import Option

from store.linking import exact_id, link_candidates
from tui.inert import one_line
from tui.screens.picker import Picker


class LinkPicker(Picker[int]):
    """Dismisses with the target comment's id.  ``#12`` then Enter links to exactly #12."""

    def __init__(self, db: sqlite3.Connection, source_id: int, kind: str) -> None:
        super().__init__(
            f"#{source_id} {kind} …",
            "enter links · #12 names a comment · type words to search · esc cancels",
            placeholder="#id or words",
        )
        self.db = db
        self.source_id = source_id

    def options(self, query: str) -> list[Option]:
        options = []
        for candidate in link_candidates(self.db, self.source_id, query):
            label = Text()
            label.append(f"#{candidate.id:<5} ", style="bold")
            label.append(f"{candidate.reason:>6}  ", style="dim")
            if candidate.author:
                label.append(one_line(candidate.author, 12) + " ", style="italic")
            label.append(one_line(candidate.snippet, 120))
            options.append(Option(label, id=str(candidate.id)))
        if not options and exact_id(query) is not None:
            options.append(Option(Text(f"no comment {query.strip()}"), disabled=True))
        return options

    def choose(self, option_id: str | None, query: str) -> int | None:
        wanted = exact_id(query)
        if wanted is not None:
            return wanted if option_id == str(wanted) else None
        return int(option_id) if option_id is not None else None
