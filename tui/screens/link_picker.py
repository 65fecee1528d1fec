"""``r``/``s``/``u``: choose the comment the selected one rebuts, supports or undercuts."""

from __future__ import annotations

import sqlite3

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from store.linking import (
    Candidate,
    Named,
    link_candidates,
    named_targets,
    named_unit,
    sentence_count,
)
from store.segments import Unit, unit_name
from tui.inert import cut, one_line
from tui.screens.picker import Picker
from tui.wording import plural

REASON_WIDTH = 19  # "words: paint, brush"; longer reasons are cut
AUTHOR_WIDTH = 10
SNIPPET_WIDTH = 120  # more than fits: the list cuts each row at its edge


class LinkPicker(Picker[Unit]):
    """Dismisses with the target: a comment, or one of its sentences.

    ``#12`` then Enter links to exactly comment 12 of the thread (its number in the thread, as
    the reader shows it), whatever ranks first; ``#12.3`` to its third sentence; ``#12.``
    lists its sentences, and tab steps into the highlighted comment's sentences.
    """

    BINDINGS = [
        Binding(
            "tab",
            "sentences",
            "Sentences",
            tooltip="List the highlighted comment's sentences",
            id="link_sentences",
        )
    ]
    DEFAULT_CSS = """
    LinkPicker #link-columns { color: $text-muted; text-style: bold; }
    """

    def __init__(self, db: sqlite3.Connection, source: Unit, kind: str) -> None:
        super().__init__(
            f"{unit_name(db, source)} {kind} …",
            "enter links · #12 a comment, #12.3 its sentence · tab: its sentences · esc cancels",
            placeholder="#number or words",
        )
        self.db = db
        self.source = source
        self._candidates: dict[str, Candidate] = {}  # by option id

    def on_mount(self) -> None:
        """The column labels go above the list (before Picker's on_mount fills it, which runs
        next); :meth:`options` writes them to fit the numbers shown."""
        options = self.query_one(OptionList)
        options.parent.mount(Label(id="link-columns"), before=options)

    def options(self, query: str) -> list[Option]:
        candidates = link_candidates(
            self.db, self.source.cluster_id, query, source_span=self.source.span
        )
        self._candidates = {_option_id(candidate.unit): candidate for candidate in candidates}
        width = max((len(_number(candidate)) for candidate in candidates), default=1)
        self._label_columns(width)
        options = [Option(_row(c, width), id=option) for option, c in self._candidates.items()]
        wanted = named_unit(query)
        if not options and wanted is not None:
            options.append(Option(Text(self._nothing_named(wanted, query)), disabled=True))
        return options

    def _nothing_named(self, wanted: Named, query: str) -> str:
        count = sentence_count(self.db, self.source, wanted.number)
        if count is None or (wanted.sentences is None and wanted.span is None):
            return f"no comment {query.strip()} to link to"
        return f"#{wanted.number} has {plural(count, 'sentence')}: no {query.strip()}"

    def choose(self, option_id: str | None, query: str) -> Unit | None:
        wanted = named_unit(query)
        if wanted is not None and not wanted.listing:
            targets = named_targets(self.db, self.source, wanted)
            return targets[0].unit if targets else None
        return self._candidates[option_id].unit if option_id is not None else None

    def action_sentences(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None or not self._candidates:
            return
        option_id = options.get_option_at_index(options.highlighted).id
        self.query_one(Input).value = f"#{self._candidates[option_id].number}."

    def _label_columns(self, number_width: int) -> None:
        heading = f"{'#':<{number_width}} {'why suggested':<{REASON_WIDTH}} comment"
        self.query_one("#link-columns", Label).update(Text(heading))


def _option_id(unit: Unit) -> str:
    """``4`` for comment id 4, ``4:10-52`` for a range of it."""
    return (
        str(unit.cluster_id)
        if unit.span is None
        else f"{unit.cluster_id}:{unit.span[0]}-{unit.span[1]}"
    )


def _number(candidate: Candidate) -> str:
    return candidate.label or f"#{candidate.number}"


def _row(candidate: Candidate, number_width: int) -> Text:
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append(f"{_number(candidate):<{number_width}} ", style="bold")
    reason = cut(one_line(candidate.reason, REASON_WIDTH + 1), REASON_WIDTH)
    row.append(reason + " " * (REASON_WIDTH - cell_len(reason) + 1), style="dim")
    if candidate.author:
        row.append(
            cut(one_line(candidate.author, AUTHOR_WIDTH + 1), AUTHOR_WIDTH) + " ", style="italic"
        )
    row.append(one_line(candidate.snippet, SNIPPET_WIDTH))
    return row
