"""``A``: how far the thread's annotators agree, as ``threadmark agreement`` measures it.

The numbers are :func:`store.agreement.thread_agreement`'s for everyone who coded the thread,
its adjudicators left out (their layer is made from the others', see store.adjudication).
They can take a second on a big thread, so they are worked out in a worker on a connection of
its own, and the keys stay live.  A value that is undefined shows ``n/a`` with a mark, and the
reason under its table; with fewer than two annotators there is only that to say.
"""

from __future__ import annotations

import sqlite3

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from store.errors import ThreadmarkError
from tui.agreement_cli import COLUMNS, LEGEND, LINKS_TITLE, SEGMENTS_TITLE, TAGS_TITLE, _number
from tui.inert import inert
from tui.screens.dialog import Dialog

MARKS = "¹²³⁴⁵⁶⁷⁸⁹"  # footnote marks, one per reason a value is undefined


class AgreementScreen(Dialog[None]):
    BINDINGS = [
        Binding("escape,A", "close", "Close", tooltip="Close the agreement", id="agreement_close"),
        Binding("j", "scroll(1)", "Down", show=False, tooltip="Scroll down", id="agreement_down"),
        Binding("k", "scroll(-1)", "Up", show=False, tooltip="Scroll up", id="agreement_up"),
    ]
    DEFAULT_CSS = """
    AgreementScreen > VerticalScroll { width: 90; max-height: 100%; }
    AgreementScreen VerticalScroll { border-title-align: left; border-subtitle-align: right; }
    """

    def __init__(self, thread_id: int) -> None:
        super().__init__()
        self.thread_id = thread_id

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = f"Agreement in thread {self.thread_id}"
            scroll.border_subtitle = "j/k scroll · esc closes"
            yield Static(Text("Working out the agreement…"), id="agreement-report")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
        self._measure()

    @work(thread=True, exclusive=True)
    def _measure(self) -> None:
        from store.adjudication import adjudicators, annotators_of
        from store.agreement import thread_agreement
        from store.database import open_database

        try:
            db = open_database(self.app.db_path, create=False)
            try:
                compared = annotators_of(db, self.thread_id)
                left_out = adjudicators(db, self.thread_id)
                shown = report_view(thread_agreement(db, self.thread_id, compared), left_out)
            finally:
                db.close()
        except (ThreadmarkError, sqlite3.Error) as error:
            shown = Text(f"No agreement: {inert(str(error))}")
        self.app.call_from_thread(self._show, shown)

    def _show(self, shown: RenderableType) -> None:
        if self.is_attached:  # not closed while the worker ran
            self.query_one("#agreement-report", Static).update(shown)

    def action_scroll(self, step: int) -> None:
        scroll = self.query_one(VerticalScroll)
        (scroll.scroll_down if step > 0 else scroll.scroll_up)(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)


def report_view(report: dict, left_out: list[str]) -> RenderableType:
    """The report as the screen shows it: who, then a table per kind of item."""
    from store.agreement import NEEDS_TWO

    annotators = report["annotators"]
    if len(annotators) < 2:
        who = f"only {annotators[0]}" if annotators else "nobody"
        return Text(inert(f"{NEEDS_TWO}: {who} tagged or linked in this thread"))
    parts: list[RenderableType] = [Text(inert(f"Between {', '.join(annotators)}"), style="bold")]
    if left_out:
        parts.append(Text(inert(f"Left out, as adjudicators: {', '.join(left_out)}")))
    parts.append(Text(LEGEND, style="dim"))
    for title, entries in (
        (TAGS_TITLE, report["tags"]),
        (SEGMENTS_TITLE, report["segments"]),
        (LINKS_TITLE, {"links": report["links"]}),
    ):
        parts += ["", Text(title, style="bold"), *_section(entries, len(annotators) > 2)]
    return Group(*parts)


def _section(entries: dict, with_pairs: bool) -> list[RenderableType]:
    """One row per entry someone used (with more than two annotators, each pair's kappa under
    it), the reasons for the n/a values, then the entries nobody used."""
    from store.agreement import NOT_USED

    if all(entry["items"] == 0 for entry in entries.values()):
        return [Text("no items", style="dim")]
    table = Table(box=None, expand=True, padding=(0, 0, 0, 2), show_edge=False)
    table.add_column("", ratio=1, no_wrap=True, overflow="ellipsis")
    for head, _, width in COLUMNS:
        table.add_column(head, justify="right", no_wrap=True, min_width=width)
    reasons: dict[str, str] = {}  # reason -> its mark
    unused = []
    for name, entry in entries.items():
        if entry["reasons"].get("fleiss_kappa") == NOT_USED:
            unused.append(name)
            continue
        why = entry["reasons"]
        cells = [_cell(key, entry[key], why.get(key), reasons) for _, key, _ in COLUMNS]
        table.add_row(Text(inert(name)), *cells)
        for pair, kappa in entry["pairs"].items() if with_pairs else ():
            cell = _cell("cohen_kappa", kappa, why.get("pairs", {}).get(pair), reasons)
            blanks = [""] * (len(COLUMNS) - 1)
            table.add_row(Text(inert(f"  {pair}"), style="dim"), cell, *blanks)
    lines: list[RenderableType] = [table]
    lines += [Text(f"{mark} {reason}", style="dim") for reason, mark in reasons.items()]
    if unused:
        lines.append(Text(inert(f"not used by anyone: {', '.join(unused)}"), style="dim"))
    return lines


def _cell(key: str, value: float | int | None, reason: str | None, reasons: dict) -> Text:
    """A statistic as the CLI writes it; an undefined one marked with its reason's mark."""
    shown = _number(key, value)
    if value is None and reason is not None:
        shown += reasons.setdefault(reason, MARKS[len(reasons) % len(MARKS)])
    return Text(shown)
