"""The main screen: the thread on the left, the annotation pane on the right.

Every key that changes something calls one ``store`` function, which commits a transaction
(the change and its journal row) before this screen redraws: what is shown is saved.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer

from store import annotate
from store.codebook import Tag, list_tags
from store.database import database_error, open_database
from store.detail import comment_detail
from store.errors import ThreadmarkError
from store.queries import (
    RowFilter,
    ThreadView,
    annotated_count,
    cluster_by_number,
    filter_counts,
    filtered_ids,
    first_matches,
    get_thread,
    thread_of,
    thread_size,
)
from store.segments import Span, Unit, as_unit, unit_name
from tui.widgets.comment_list import CommentList
from tui.widgets.comment_panel import CommentPanel
from tui.widgets.key_bar import KeyBar
from tui.widgets.progress_header import ProgressHeader
from tui.widgets.status_line import StatusLine
from tui.wording import plural

T = TypeVar("T")
# How often the reader looks for other annotators' changes: within a second, as the team wants.
REFRESH_S = 0.5
# Moves closer together than this are a held key or a burst: the pane waits for the last one.
FOLLOW_S = 0.03

LINK_KEYS = {"rebuts": "r", "supports": "s", "undercuts": "u", "rephrases": "p"}
HISTORY_KEPT = 100
# A filter's first matches, shown before the rest are found: a block of the list, more than a
# tall screen and a page down.
FIRST_MATCHES = 100


class ReaderScreen(Screen):
    """One thread, read and annotated by one annotator."""

    BINDINGS = [
        Binding(
            "n",
            "next_untagged",
            "Untagged",
            show=False,
            tooltip="Next comment you have not tagged",
            id="next_untagged",
        ),
        Binding(
            "N",
            "previous_untagged",
            "Prev untagged",
            show=False,
            tooltip="Previous comment you have not tagged",
            id="previous_untagged",
        ),
        *[
            Binding(
                key,
                f"toggle_hotkey('{key}')",
                f"Tag {key}",
                show=False,
                tooltip=f"Toggle tag {key}",
                id=f"tag_{key}",
            )
            for key in "123456789"
        ],
        Binding(
            "t",
            "tag_picker",
            "Tag",
            tooltip="Tag picker: search the codebook or create a tag",
            id="tag_picker",
        ),
        *[
            Binding(
                key,
                f"link('{kind}')",
                "Link" if kind == "rebuts" else kind.capitalize(),
                show=kind == "rebuts",
                tooltip=f"Link: the selected comment {kind} another",
                id=f"link_{kind}",
            )
            for kind, key in LINK_KEYS.items()
        ],
        Binding(
            "m",
            "mark",
            "Mark",
            show=False,
            tooltip="Mark this comment; a link key then links it to the selected one",
            id="mark",
        ),
        Binding("e", "edit_note", "Note", tooltip="Edit your note on the comment", id="edit_note"),
        Binding("slash", "search", "Search", tooltip="Full-text search", id="search"),
        Binding(
            "f", "filter", "Filter", tooltip="Show only untagged, linked, or one tag", id="filter"
        ),
        Binding("z", "undo", "Undo", tooltip="Undo your last change", id="undo"),
        Binding("Z", "redo", "Redo", show=False, tooltip="Redo what you undid", id="redo"),
        Binding(
            "d",
            "toggle_tombstones",
            "Deleted",
            show=False,
            tooltip="Show or hide deleted comments",
            id="toggle_tombstones",
        ),
        Binding("x", "export", "Export", tooltip="Export dialog", id="export"),
        Binding(
            "o",
            "toggle_others",
            "Others",
            show=False,
            tooltip="Show or hide the other annotators' tags (hidden while coding blind)",
            id="toggle_others",
        ),
        Binding(
            "v",
            "into_pane",
            "Sentences",
            show=False,
            tooltip="Into the annotation pane, where ] and [ select sentences",
            id="into_pane",
        ),
        Binding(
            "tab",
            "switch_pane",
            "Pane",
            show=False,
            tooltip="Switch pane: list, annotation pane, its links",
            id="switch_pane",
        ),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter",
            show=False,
            tooltip="Clear the filter or search",
            id="clear_filter",
        ),
        Binding(
            "ctrl+o,backspace",
            "jump_back",
            "Back",
            show=False,
            tooltip="Back to the comment you jumped from",
            id="jump_back",
        ),
        Binding(
            "ctrl+n",
            "jump_forward",
            "Forward",
            show=False,
            tooltip="Forward again, after going back",
            id="jump_forward",
        ),
        Binding(
            "A",
            "agreement",
            "Agreement",
            show=False,
            tooltip="Agreement between the annotators",
            id="agreement",
        ),
        Binding(
            "R",
            "adjudicate",
            "Adjudicate",
            show=False,
            tooltip="Settle the disagreements into your layer",
            id="adjudicate",
        ),
    ]
    DEFAULT_CSS = """
    ReaderScreen #panes { height: 1fr; }
    ReaderScreen #thread-pane { width: 1fr; border-right: solid $panel-lighten-2; }
    ReaderScreen #thread-pane:focus-within { border-right: solid $primary; }
    ReaderScreen CommentList { height: 1fr; }
    ReaderScreen CommentPanel { width: 1fr; }
    """

    def __init__(self, thread_id: int) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.row_filter = RowFilter()
        self.tags: list[Tag] = list_tags(self.db)
        self._seen_version = self._data_version()
        self.show_others = not self.app.blind  # blind coding: others' tags hidden until asked
        self.thread = get_thread(self.db, thread_id)
        self.thread_size = thread_size(self.db, thread_id)  # fixed at import
        self.marked: Unit | None = None  # what a link key links to the selection
        self._back: list[int] = []  # comments jumped from, latest last
        self._reads = threading.Lock()  # the background reads' connection, one at a time
        self._reading_db: sqlite3.Connection | None = None
        self._forward: list[int] = []  # comments gone back from, latest last
        self._moved_at = 0.0  # when the cursor last moved (time.monotonic)
        self._follow: Timer | None = None  # the pane's catching up with the cursor, if due

    @property
    def db(self):
        return self.app.db

    @property
    def annotator(self) -> str:
        return self.app.annotator

    def compose(self) -> ComposeResult:
        yield ProgressHeader()
        with Horizontal(id="panes"):
            with Vertical(id="thread-pane"):
                yield CommentList(self._view(), self.tags, id="comments")
            yield CommentPanel(id="panel")
        yield StatusLine()
        yield KeyBar()

    def on_mount(self) -> None:
        self.comment_list.focus()
        self._refresh_header()
        self._show_selected()
        self.watch(self.comment_list, "cursor", self._cursor_moved, init=False)
        self.set_interval(REFRESH_S, self.take_in_changes)

    @property
    def comment_list(self) -> CommentList:
        return self.query_one(CommentList)

    @property
    def selected_id(self) -> int | None:
        row = self.comment_list.selected
        return row.id if row else None

    def _view(self) -> ThreadView:
        return ThreadView(
            self.db, self.thread_id, self.annotator, self.row_filter, show_others=self.show_others
        )

    # -- keeping the panes current ------------------------------------------------------

    @on(CommentList.Highlighted)
    def _on_highlight(self, event: CommentList.Highlighted) -> None:
        self._show_selected()

    def _cursor_moved(self) -> None:
        """The pane follows a move at once, so both panes change in one frame; moves that come
        faster than that (a held key, a burst of them) only move the list, and the pane follows
        FOLLOW_S after the last."""
        now = time.monotonic()
        hurried, self._moved_at = now - self._moved_at < FOLLOW_S, now
        if hurried:
            self._cancel_follow()
            self._follow = self.set_timer(FOLLOW_S, self._show_selected)
        else:
            self._show_selected()

    @property
    def pane_behind(self) -> bool:
        """The pane still shows a comment the cursor has left (it follows once moves stop)."""
        return self._follow is not None

    def _cancel_follow(self) -> None:
        if self._follow is not None:
            self._follow.stop()
            self._follow = None

    def _catch_up(self) -> None:
        """Before the focus goes into the pane: it must show the selected comment."""
        if self.pane_behind:
            self._show_selected()

    def _show_selected(self) -> None:
        self._cancel_follow()
        cluster_id = self.selected_id
        detail = (
            comment_detail(self.db, cluster_id, self.annotator, others=self.show_others)
            if cluster_id
            else None
        )
        self.query_one(CommentPanel).show(
            detail, ansi=self.app.current_theme.ansi, search=self.row_filter.search
        )

    def _refresh_header(self) -> None:
        annotated = annotated_count(self.db, self.thread_id, self.annotator)
        self.query_one(ProgressHeader).show(
            self.thread.title, annotated, self.thread_size.comments, self.annotator
        )
        self._show_view_status()

    def _show_view_status(self, view: str | None = None) -> None:
        """The status line: what the list shows, and the thread's three counts explained."""
        size = self.thread_size
        rows = plural(size.rows, "row")
        occurrences = plural(size.occurrences, "occurrence")
        parts = plural(size.comments, "comment") + (
            f" + {size.deleted} deleted" if size.deleted else ""
        )
        summaries = (
            f"{rows}: {parts} · {occurrences} in the source",
            f"{rows}: {parts} · {occurrences}",
            f"{rows} · {occurrences}",
            rows,
        )
        status = self.query_one(StatusLine)
        if view is not None:
            status.show_view(view, *summaries)
        elif self.row_filter.is_everything:
            status.show_view(summaries[0])
        else:
            shown = self.comment_list.row_count
            count = f"{shown:,} shown" if self.comment_list.view.complete else "counting…"
            status.show_view(f"{count} · {self._describe_filter()} · esc clears", *summaries[1:])

    def say(self, message: str, severity: str = "information") -> None:
        """A message for the status line (see StatusLine): never covers the panes."""
        self.query_one(StatusLine).say(message, severity)

    def _describe_filter(self) -> str:
        parts = []
        if self.row_filter.search:
            parts.append(f"search “{self.row_filter.search}”")
        if self.row_filter.tag_id is not None:
            name = next((t.name for t in self.tags if t.id == self.row_filter.tag_id), "?")
            parts.append(f"tag {name}")
        if self.row_filter.untagged:
            parts.append("untagged")
        if self.row_filter.has_links:
            parts.append("has links")
        if self.row_filter.has_note:
            parts.append("has a note")
        if self.row_filter.hide_tombstones:
            parts.append("deleted hidden")
        return ", ".join(parts)

    def changed(self) -> None:
        """Redraw after a committed change."""
        self.comment_list.reload()
        self._refresh_header()
        self._show_selected()

    def apply_filter(self, row_filter: RowFilter) -> None:
        """Show the comments that pass ``row_filter``, keeping the selection if it passes.

        Everything shows at once; a filter is worked out in a worker (a second at a million
        comments), which shows its first screen of matches as soon as it has them and the
        rest, and their count, once it has them all; the list keeps its keys meanwhile.
        """
        keep = self.selected_id
        self.row_filter = row_filter
        self._interrupt_reads()
        if row_filter.is_everything:
            self._show_view(self._view(), keep)
            return
        self._show_view_status("filtering…")
        self._find_matches(row_filter, keep)

    @work(thread=True, exclusive=True, group="filter")
    def _find_matches(self, row_filter: RowFilter, keep: int | None) -> None:
        first = ids = None
        with self._reading() as db:
            first = first_matches(
                db, self.thread_id, self.annotator, row_filter, FIRST_MATCHES, keep
            )
        if first is None or row_filter != self.row_filter:  # a newer filter interrupted it
            return
        self.app.call_from_thread(self._matches_found, row_filter, first.ids, keep, first.complete)
        if first.complete:
            return
        with self._reading() as db:
            ids = filtered_ids(db, self.thread_id, self.annotator, row_filter)
        if ids is not None:
            self.app.call_from_thread(self._matches_found, row_filter, ids, None, True)

    def _matches_found(
        self, row_filter: RowFilter, ids: array, keep: int | None, complete: bool
    ) -> None:
        """Show the first matches (``complete`` False), or all of them."""
        if row_filter != self.row_filter:  # the user has asked for another filter since
            return
        view = ThreadView(
            self.db,
            self.thread_id,
            self.annotator,
            row_filter,
            ids=ids,
            complete=complete,
            show_others=self.show_others,
        )
        self._show_view(view, keep)
        if complete and not ids:
            self.say("Nothing matches; esc clears the filter.", "warning")

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """The screen's one connection for reading in the background (filters, the filter
        menu's counts), one worker at a time, opened at the first use and kept, so that its
        caches stay warm.  A query that a newer filter interrupts ends the block early: what
        it was reading is no longer wanted."""
        with self._reads:
            if self._reading_db is None:
                self._reading_db = open_database(self.app.db_path, create=False)
            try:
                yield self._reading_db
            except sqlite3.OperationalError as error:
                if str(error) != "interrupted":
                    raise

    def _interrupt_reads(self) -> None:
        if self._reading_db is not None:
            self._reading_db.interrupt()

    def on_unmount(self) -> None:
        self._interrupt_reads()
        with self._reads:
            if self._reading_db is not None:
                self._reading_db.close()
                self._reading_db = None

    def _show_view(self, view: ThreadView, keep: int | None) -> None:
        """Only the status line follows: a view changes no counts of the header (at a million
        comments the header's count of what is tagged takes 70 ms)."""
        self.comment_list.set_view(view, keep=keep)
        self._show_view_status()

    def jump_to(self, cluster_id: int, *, remember: bool = True) -> None:
        """Select a comment, clearing the filter if it hides it.

        With ``remember``, the comment left is kept for ``jump_back`` (ctrl+o), as an
        editor keeps a jump list.
        """
        if thread_of(self.db, cluster_id) != self.thread_id:
            self.say("That comment is not in this thread.", "warning")
            return
        left = self.selected_id
        if not self.comment_list.select_cluster(cluster_id):
            self.apply_filter(RowFilter())
            self.comment_list.select_cluster(cluster_id)
        if remember and left is not None and left != cluster_id:
            self._back = [*self._back, left][-HISTORY_KEPT:]
            self._forward.clear()
        self.comment_list.focus()

    def jump_to_number(self, number: int) -> None:
        """``#N`` from the palette: the thread's N-th comment."""
        cluster_id = cluster_by_number(self.db, self.thread_id, number)
        if cluster_id is None:
            self.say(f"No comment #{number} in this thread.", "warning")
        else:
            self.jump_to(cluster_id)

    def action_jump_back(self) -> None:
        self._step_history(self._back, self._forward, "Nothing to go back to.")

    def action_jump_forward(self) -> None:
        self._step_history(self._forward, self._back, "Nothing to go forward to.")

    def _step_history(self, source: list[int], target: list[int], nothing: str) -> None:
        if not source:
            self.say(nothing)
            return
        here = self.selected_id
        if here is not None:
            target.append(here)
        self.jump_to(source.pop(), remember=False)

    def label_of(self, cluster_id: int, span: Span | None = None) -> str:
        """``#N``, or ``#N.2`` for a sentence: how the reader names a comment or a segment."""
        return unit_name(self.db, Unit(cluster_id, span))

    @on(CommentPanel.Jump)
    def _on_jump(self, event: CommentPanel.Jump) -> None:
        self.jump_to(event.cluster_id)

    @on(CommentPanel.Unlink)
    def _on_unlink(self, event: CommentPanel.Unlink) -> None:
        link, annotator = event.link, self.annotator
        source = self.label_of(link.source, link.source_span)
        target = self.label_of(link.target, link.target_span)
        self.save(
            lambda db: annotate.remove_link(
                db,
                link.source,
                link.target,
                link.kind,
                annotator,
                source_span=link.source_span,
                target_span=link.target_span,
            ),
            lambda _: self.say(f"Removed {source} {link.kind} {target} (z undoes)"),
        )

    @on(CommentPanel.SelectionChanged)
    def _on_segment_selected(self, event: CommentPanel.SelectionChanged) -> None:
        status = self.query_one(StatusLine)
        if event.span is None:
            status.forget()  # "#4.2 selected" no longer holds
        else:
            unit = self.label_of(self.selected_id, event.span)
            self.say(f"{unit} selected: tag, note and link keys act on it · esc: whole comment")

    # -- actions ------------------------------------------------------------------------

    def _require_selection(self) -> int | None:
        cluster_id = self.selected_id
        if cluster_id is None:
            self.say("No comment selected.", "warning")
        return cluster_id

    def _require_unit(self) -> Unit | None:
        """The selected comment, or the segment of it selected in the pane."""
        cluster_id = self._require_selection()
        if cluster_id is None:
            return None
        panel = self.query_one(CommentPanel)
        if panel.detail is None or panel.detail.id != cluster_id:
            return Unit(cluster_id)
        return as_unit(cluster_id, panel.detail.text, panel.selection)

    def _data_version(self) -> int:
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    def take_in_changes(self, *, force: bool = False) -> None:
        """Show what other processes (other annotators, a script) changed since we last looked:
        checked every REFRESH_S and before a tag key, cheaply (``PRAGMA data_version`` counts
        other connections' commits).  The cursor, the selection and the scroll stay put."""
        version = self._data_version()
        if version == self._seen_version and not force:
            return
        self._seen_version = version
        tags = list_tags(self.db)
        if tags != self.tags:
            self.tags = tags
            self.comment_list.set_tags(tags)
        self.changed()

    def action_toggle_others(self) -> None:
        self.show_others = not self.show_others
        self.comment_list.view.show_others = self.show_others  # the same rows, others' tags or not
        self.changed()
        if self.show_others:
            self.say("Showing everyone's tags (others' after ◦); o hides them again.")
        else:
            self.say("Showing only your tags (blind coding); o shows everyone's.")

    def action_next_untagged(self, step: int = 1) -> None:
        index = self.comment_list.view.next_untagged(self.comment_list.cursor, step)
        if index is None:
            self.say("No untagged comment " + ("below." if step > 0 else "above."))
        else:
            self.comment_list.cursor = index

    def action_previous_untagged(self) -> None:
        self.action_next_untagged(-1)

    def action_toggle_hotkey(self, hotkey: str) -> None:
        self.take_in_changes()
        tag = next((tag for tag in self.tags if tag.hotkey == hotkey), None)
        if tag is None:
            self.say(f"No tag has hotkey {hotkey}; t opens the tag picker.", "warning")
            return
        self.toggle_tag(tag)

    def toggle_tag(self, tag: Tag) -> None:
        unit = self._require_unit()
        if unit is None:
            return
        annotator, label = self.annotator, self.label_of(unit.cluster_id, unit.span)
        self.save(
            lambda db: annotate.toggle_tag(db, unit.cluster_id, tag.id, annotator, unit.span),
            lambda tagged: self.say(f"{'Tagged' if tagged else 'Untagged'} {label} {tag.name}"),
        )

    def save(self, change: Callable[[sqlite3.Connection], T], done: Callable[[T], None]) -> None:
        """Make a change on the writer (off the UI thread: see tui.writer); once committed,
        the panes are redrawn and ``done(result)`` says what happened."""

        def committed(result: T) -> None:
            self.take_in_changes(force=True)  # ours, and whatever others committed meanwhile
            done(result)

        self.app.writer.submit(change, committed, self._not_saved)

    def _not_saved(self, error: Exception) -> None:
        """A user error, or the file's problem, becomes a message; anything else is a bug."""
        if isinstance(error, ThreadmarkError):
            self.say(f"Not saved: {error}.", "error")
        elif isinstance(error, sqlite3.OperationalError):  # a full disk, say
            self.say(f"Not saved ({error}): try again in a moment.", "error")
        elif isinstance(error, sqlite3.DatabaseError):  # a damaged page, met only now
            problem = database_error(self.app.db_path, error) or error
            self.say(f"Not saved: {problem}", "error")
        else:
            raise error

    def action_tag_picker(self) -> None:
        from tui.screens.tag_picker import TagPicker

        unit = self._require_unit()
        if unit is None:
            return
        self.take_in_changes()
        label = self.label_of(unit.cluster_id, unit.span)
        self.app.push_screen(TagPicker(self.tags, label), self._picked_tag)

    def _picked_tag(self, choice: Tag | str | None) -> None:
        if choice is None:
            return
        if isinstance(choice, str):
            name, annotator = choice, self.annotator
            self.save(lambda db: annotate.create_tag(db, name, annotator), self._tag_created)
            return
        self.toggle_tag(choice)

    def _tag_created(self, tag: Tag) -> None:
        self.tags = list_tags(self.db)
        self.comment_list.set_tags(self.tags)
        self.toggle_tag(tag)

    def action_mark(self) -> None:
        unit = self._require_unit()
        if unit is None:
            return
        self.marked = None if self.marked == unit else unit
        self.comment_list.marked = self.marked and self.marked.cluster_id
        self.comment_list.reload()
        if self.marked:
            links = [b for b in self.BINDINGS if (b.id or "").startswith("link_")]
            keys = "/".join(self.app.keymap_keys(binding) for binding in links)
            label = self.label_of(unit.cluster_id, unit.span)
            self.say(f"Marked {label}: select another, then {keys} links them.")
        else:
            self.say("Mark cleared.")

    def action_link(self, kind: str) -> None:
        from tui.screens.link_picker import LinkPicker

        unit = self._require_unit()
        if unit is None:
            return
        if self.marked is not None and self.marked != unit:
            marked, self.marked = self.marked, None
            self.comment_list.marked = None
            self._make_link(marked, unit, kind)
            return
        self.app.push_screen(
            LinkPicker(self.db, unit, kind),
            lambda target: target is not None and self._make_link(unit, target, kind),
        )

    def _make_link(self, source: Unit, target: Unit, kind: str) -> None:
        annotator = self.annotator
        source_label = self.label_of(source.cluster_id, source.span)
        target_label = self.label_of(target.cluster_id, target.span)

        def said(made: bool) -> None:
            if made:
                self.say(f"Linked: {source_label} {kind} {target_label}")
            else:
                self.say(f"{source_label} already {kind} {target_label}.", "warning")

        self.save(
            lambda db: annotate.add_link(
                db,
                source.cluster_id,
                target.cluster_id,
                kind,
                annotator,
                source_span=source.span,
                target_span=target.span,
            ),
            said,
        )

    def action_edit_note(self) -> None:
        from tui.screens.note_editor import NoteEditor

        unit = self._require_unit()
        if unit is None:
            return
        original = annotate.note_text(self.db, unit.cluster_id, self.annotator, unit.span)
        self.app.push_screen(
            NoteEditor(unit, self.label_of(unit.cluster_id, unit.span), original or ""),
            lambda text: self._save_note(unit, original, text),
        )

    def _save_note(self, unit: Unit, original: str | None, text: str | None) -> None:
        if text is None:
            return
        annotator = self.annotator
        self.save(
            lambda db: annotate.set_note(
                db, unit.cluster_id, annotator, text, span=unit.span, original=original
            ),
            lambda _: None,
        )

    def action_search(self) -> None:
        from tui.screens.search import SearchPrompt

        self.app.push_screen(
            SearchPrompt(self.row_filter.search or ""),
            lambda query: (
                query is not None
                and self.apply_filter(self.row_filter._replace(search=query or None))
            ),
        )

    def action_filter(self) -> None:
        """The filter menu, at once; its counts (a quarter second at a million comments) fill
        in when a worker has them."""
        from tui.screens.filter import FilterPicker

        self.take_in_changes()
        picker = FilterPicker(self.tags, self.row_filter)
        self.app.push_screen(picker, self._picked_filter)
        self._count_filters(picker, self.row_filter.hide_tombstones)

    @work(thread=True, group="counts")
    def _count_filters(self, picker, hide_tombstones: bool) -> None:
        counts = None
        with self._reading() as db:
            counts = filter_counts(
                db, self.thread_id, self.annotator, hide_tombstones=hide_tombstones
            )
        if counts is not None:
            self.app.call_from_thread(picker.show_counts, counts)

    def _picked_filter(self, row_filter: RowFilter | None) -> None:
        if row_filter is not None:
            self.apply_filter(row_filter)

    def action_clear_filter(self) -> None:
        """Escape: from the pane (the whole comment selected) back to the list; in the list,
        clear the filter."""
        if not isinstance(self.focused, CommentList):
            self.comment_list.focus()
        elif not self.row_filter.is_everything:
            self.apply_filter(RowFilter())

    def action_into_pane(self) -> None:
        self._catch_up()
        self.query_one(CommentPanel).focus()
        self.say("] and [ select sentences, } and { grow and shrink, < and > move the end")

    def action_toggle_tombstones(self) -> None:
        hide = not self.row_filter.hide_tombstones
        self.apply_filter(self.row_filter._replace(hide_tombstones=hide))
        self.say("Deleted comments hidden." if hide else "Deleted comments shown.")

    def action_undo(self) -> None:
        self._replay(annotate.undo, "Undid", "Nothing to undo.")

    def action_redo(self) -> None:
        self._replay(annotate.redo, "Redid", "Nothing to redo.")

    def _replay(self, step, verb: str, nothing: str) -> None:
        annotator = self.annotator

        def replayed(event: annotate.Event | None) -> None:
            if event is None:
                self.say(nothing, "warning")
                return
            self.jump_to(event.cluster_id)
            self.changed()
            self.say(f"{verb} {event.describe(self.label_of)}")

        self.save(lambda db: step(db, annotator), replayed)

    def action_export(self, format: str = "csv") -> None:
        from tui.screens.export import ExportDialog

        self.app.push_screen(
            ExportDialog(self.app.db_path, self.thread_id, self.thread.title, format)
        )

    def action_agreement(self) -> None:
        from tui.screens.agreement import AgreementScreen

        self.app.push_screen(AgreementScreen(self.thread_id))

    def action_adjudicate(self) -> None:
        from tui.screens.adjudication import AdjudicationScreen

        self.app.push_screen(AdjudicationScreen(self.thread_id))

    def action_switch_pane(self) -> None:
        """Tab: from the list to the annotation pane (its links, if any) and back."""
        self._catch_up()
        focused = self.focused
        panel = self.query_one(CommentPanel)
        if isinstance(focused, CommentList):
            panel.focus()
        elif focused is panel and not panel.in_links and panel.jumps:
            panel.enter_links()
        else:
            self.comment_list.focus()
