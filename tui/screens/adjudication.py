"""``R``: the units where the annotators differ, one at a time, each settled with one key into
the layer of the reader's annotator, the adjudicator (``--annotator gold``).

The screen shows the unit's words, then each annotator's version (their tags on it, or the
kinds of their link), the union and none, each after the key that accepts it, and what the
adjudicator has there now.  A decision is :func:`store.adjudication.settle`, made on the
reader's writer (tui.writer) as every change is, and moves on to the next unsettled unit.
The review is read in a worker on a connection of its own; if the reader's annotator may not
adjudicate (see store.adjudication: one of the annotators, or two are not there to compare),
the screen closes and the reader's status line says why.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from store.adjudication import AGREED, NONE, UNION, VERSION, Accepted, Case, Decision, Item, Review
from store.errors import ThreadmarkError
from tui.inert import cut, inert
from tui.screens.dialog import Dialog
from tui.widgets.key_bar import KeyBar
from tui.widgets.status_line import StatusLine
from tui.wording import plural

VERSION_KEYS = "123456789"
NAME_CELLS = 20  # an annotator's name in the versions, at most
NO_CODES = "—"


class AdjudicationScreen(Dialog[None]):
    BINDINGS = [
        *[
            Binding(
                key,
                f"decide_version({key})",
                f"Version {key}",
                show=False,
                tooltip=f"Accept the version of annotator {key} (as listed)",
                id=f"adjudicate_version_{key}",
            )
            for key in VERSION_KEYS
        ],
        Binding(
            "u",
            f"decide('{UNION}')",
            "Union",
            show=False,
            tooltip="Accept the union of every version",
            id="adjudicate_union",
        ),
        Binding(
            "0",
            f"decide('{NONE}')",
            "None",
            show=False,
            tooltip="Accept none: reject every version",
            id="adjudicate_none",
        ),
        Binding("n,j", "step(1)", "Next", tooltip="Next disagreement", id="adjudicate_next"),
        Binding(
            "p,k", "step(-1)", "Prev", tooltip="Previous disagreement", id="adjudicate_previous"
        ),
        Binding(
            "a",
            "accept_agreed",
            "Accept agreed",
            tooltip="Accept every unit the annotators coded alike",
            id="adjudicate_agreed",
        ),
        Binding("escape", "close", "Close", tooltip="Back to the thread", id="adjudicate_close"),
        Binding("question_mark", "app.help", "Help", tooltip="Every key", id="adjudicate_help"),
    ]
    DEFAULT_CSS = """
    AdjudicationScreen { align: left top; background: $background; }
    AdjudicationScreen #adjudication-header { height: 1; background: $panel; text-style: bold; }
    AdjudicationScreen #adjudication-unit { height: 1; padding: 0 1; text-style: bold; }
    AdjudicationScreen #adjudication-words {
        width: 1fr; height: 1fr; padding: 0 1; border: none; background: $background;
    }
    AdjudicationScreen #adjudication-versions {
        height: auto; padding: 0 1; border-top: solid $panel-lighten-2;
    }
    """

    def __init__(self, thread_id: int) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.review: Review | None = None  # None until the worker has read it
        self.cases: list[Case] = []  # the disagreements, in reading order
        self.index = 0

    def compose(self) -> ComposeResult:
        yield Static(id="adjudication-header")
        yield Static(Text("Finding the disagreements…"), id="adjudication-unit")
        with VerticalScroll(id="adjudication-words"):
            yield Static(id="adjudication-text")
        yield Static(id="adjudication-versions")
        yield StatusLine()
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
        self._load()

    @property
    def current(self) -> Case | None:
        return self.cases[self.index] if self.cases else None

    def say(self, message: str, severity: str = "information") -> None:
        self.query_one(StatusLine).say(message, severity)

    # -- reading -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True)
    def _load(self, keep: Item | None = None) -> None:
        """Read the review on a connection of the worker's own; ``keep`` the item shown."""
        from store.adjudication import review
        from store.database import open_database

        try:
            db = open_database(self.app.db_path, create=False)
            try:
                found = review(db, self.thread_id, self.app.annotator)
            finally:
                db.close()
        except (ThreadmarkError, sqlite3.Error) as error:
            self.app.call_from_thread(self._refused, str(error))
            return
        self.app.call_from_thread(self._loaded, found, keep)

    def _refused(self, reason: str) -> None:
        if self.review is not None:  # a re-read after a change: the review stays
            self.say(f"Could not read the disagreements again: {reason}", "error")
            return
        self.dismiss(None)
        self.app.reader.say(f"No adjudication: {reason}", "warning")

    def _loaded(self, found: Review, keep: Item | None) -> None:
        if not self.is_attached:  # closed while the worker ran
            return
        self.review, self.cases = found, found.disagreements
        items = [case.item for case in self.cases]
        if keep in items:
            self.index = items.index(keep)
        else:
            self.index = self._unsettled_from(0)
        self._show()

    def _unsettled_from(self, start: int) -> int:
        """The first unsettled disagreement from ``start`` on, round to the start; else
        ``start``."""
        count = len(self.cases)
        ahead = ((start + step) % count for step in range(count))
        return next((i for i in ahead if not self.cases[i].settled), start)

    # -- showing -----------------------------------------------------------------------------

    def _show(self) -> None:
        review, case = self.review, self.current
        settled = sum(c.settled for c in self.cases)
        header = f" {settled} of {plural(len(self.cases), 'disagreement')} settled"
        if case is not None:
            header += f" · {self.index + 1}/{len(self.cases)}"
        header += f" · {review.adjudicator} decides between {', '.join(review.annotators)}"
        shown = Text(inert(header), no_wrap=True, overflow="ellipsis")
        self.query_one("#adjudication-header", Static).update(shown)
        self.query_one(StatusLine).show_view(self._agreed_hint())
        unit = self.query_one("#adjudication-unit", Static)
        text = self.query_one("#adjudication-text", Static)
        versions = self.query_one("#adjudication-versions", Static)
        if case is None:
            unit.update(Text("No disagreements: the annotators coded every unit alike."))
            text.update("")
            versions.update("")
            return
        what = "link" if case.item.is_link else "tags"
        unit.update(Text(inert(f"{' → '.join(case.labels)} · {what} · {case.status()}")))
        text.update(self._words(case))
        versions.update(self._versions(review, case))
        self.query_one(VerticalScroll).scroll_home(animate=False)

    def _agreed_hint(self) -> str:
        agreed = self.review.agreed
        pending = sum(case.gold != case.codes(Decision(AGREED)) for case in agreed)
        key = self._key("adjudicate_agreed")
        return f"{key}: accept the {plural(len(agreed), 'agreed unit')} ({pending:,} not yet yours)"

    @staticmethod
    def _words(case: Case) -> Text:
        """The unit's words; a link's source and target, each under its name."""
        if not case.item.is_link:
            return Text(inert(case.words[0], multiline=True))
        shown = Text()
        for end, label, words in zip(("from", "to"), case.labels, case.words, strict=True):
            if shown:
                shown.append("\n\n")
            shown.append(inert(f"{end} {label}"), style="bold")
            shown.append("\n" + inert(words, multiline=True))
        return shown

    def _versions(self, review: Review, case: Case) -> Text:
        """A line per version after the key that accepts it, then the adjudicator's codes;
        the version the decision chose is marked."""
        union, none = Decision(UNION), Decision(NONE)
        rows = [
            (VERSION_KEYS[i] if i < len(VERSION_KEYS) else "", name, Decision(VERSION, name))
            for i, name in enumerate(case.versions)
        ]
        rows += [(self._key("adjudicate_union"), "union", union)]
        rows += [(self._key("adjudicate_none"), "none", none)]
        names = [cut(inert(name), NAME_CELLS) for _, name, _ in rows]
        width = max(map(cell_len, [*names, review.adjudicator[:NAME_CELLS]]))
        shown = Text()
        for (key, _, decision), name in zip(rows, names, strict=True):
            codes = ", ".join(review.names(case, case.codes(decision))) or NO_CODES
            chosen = case.settled and case.decision == decision
            shown.append(f"{key:>3}  ", style="bold")
            shown.append(name + " " * (width - cell_len(name)) + "  ")
            shown.append(inert(codes), style="bold" if chosen else "")
            shown.append("  ✓ chosen\n" if chosen else "\n")
        adjudicator = cut(inert(review.adjudicator), NAME_CELLS)
        gold = ", ".join(review.names(case, case.gold)) or NO_CODES
        shown.append(" " * 5 + adjudicator + " " * (width - cell_len(adjudicator)) + "  ")
        shown.append(inert(f"{gold}  (yours now)"), style="dim")
        return shown

    def _key(self, binding_id: str) -> str:
        """The key of one of this screen's bindings, as the user's keymap has it."""
        binding = next(binding for binding in self.BINDINGS if binding.id == binding_id)
        return self.app.keymap_keys(binding)

    # -- deciding ----------------------------------------------------------------------------

    def action_decide_version(self, number: int) -> None:
        annotators = self.review.annotators if self.review else []
        if number <= len(annotators):
            self._decide(Decision(VERSION, annotators[number - 1]))
        elif self._ready():
            self.say(f"There is no annotator {number} here: 1-{len(annotators)}.", "warning")

    def action_decide(self, choice: str) -> None:
        self._decide(Decision(choice))

    def _ready(self) -> bool:
        """Whether a unit is shown to settle; if not, the status line says why."""
        if self.current is None:
            self.say("Nothing to settle here." if self.review else "Still reading…", "warning")
        return self.current is not None

    def _decide(self, decision: Decision) -> None:
        from store.adjudication import settle

        review, case = self.review, self.current
        if self._ready():
            self._save(lambda db: settle(db, review, case, decision), self._settled)

    def _settled(self, case: Case) -> None:
        """Show the decision, and move on to the next unsettled unit if still on this one."""
        position = next(i for i, c in enumerate(self.cases) if c.item == case.item)
        self.cases[position] = case
        message = f"Settled {' → '.join(case.labels)}: {case.decision.describe()}."
        if self.index == position:
            self.index = self._unsettled_from(position)
        if all(c.settled for c in self.cases):
            message += f" All {plural(len(self.cases), 'disagreement')} settled."
        self._show()
        self.say(message)

    def action_accept_agreed(self) -> None:
        from store.adjudication import accept_agreed

        review = self.review
        if review is None:
            self.say("Still reading…", "warning")
            return
        self._save(
            lambda db: accept_agreed(db, review.thread_id, review.adjudicator, review.annotators),
            self._accepted,
        )

    def _accepted(self, accepted: Accepted) -> None:
        units = plural(accepted.accepted, "agreed unit")
        self.say(f"Accepted {units} into your layer ({accepted.already:,} already there).")
        self._load(self.current.item if self.current else None)

    def action_step(self, step: int) -> None:
        if not self.cases:
            return
        index = self.index + step
        if not 0 <= index < len(self.cases):
            self.say("No more disagreements " + ("below." if step > 0 else "above."))
            return
        self.index = index
        self._show()

    def action_close(self) -> None:
        self.dismiss(None)

    # -- saving ------------------------------------------------------------------------------

    def _save(self, change: Callable[[sqlite3.Connection], Any], done: Callable[[Any], None]):
        """Run ``change`` on the reader's writer (never on the UI thread), then ``done`` on
        its result; the reader below takes the change in too."""

        def committed(result: Any) -> None:
            self.app.reader.take_in_changes()
            if self.is_attached:  # not closed while the change waited
                done(result)

        self.app.writer.submit(change, committed, self._not_saved)

    def _not_saved(self, error: Exception) -> None:
        if not isinstance(error, ThreadmarkError | sqlite3.Error):
            raise error
        self.say(f"Not saved: {error}", "error")
