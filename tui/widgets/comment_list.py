"""The thread pane: one line per unique comment, drawn with Textual's Line API.

Only the rows on screen are ever fetched: ``render_line`` asks the :class:`ThreadView` for the
100-row block holding the line it draws, keeps a few blocks, and caches drawn lines.  A
million-comment thread paints as fast as a ten-comment one.
"""

from __future__ import annotations

from collections import OrderedDict

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from store.codebook import Tag
from store.queries import Row, ThreadView
from tui.inert import cut, one_line
from tui.tag_colors import chip_style, tag_color

BLOCK_ROWS = 100
BLOCKS_KEPT = 16
LINES_KEPT = 512
MAX_INDENT_LEVELS = 6
INDENT_CELLS = 2
AUTHOR_CELLS = 14


class CommentList(ScrollView, can_focus=True):
    """Unique comments of a thread in thread order; the cursor row is the selected comment."""

    BINDINGS = [
        Binding(
            "j,down", "cursor_down", "Down", show=False, tooltip="Next comment", id="cursor_down"
        ),
        Binding("k,up", "cursor_up", "Up", show=False, tooltip="Previous comment", id="cursor_up"),
        Binding(
            "g,home",
            "cursor_first",
            "First",
            show=False,
            tooltip="First comment",
            id="cursor_first",
        ),
        Binding(
            "G,end", "cursor_last", "Last", show=False, tooltip="Last comment", id="cursor_last"
        ),
        Binding(
            "pagedown",
            "page_down",
            "Page down",
            show=False,
            tooltip="A screen down",
            id="page_down",
        ),
        Binding("pageup", "page_up", "Page up", show=False, tooltip="A screen up", id="page_up"),
    ]
    COMPONENT_CLASSES = {
        "comment-list--cursor",
        "comment-list--id",
        "comment-list--author",
        "comment-list--badge",
        "comment-list--tombstone",
        "comment-list--link",
        "comment-list--mark",
        "comment-list--chip",
        "comment-list--depth",
    }
    DEFAULT_CSS = """
    CommentList { background: $surface; }
    CommentList > .comment-list--cursor { background: $selected-row-background; }
    CommentList:focus > .comment-list--cursor { text-style: bold; }
    CommentList > .comment-list--id { color: $text-muted; }
    CommentList > .comment-list--author { color: $secondary; text-style: bold; }
    CommentList > .comment-list--badge { color: $duplicate-badge; text-style: bold; }
    CommentList > .comment-list--tombstone { color: $tombstone; text-style: italic; }
    CommentList > .comment-list--link { color: $link-marker; text-style: bold; }
    CommentList > .comment-list--mark { color: $mark; text-style: bold; }
    CommentList > .comment-list--chip { color: $tag-chip-foreground; }
    CommentList > .comment-list--depth { color: $text-muted; }
    """

    cursor: reactive[int] = reactive(0, always_update=False, init=False, repaint=False)

    class Highlighted(Message):
        """A new view is shown, so the selected comment may be another (``cluster_id`` None
        when the view is empty).  Moves within a view are not messages: whoever follows the
        cursor watches ``cursor``, and so draws in the same frame as the list."""

        def __init__(self, cluster_id: int | None) -> None:
            super().__init__()
            self.cluster_id = cluster_id

    def __init__(self, view: ThreadView, tags: list[Tag], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view = view
        self.marked: int | None = None
        self._last_wanted = False  # G pressed while a filter's matches were still being found
        self._tags = {tag.id: tag for tag in tags}
        self._blocks: OrderedDict[int, list[Row]] = OrderedDict()
        self._lines: OrderedDict[tuple, Strip] = OrderedDict()
        self.virtual_size = Size(0, view.count())

    # -- data ---------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return self.view.count()

    def row(self, index: int) -> Row | None:
        """The row at ``index``, fetched with the block around it if not cached."""
        if not 0 <= index < self.row_count:
            return None
        block = index // BLOCK_ROWS
        rows = self._blocks.get(block)
        if rows is None:
            rows = self.view.window(block * BLOCK_ROWS, BLOCK_ROWS)
            self._blocks[block] = rows
            if len(self._blocks) > BLOCKS_KEPT:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(block)
        offset = index - block * BLOCK_ROWS
        return rows[offset] if offset < len(rows) else None

    @property
    def selected(self) -> Row | None:
        return self.row(self.cursor)

    def set_view(self, view: ThreadView, keep: int | None = None) -> None:
        """Show another view (a filter, a search); keep comment ``keep`` selected if it is in it.

        A view that completes the one shown (the same filter, whose first matches were shown
        while the rest were found) keeps the selected comment on its line of the screen, or,
        if ``G`` was pressed meanwhile, goes on to the new last row.
        """
        old, to_last = self.view, self._last_wanted and self.cursor == self.row_count - 1
        completing = not old.complete and view.filter == old.filter
        line = self.cursor - self.scroll_offset.y
        if completing and self.selected is not None:
            keep = self.selected.id
        self._last_wanted = False
        self.view = view
        self._forget()
        self.virtual_size = Size(self.virtual_size.width, view.count())
        index = view.index_of(keep) if keep is not None else None
        if completing and to_last:
            index = view.count() - 1
        self.cursor = index if index is not None else 0
        if completing:
            self.scroll_to(y=self.cursor - line, animate=False, immediate=True)
        self._show_cursor()
        self.post_message(self.Highlighted(self.selected.id if self.selected else None))
        self.refresh()

    def set_tags(self, tags: list[Tag]) -> None:
        self._tags = {tag.id: tag for tag in tags}
        self.reload()

    def reload(self) -> None:
        """Fetch the rows on screen again after a change."""
        self._forget()
        self.refresh()

    def select_cluster(self, cluster_id: int) -> bool:
        """Move the cursor to a comment; False if the current view does not show it."""
        index = self.view.index_of(cluster_id)
        if index is None:
            return False
        self.cursor = index
        return True

    def _forget(self) -> None:
        self._blocks.clear()
        self._lines.clear()

    # -- cursor -------------------------------------------------------------------------

    def validate_cursor(self, cursor: int) -> int:
        return max(0, min(cursor, self.row_count - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        self._show_cursor()
        self.refresh_line(old - self.scroll_offset.y)
        self.refresh_line(new - self.scroll_offset.y)

    def _show_cursor(self) -> None:
        self.scroll_to_region(
            Region(0, self.cursor, 1, 1), animate=False, force=True, x_axis=False, immediate=True
        )

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_first(self) -> None:
        self.cursor = 0

    def action_cursor_last(self) -> None:
        self.cursor = self.row_count - 1
        self._last_wanted = not self.view.complete  # the last known: on to the last once found

    def action_page_down(self) -> None:
        self.cursor += max(1, self.scrollable_content_region.height - 1)

    def action_page_up(self) -> None:
        self.cursor -= max(1, self.scrollable_content_region.height - 1)

    def on_click(self, event: events.Click) -> None:
        self.cursor = self.scroll_offset.y + event.y

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()

    # -- drawing ------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        row = self.row(index)
        if row is None:
            return Strip.blank(width, self.rich_style)
        key = (index, row.id, width, index == self.cursor, row.id == self.marked)
        strip = self._lines.get(key)
        if strip is None:
            strip = self._draw(row, width, selected=key[3], marked=key[4])
            self._lines[key] = strip
            if len(self._lines) > LINES_KEPT:
                self._lines.popitem(last=False)
        return strip

    def _draw(self, row: Row, width: int, *, selected: bool, marked: bool) -> Strip:
        base = self.rich_style
        if selected:
            base += self.get_component_rich_style("comment-list--cursor")

        def style(name: str) -> Style:
            return base + self.get_component_rich_style(f"comment-list--{name}")

        levels = indent_levels(width)
        left: list[Segment] = [
            Segment("●" if marked else " ", style("mark")),
            Segment(" " * INDENT_CELLS * min(row.depth, levels), base),
        ]
        if row.depth > levels:  # deeper than the indent can show: say how deep
            left.append(Segment(f"↳{row.depth} ", style("depth")))
        left.append(Segment(f"#{row.seq} ", style("id")))
        if row.size > 1:
            left.append(Segment(f"x{row.size} ", style("badge")))
        if row.author:
            author = cut(one_line(row.author, width), min(AUTHOR_CELLS, width // 4))
            left.append(Segment(author + " ", style("author")))
        right = self._markers(row, base, style)
        right_width = sum(segment.cell_length for segment in right)
        room = width - right_width - sum(segment.cell_length for segment in left)
        snippet = cut(one_line(row.snippet, width), max(0, room))
        left.append(Segment(snippet, style("tombstone") if row.tombstone else base))
        strip = Strip(left).crop_extend(0, max(0, width - right_width), base)
        return Strip.join([strip, Strip(right)]).crop(0, width)

    def _markers(self, row: Row, base: Style, style) -> list[Segment]:
        """Link and note markers, a chip per tag in the tag's colour, then after ¶ the tags on
        the comment's segments, for the row's end."""
        segments: list[Segment] = []
        ansi = self.app.current_theme.ansi
        if row.links_out or row.links_in:
            arrow = "⇄" if row.links_out and row.links_in else ("→" if row.links_out else "←")
            segments.append(Segment(f" {arrow}", style("link")))
        if row.has_note:
            segments.append(Segment(" ✎", style("link")))
        for tag_id in row.tag_ids:
            tag = self._tags.get(tag_id)
            if tag is None:
                continue
            segments.append(Segment(" ", base))
            chip = chip_style(tag, ansi=ansi, foreground=style("chip").color)
            segments.append(Segment(chip_label(tag), base + chip))
        others = [self._tags[tag_id] for tag_id in row.others_tag_ids if tag_id in self._tags]
        if others:  # other annotators' tags: apart, after a marker, never in tag colours
            segments.append(Segment(" ◦", style("link")))
            segments.extend(Segment(chip_label(tag), base + Style(dim=True)) for tag in others)
        on_parts = [self._tags[tag_id] for tag_id in row.segment_tag_ids if tag_id in self._tags]
        if on_parts:  # tags on sentences: the tag's colour on the text, not behind it
            segments.append(Segment(" ¶", style("link")))
            for tag in on_parts:
                colour = Style(color=tag_color(tag, ansi=ansi), bold=True, underline=True)
                segments.append(Segment(chip_label(tag), base + colour))
        return segments


def indent_levels(width: int) -> int:
    """How many reply levels the indent shows: fewer in a narrow pane, so text keeps room."""
    return max(2, min(MAX_INDENT_LEVELS, width // 12))


def chip_label(tag: Tag) -> str:
    """A row's chip for a tag: its hotkey (the key that toggles it), else its first letter.

    Names do not fit a row at 80 columns; the pane and the help screen are the legend.
    """
    return tag.hotkey or one_line(tag.name, 1).upper() or "?"
