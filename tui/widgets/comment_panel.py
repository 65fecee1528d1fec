"""The annotation pane: the selected comment in full, where it occurs, its tags, links and note.

Every piece of comment text goes through :func:`inert` into a ``rich.text.Text`` built from
plain strings, so markup in a comment is shown literally and no control character is drawn.

In the pane a segment of the comment can be selected, a sentence at a time (``]``, ``[``),
grown or shrunk by a sentence (``}``, ``{``) or a word (``>``, ``<``): the reader's tag, note
and link keys then act on it.  The pane only says what is selected; the reader saves.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from store.detail import CommentDetail
from store.segments import Span, unit_label
from store.sentences import sentences_of, word_steps
from tui.inert import inert, one_line
from tui.tag_colors import chip_style
from tui.widgets.comment_body import (
    CHANGED_MARK,
    TEXT_SHOWN,
    Body,
    BodyStyles,
    comment_body,
    line_of,
)
from tui.widgets.jump_list import JumpList, jump_targets

SELECTION_MARGIN = 2  # lines kept above a selection scrolled into view


def _section(title: str) -> Text:
    return Text(f"\n{title}\n", style="bold")


class CommentPanel(VerticalScroll, can_focus=True):
    """Scrolls with j/k when focused; its jump list takes focus with tab."""

    BINDINGS = [
        Binding(
            "j",
            "scroll_down",
            "Scroll down",
            show=False,
            tooltip="Scroll the comment down",
            id="panel_down",
        ),
        Binding(
            "k",
            "scroll_up",
            "Scroll up",
            show=False,
            tooltip="Scroll the comment up",
            id="panel_up",
        ),
        Binding(
            "right_square_bracket",
            "sentence(1)",
            "Sentence",
            tooltip="Select the next sentence (tag, note and link keys then act on it)",
            id="sentence_next",
        ),
        Binding(
            "left_square_bracket",
            "sentence(-1)",
            "Previous sentence",
            show=False,
            tooltip="Select the previous sentence",
            id="sentence_previous",
        ),
        Binding(
            "right_curly_bracket",
            "extend(1)",
            "Grow",
            show=False,
            tooltip="Grow the selection by the next sentence",
            id="selection_grow",
        ),
        Binding(
            "left_curly_bracket",
            "extend(-1)",
            "Shrink",
            show=False,
            tooltip="Shrink the selection by its last sentence",
            id="selection_shrink",
        ),
        Binding(
            "greater_than_sign",
            "word(1)",
            "Word more",
            show=False,
            tooltip="Move the selection's end a word on",
            id="selection_word_more",
        ),
        Binding(
            "less_than_sign",
            "word(-1)",
            "Word less",
            show=False,
            tooltip="Move the selection's end a word back",
            id="selection_word_less",
        ),
        Binding(
            "escape",
            "whole_comment",
            "Whole comment",
            tooltip="Back to the whole comment",
            id="whole_comment",
        ),
    ]
    COMPONENT_CLASSES = {"comment-panel--chip", "comment-panel--match", "comment-panel--selection"}
    DEFAULT_CSS = """
    CommentPanel { padding: 0 1; background: $surface; }
    CommentPanel > .comment-panel--chip { color: $tag-chip-foreground; }
    CommentPanel > .comment-panel--match { text-style: bold reverse; }
    CommentPanel > .comment-panel--selection {
        background: $selected-row-background; text-style: bold;
    }
    CommentPanel #panel-header { color: $text-muted; }
    CommentPanel #panel-text { margin-top: 1; }
    CommentPanel .tombstone { color: $tombstone; text-style: italic; }
    CommentPanel JumpList {
        height: auto; max-height: 12; border: none; padding: 0;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    CommentPanel .-empty { display: none; }
    """

    class SelectionChanged(Message):
        """The segment selected in the pane changed (``span`` None: the whole comment)."""

        def __init__(self, span: Span | None) -> None:
            super().__init__()
            self.span = span

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.detail: CommentDetail | None = None
        self.selection: Span | None = None
        self._ansi = False
        self._search: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="panel-header")
        yield Static(id="panel-text")
        yield Static(id="panel-facts")
        yield Static(Text("\nLinks", style="bold"), id="panel-links-title")
        yield JumpList(id="panel-jumps")
        yield Static(id="panel-occurrences")

    def show(
        self, detail: CommentDetail | None, *, ansi: bool = False, search: str | None = None
    ) -> None:
        """Fill the pane with one comment (or say there is none); ``search``'s words are marked.

        Showing the same comment again (after a change) keeps its selection and scroll.
        """
        same_comment = (
            detail is not None and self.detail is not None and detail.id == self.detail.id
        )
        self.detail, self._ansi, self._search = detail, ansi, search
        if not same_comment and self.selection is not None:
            self.selection = None
            self.post_message(self.SelectionChanged(None))
        header = self.query_one("#panel-header", Static)
        body = self.query_one("#panel-text", Static)
        facts = self.query_one("#panel-facts", Static)
        occurrences = self.query_one("#panel-occurrences", Static)
        jumps = jump_targets(detail) if detail else []
        jump_list = self.query_one(JumpList)
        jump_list.show_jumps(jumps)
        jump_list.set_class(not jumps, "-empty")
        self.query_one("#panel-links-title").set_class(not jumps, "-empty")
        if detail is None:
            header.update(Text("No comment selected: this view is empty."))
            for static in (body, facts, occurrences):
                static.update(Text(""))
            return
        header.update(self._header(detail))
        body.set_class(detail.tombstone, "tombstone")
        self._draw_body()
        facts.update(self._facts(detail, ansi, self._chip_foreground()))
        occurrences.update(self._occurrences(detail))
        if not same_comment:
            self.scroll_home(animate=False)

    def _chip_foreground(self):
        return self.get_component_rich_style("comment-panel--chip").color

    def _draw_body(self) -> Body:
        styles = BodyStyles(
            match=self.get_component_rich_style("comment-panel--match"),
            selection=self.get_component_rich_style("comment-panel--selection"),
            chip_foreground=self._chip_foreground(),
            ansi=self._ansi,
        )
        body = comment_body(self.detail, styles, search=self._search, selection=self.selection)
        self.query_one("#panel-text", Static).update(body.text)
        return body

    # -- selecting a segment ------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape is "back to the whole comment" only while a segment is selected; else it
        does what it does in the list (clear the filter)."""
        if action == "whole_comment":
            return self.selection is not None
        return True

    def action_sentence(self, step: int) -> None:
        """The next (``step`` 1) or previous (-1) sentence; the first or last if none is."""
        spans = self._sentences()
        if not spans:
            return
        if self.selection is None:
            self._select(spans[0] if step > 0 else spans[-1])
            return
        start, end = self.selection
        if step > 0:
            following = [span for span in spans if span[0] >= end]
            chosen = following[0] if following else None
        else:
            preceding = [span for span in spans if span[1] <= start]
            chosen = preceding[-1] if preceding else None
        if chosen is None:
            self.notify("That is the " + ("last" if step > 0 else "first") + " sentence.")
        else:
            self._select(chosen)

    def action_extend(self, step: int) -> None:
        """Grow the selection's end to the next sentence's end, or shrink it by one sentence."""
        spans = self._sentences()
        if not spans:
            return
        if self.selection is None:
            self._select(spans[0])
            return
        start, end = self.selection
        if step > 0:
            ends = [span[1] for span in spans if span[1] > end]
        else:
            ends = [span[1] for span in spans if start < span[1] < end]
            ends = ends[-1:]
        if ends:
            self._select((start, ends[0]))

    def action_word(self, step: int) -> None:
        """Move the selection's end a word on (``step`` 1) or back (-1)."""
        if self.selection is None or self.detail is None:
            self.action_sentence(1)
            return
        start, end = self.selection
        back, forward = word_steps(self.detail.text, start, end)
        self._select((start, forward if step > 0 else back))

    def action_whole_comment(self) -> None:
        self._select(None)

    def _sentences(self) -> list[Span]:
        """The sentences that can be selected: those drawn (a huge comment is drawn only in
        part; its later sentences are coded through the store or an export)."""
        if self.detail is None:
            return []
        if self.detail.tombstone:
            self.notify("A deleted comment has no sentences.")
            return []
        spans = [span for span in sentences_of(self.detail.text) if span[1] <= TEXT_SHOWN]
        if not spans:
            self.notify("This comment has no sentences to select.")
        return spans

    def _select(self, span: Span | None) -> None:
        if span == self.selection:
            return
        self.selection = span
        body = self._draw_body()
        self.refresh_bindings()
        if body.selection_at is not None:
            self._bring_into_view(body.text, body.selection_at)
        self.post_message(self.SelectionChanged(span))

    def _bring_into_view(self, text: Text, position: int) -> None:
        """Bring the selection (starting at ``position`` of the drawn text) into view, a
        little below the top, unless it is in view already."""
        body = self.query_one("#panel-text", Static)
        visible = self.scrollable_content_region.height
        line = body.region.y - self.region.y + self.scroll_offset.y
        line += line_of(text, position, body.content_region.width, self.app.console)
        if not self.scroll_offset.y <= line < self.scroll_offset.y + visible - 1:
            self.scroll_to(y=max(0, line - SELECTION_MARGIN), animate=False)

    # -- what is drawn -----------------------------------------------------------------

    @staticmethod
    def _header(detail: CommentDetail) -> Text:
        parts = [f"#{detail.seq}"]
        if detail.author:
            parts.append(inert(detail.author))
        if detail.created_at:
            parts.append(detail.created_at)
        if detail.size > 1:
            parts.append(f"x{detail.size} ({detail.folded})")
        if detail.tombstone:
            parts.append("deleted")
        return Text(" · ".join(parts))

    @staticmethod
    def _facts(detail: CommentDetail, ansi: bool, chip_foreground) -> Text:
        facts = Text()
        if detail.same_text:
            others = ", ".join(
                f"#{other.number}" + (f" {one_line(other.author, 20)}" if other.author else "")
                for other in detail.same_text
            )
            facts.append(f"\nSame words, by others: {others}", style="italic")

        def chips(tags) -> None:
            for tag in tags:
                chip = chip_style(tag, ansi=ansi, foreground=chip_foreground)
                facts.append(f" {tag.hotkey or '·'} {inert(tag.name)} ", style=chip)
                facts.append(" ")

        facts.append_text(_section("Tags"))
        if detail.tags:
            chips(detail.tags)
        else:
            facts.append("none yet: 1-9 or t", style="dim")
        if detail.others:  # shown apart, each with who: they are not this annotator's codes
            facts.append_text(_section("Others' tags"))
            for other in detail.others:
                if other.span is not None:
                    label = unit_label(detail.seq, detail.text, other.span)
                    facts.append(f"{one_line(label, 20)} ", style="bold")
                facts.append(f"{inert(other.tag.name)} ", style="italic")
                names = ", ".join(one_line(name, 20) for name in other.annotators)
                facts.append(f"({names})\n", style="dim")
        if detail.segments:
            facts.append_text(_section("Segments"))
            for segment in detail.segments:
                facts.append(f"{one_line(segment.label, 20)} ", style="bold")
                facts.append(f"“{one_line(segment.words, 60)}” ")
                if segment.coded_words is not None:
                    facts.append(f"{CHANGED_MARK} text changed since it was coded", style="bold")
                    facts.append(f" (coded: “{one_line(segment.coded_words, 60)}”) ")
                chips(segment.tags)
                if segment.note:
                    facts.append(f"note: {one_line(segment.note, 60)}", style="italic")
                facts.append("\n")
        facts.append_text(_section("Note"))
        if detail.note:
            facts.append(inert(detail.note, multiline=True))
        else:
            facts.append("none: e to write one", style="dim")
        return facts

    @staticmethod
    def _occurrences(detail: CommentDetail) -> Text:
        facts = _section(f"Occurs {detail.size}x")
        for occurrence in detail.occurrences:
            where = f"{occurrence.position}"
            who = f" {inert(occurrence.author)}" if occurrence.author else ""
            when = f" {occurrence.created_at}" if occurrence.created_at else ""
            how = f" ({occurrence.folded})" if occurrence.folded else ""
            facts.append(f"  position {where}{who}{when}{how}\n")
        if detail.size > len(detail.occurrences):
            facts.append(f"  … and {detail.size - len(detail.occurrences)} more\n", style="dim")
        if detail.variants:
            facts.append_text(_section("Near-duplicate variants"))
            for variant in detail.variants:
                facts.append(f"  {one_line(variant, 200)}\n")
        return facts
