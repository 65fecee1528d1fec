"""The annotation pane: the selected comment in full, where it occurs, its tags, links and note.

Every piece of comment text goes through :func:`inert` into a ``rich.text.Text`` built from
plain strings, so markup in a comment is shown literally and no control character is drawn.

The pane is one Line-API view: :meth:`CommentPanel.show` renders its parts (header, text,
facts, links, occurrences) to lines once, at the pane's width, and ``render_line`` hands them
out.  The pane's size is fixed by the screen, so a new comment redraws the pane and lays out
nothing: a cursor move is one frame.  The text wraps as if a scrollbar took its room only
when it does not fit, as the scrolling containers it replaces did; the pane draws that
scrollbar itself, in its lines (:class:`LineScrollbar`), since Textual's own would come or go
in a layout and draw itself in a second frame.

In the pane a segment of the comment can be selected, a sentence at a time (``]``, ``[``),
grown or shrunk by a sentence (``}``, ``{``) or a word (``>``, ``<``): the reader's tag, note
and link keys then act on it.  The pane only says what is selected; the reader saves.  Its
links are rows with a cursor of their own, which the keys of :data:`JUMP_BINDINGS` move and
follow while :attr:`CommentPanel.in_links` (tab from the pane).
"""

from __future__ import annotations

from collections import OrderedDict

from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBarRender
from textual.strip import Strip
from textual.style import Style
from textual.visual import Visual, visualize

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
from tui.widgets.jump_list import JUMP_BINDINGS, JumpTarget, MadeLink, jump_label, jump_targets

SELECTION_MARGIN = 2  # lines kept above a selection scrolled into view
PARTS_KEPT = 64  # wrapped parts remembered: the same tags and notes, a comment gone back to


def _section(title: str) -> Text:
    return Text(f"\n{title}\n", style="bold")


class CommentPanel(ScrollView, can_focus=True):
    """Scrolls with j/k when focused; tab puts the link keys on its links."""

    BINDINGS = [
        *JUMP_BINDINGS,
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
    COMPONENT_CLASSES = {
        "comment-panel--chip",
        "comment-panel--match",
        "comment-panel--selection",
        "comment-panel--header",
        "comment-panel--tombstone",
        "comment-panel--link",
        "comment-panel--link-cursor",
    }
    DEFAULT_CSS = """
    CommentPanel {
        height: 1fr; padding: 0 0 0 1; background: $surface; overflow-x: hidden;
        overflow-y: hidden;  /* the scrollbar, and the padding right of the text, are drawn
                                in the lines (render_line) */
    }
    CommentPanel > .comment-panel--chip { color: $tag-chip-foreground; }
    CommentPanel > .comment-panel--match { text-style: bold reverse; }
    CommentPanel > .comment-panel--selection {
        background: $selected-row-background; text-style: bold;
    }
    CommentPanel > .comment-panel--header { color: $text-muted; }
    CommentPanel > .comment-panel--tombstone { color: $tombstone; text-style: italic; }
    CommentPanel > .comment-panel--link {
        color: $foreground; background: $block-cursor-blurred-background;
    }
    CommentPanel > .comment-panel--link-cursor {
        color: $block-cursor-foreground;
        background: $block-cursor-background;
        text-style: $block-cursor-text-style;
    }
    """

    class SelectionChanged(Message):
        """The segment selected in the pane changed (``span`` None: the whole comment)."""

        def __init__(self, span: Span | None) -> None:
            super().__init__()
            self.span = span

    class Jump(Message):
        """Go to a linked comment (enter on its row)."""

        def __init__(self, cluster_id: int) -> None:
            super().__init__()
            self.cluster_id = cluster_id

    class Unlink(Message):
        """Remove a link the annotator made (delete on its row)."""

        def __init__(self, link: MadeLink) -> None:
            super().__init__()
            self.link = link

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.detail: CommentDetail | None = None
        self.selection: Span | None = None
        self.jumps: list[JumpTarget] = []
        self.link_cursor = 0  # the highlighted row of the links
        self.in_links = False  # the link keys act on the links' cursor
        self._ansi = False
        self._search: str | None = None
        self._parts: dict[str, Text] = {}
        self._lines: list[Strip] = []
        self._body_top = 0  # the line the comment's text starts on
        self._links_top = 0  # the line of the first link's row
        self._wrap_width = 0
        self._drawn_for = Size(0, 0)  # the pane's size when its lines were wrapped
        self._scrollbar: list[Segment] = []  # a cell of the scrollbar per row, if it shows
        self._scrollbar_key: tuple[float, int, int] | None = None  # what it was drawn for
        self._dragging = False  # the scrollbar's thumb is held by the mouse
        self._wrapped: OrderedDict[tuple, list[Strip]] = OrderedDict()  # see _render_text
        self._pad_style: RichStyle | None = None  # see _padding

    def part(self, name: str) -> Text:
        """What a part of the pane shows, as drawn before wrapping: ``header``, ``text``,
        ``facts`` or ``occurrences`` (empty when the pane shows no comment)."""
        return self._parts.get(name, Text())

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
        jumps = jump_targets(detail) if detail else []
        if jumps != self.jumps:
            self.jumps, self.link_cursor = jumps, 0
        if not jumps:
            self.leave_links()
        if detail is None:
            self._parts = {"header": Text("No comment selected: this view is empty.")}
        else:
            self._parts = {
                "header": self._header(detail),
                "text": self._body().text,
                "facts": self._facts(detail, ansi, self._chip_foreground()),
                "occurrences": self._occurrences(detail),
            }
        self._draw()
        if not same_comment:
            self.scroll_home(animate=False)

    def _chip_foreground(self):
        return self.get_component_rich_style("comment-panel--chip").color

    def _body(self) -> Body:
        styles = BodyStyles(
            match=self.get_component_rich_style("comment-panel--match"),
            selection=self.get_component_rich_style("comment-panel--selection"),
            chip_foreground=self._chip_foreground(),
            ansi=self._ansi,
        )
        return comment_body(self.detail, styles, search=self._search, selection=self.selection)

    # -- lines --------------------------------------------------------------------------

    def _draw(self, *, refresh: bool = True) -> None:
        """Wrap every part to lines at the pane's width (less the padding on its right), less
        a scrollbar's if they overflow."""
        self._drawn_for = self.size
        width = self.size.width - 1
        height = self.size.height
        if width <= 0:  # not laid out yet: wrapped when first drawn (see render_lines)
            return
        lines = self._wrap(width)
        if len(lines) > height:
            width -= self.styles.scrollbar_size_vertical
            lines = self._wrap(width)
        self._lines, self._wrap_width = lines, width
        self._set_virtual_size(Size(width, len(lines)))
        if refresh:
            self.refresh()

    def _set_virtual_size(self, size: Size) -> None:
        """Set ``virtual_size`` without laying out the screen (setting it as such lays out,
        and nothing outside the pane changes), keeping the scroll within it."""
        self.set_reactive(ScrollView.virtual_size, size)
        self.scroll_y = self.validate_scroll_y(self.scroll_y)

    @property
    def allow_vertical_scroll(self) -> bool:
        """The pane scrolls when its lines overflow (overflow-y is hidden only because it
        draws its scrollbar itself)."""
        return not self._check_disabled() and self.max_scroll_y > 0

    def _wrap(self, width: int) -> list[Strip]:
        """The pane's lines at ``width``: what the header, text, facts, links and occurrences
        wrap to, drawn as Textual draws text (so they read as the Statics they replace).
        Notes where the text and the links start, for scrolling them into view."""
        plain = self.visual_style
        header = self.get_visual_style("comment-panel--header")
        lines = [*self._render_text(self._parts["header"], width, header)]
        if self.detail is not None:
            text = (
                self.get_visual_style("comment-panel--tombstone")
                if self.detail.tombstone
                else plain
            )
            lines.append(Strip.blank(width, self._padding))  # a line between
            self._body_top = len(lines)
            lines += self._render_text(self._parts["text"], width, text)
            lines += self._render_text(self._parts["facts"], width, plain)
        if self.jumps:
            lines += self._render_text(Text("\nLinks", style="bold"), width, plain)
            self._links_top = len(lines)
            lines += [self._link_line(index, width) for index in range(len(self.jumps))]
        if self.detail is not None:
            lines += self._render_text(self._parts["occurrences"], width, plain)
        return lines

    def _render_text(self, text: Text, width: int, style: Style) -> list[Strip]:
        """``text`` wrapped to lines; remembered, since wrapping is most of what a move costs
        and most parts ("Tags", "Note", an occurrence) read the same from comment to comment."""
        key = (text.plain, tuple(text.spans), text.style, width, style)
        strips = self._wrapped.get(key)
        if strips is None:
            wrapped = Visual.to_strips(self, visualize(self, text), width, None, style)
            strips = [strip.extend_cell_length(width, self._padding) for strip in wrapped]
            self._wrapped[key] = strips
            if len(self._wrapped) > PARTS_KEPT:
                self._wrapped.popitem(last=False)
        else:
            self._wrapped.move_to_end(key)
        return strips

    def _link_line(self, index: int, width: int) -> Strip:
        """A link's row, on one line, cut with an ellipsis; the cursor's row highlighted."""
        style = self.visual_style
        if index == self.link_cursor:
            name = "comment-panel--link-cursor" if self.in_links else "comment-panel--link"
            style = self.get_visual_style(name)
        label = jump_label(self.jumps[index])
        label.truncate(width, overflow="ellipsis")
        return self._render_text(label, width, style)[0]

    @property
    def _padding(self) -> RichStyle:
        """The style of the room around text: the background alone, as Textual pads (kept
        until the theme changes: render_line asks for it on every line)."""
        if self._pad_style is None:
            self._pad_style = Style(background=self.visual_style.background).rich_style
        return self._pad_style

    def render_lines(self, crop: Region) -> list[Strip]:
        """Lines wrapped for a size the pane no longer has are wrapped again here, as it is
        drawn: so the first frame (drawn before the pane hears of its size) and the frame
        after a resize show the text at once, not one frame later."""
        if self.size != self._drawn_for:
            self._draw(refresh=False)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        """A line of the pane, then the scrollbar's cell and the padding on the right (where
        Textual puts a scrollbar)."""
        index = self.scroll_offset.y + y
        width = self._wrap_width
        if index < len(self._lines):
            line = self._lines[index].crop_extend(0, width, self._padding)
        else:
            line = Strip.blank(width, self._padding)
        edge = [Segment(" ", self._padding)]
        if len(self._lines) > self.size.height:
            edge.insert(0, self._scrollbar_cell(y))
        return Strip.join([line, Strip(edge)])

    def _scrollbar_cell(self, y: int) -> Segment:
        """Row ``y`` of the scrollbar as Textual's ScrollBar widget draws it, in its colours;
        the column is drawn once per scroll position and length."""
        height = self.size.height
        key = (self.scroll_y, len(self._lines), height)
        if key != self._scrollbar_key:
            styles = self.styles
            background = styles.scrollbar_background
            if background.a < 1:
                background = self.background_colors[0] + background
            bar = ScrollBarRender.render_bar(
                size=height,
                virtual_size=len(self._lines),
                window_size=height,
                position=int(self.scroll_y * 8) / 8,  # as ScrollBar.position is kept
                thickness=styles.scrollbar_size_vertical,
                back_color=background.rich_color,
                bar_color=(background + styles.scrollbar_color).rich_color,
            )
            # On the pane's style, as the widget's is drawn; its clicks are handled here
            # (on_mouse_down), not by the meta it carries.
            base = self.visual_style.rich_style
            self._scrollbar = [
                Segment(cell.text, base + cell.style.clear_meta_and_links())
                for cell in bar.segments
            ]
            self._scrollbar_key = key
        return self._scrollbar[y]

    def _on_scrollbar(self, event: events.MouseEvent) -> bool:
        offset = event.get_content_offset(self)
        bar = range(self._wrap_width, self._wrap_width + self.styles.scrollbar_size_vertical)
        return offset is not None and offset.x in bar and self.allow_vertical_scroll

    def _drag_to(self, event: events.MouseEvent) -> None:
        """Scroll so that the thumb is where the mouse is on the scrollbar."""
        height = self.size.height
        self.scroll_to(y=self.max_scroll_y * event.y / max(1, height - 1), animate=False)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        """The scrollbar: a press puts the thumb there, dragging moves it."""
        if self._on_scrollbar(event):
            self._dragging = True
            self.capture_mouse()
            self._drag_to(event)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._dragging:
            self._drag_to(event)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._dragging:
            self._dragging = False
            self.release_mouse()

    def on_resize(self, event: events.Resize) -> None:
        if self.size != self._drawn_for:  # (unless a frame at the new size has wrapped them)
            self._draw()

    def notify_style_update(self) -> None:
        """A new theme: the parts are coloured again."""
        super().notify_style_update()
        self._wrapped.clear()
        self._pad_style = None
        self._scrollbar_key = None
        if self._parts:
            self.show(self.detail, ansi=self._ansi, search=self._search)

    # -- the links ----------------------------------------------------------------------

    def enter_links(self) -> None:
        """Put the link keys on the links' cursor (the pane has focus and links)."""
        self.in_links = True
        self._redraw_link(self.link_cursor)
        self.refresh_bindings()

    def leave_links(self) -> None:
        if self.in_links:
            self.in_links = False
            self._redraw_link(self.link_cursor)
            self.refresh_bindings()

    def on_blur(self, event: events.Blur) -> None:
        self.leave_links()

    def action_link_cursor(self, step: int) -> None:
        old = self.link_cursor
        self.link_cursor = max(0, min(old + step, len(self.jumps) - 1))
        self._redraw_link(old)
        self._redraw_link(self.link_cursor)

    def action_follow_link(self) -> None:
        self.post_message(self.Jump(self.jumps[self.link_cursor].cluster_id))

    def action_unlink(self) -> None:
        link = self.jumps[self.link_cursor].link
        if link is None:
            self.notify("That is the thread's own structure, not a link you made.")
            return
        self.post_message(self.Unlink(link))

    def _redraw_link(self, index: int) -> None:
        """Draw one link's row again (the cursor came or went), and keep the cursor in view."""
        line = self._links_top + index
        if not self._lines or not 0 <= index < len(self.jumps):
            return
        self._lines[line] = self._link_line(index, self._wrap_width)
        self.refresh_line(line)
        if index == self.link_cursor and self.in_links:
            self.scroll_to_region(Region(0, line, 1, 1), animate=False, immediate=True)

    def on_click(self, event: events.Click) -> None:
        """A click on a link's row goes there, as enter on it does."""
        index = self.scroll_offset.y + event.y - self._links_top
        if self._on_scrollbar(event):
            return
        if self.jumps and 0 <= index < len(self.jumps):
            self.link_cursor = index
            self.action_follow_link()

    # -- selecting a segment ------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape is "back to the whole comment" only while a segment is selected; else it
        does what it does in the list (clear the filter).  The link keys act on the links
        while :attr:`in_links`, and j and k scroll only while not."""
        if action == "whole_comment":
            return self.selection is not None
        if action in {"link_cursor", "follow_link", "unlink"}:
            return self.in_links
        if action in {"scroll_down", "scroll_up"}:
            return not self.in_links
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
        body = self._body()
        self._parts["text"] = body.text
        self._draw()
        self.refresh_bindings()
        if body.selection_at is not None:
            self._bring_into_view(body.text, body.selection_at)
        self.post_message(self.SelectionChanged(span))

    def _bring_into_view(self, text: Text, position: int) -> None:
        """Bring the selection (starting at ``position`` of the drawn text) into view, a
        little below the top, unless it is in view already."""
        visible = self.scrollable_content_region.height
        line = self._body_top + line_of(text, position, self._wrap_width, self.app.console)
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
