"""A comment's text as the pane draws it: inert, with what the reader marks in it.

Marked are the words a search matched, the segments this annotator tagged (underlined in the
first tag's colour, followed by their tags' chips, which also mark them where colour is
scarce; a "!" before the chips says the words changed since they were coded) and the segment
being selected.  Positions in the comment (code points) become
positions on screen through :func:`tui.inert.inert_block_with_offsets`, so a mark never cuts
a placeholder in two.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import NamedTuple

from rich.color import Color
from rich.console import Console
from rich.style import Style
from rich.text import Text

from store.detail import CommentDetail
from store.segments import Span
from tui.inert import inert, inert_block_with_offsets
from tui.tag_colors import chip_style, tag_color
from tui.widgets.comment_list import chip_label

TEXT_SHOWN = 20_000  # characters of a huge comment drawn in the pane
CHANGED_MARK = "!"  # before a segment's chips: a newer scrape changed its words since coded


class BodyStyles(NamedTuple):
    match: Style
    selection: Style
    chip_foreground: Color | None
    ansi: bool


class Body(NamedTuple):
    """The drawn text, and where the selection starts in it (for scrolling it into view)."""

    text: Text
    selection_at: int | None = None


def comment_body(
    detail: CommentDetail, styles: BodyStyles, *, search: str | None, selection: Span | None
) -> Body:
    """The text of ``detail`` (its first TEXT_SHOWN characters) with its marks."""
    raw = detail.text[:TEXT_SHOWN]
    if selection is None and not detail.segments:
        text = Text(inert(raw, multiline=True))
        offsets = None
    else:
        shown, offsets = inert_block_with_offsets(raw)
        text = Text(shown)
    if search:
        for match in search_matches(search, text.plain):
            text.stylize(styles.match, *match.span())
    body = Body(text) if offsets is None else _marked(text, offsets, detail, styles, selection)
    if len(detail.text) > TEXT_SHOWN:
        more = len(detail.text) - TEXT_SHOWN
        body.text.append(f"\n\n[{more:,} more characters: export to read all]")
    return body


def _marked(
    text: Text,
    offsets: list[int],
    detail: CommentDetail,
    styles: BodyStyles,
    selection: Span | None,
) -> Body:
    """Tagged segments underlined, the selection reversed, and each tagged segment followed
    by its tags' chips (put in in one pass: a comment may have hundreds)."""

    def on_screen(span: Span) -> Span:
        last = len(offsets) - 1
        return offsets[min(span[0], last)], offsets[min(span[1], last)]

    chips: list[tuple[int, Text]] = []
    for segment in detail.segments:
        if not segment.tags:
            continue
        start, end = on_screen(segment.span)
        colour = tag_color(segment.tags[0], ansi=styles.ansi)
        text.stylize(Style(underline=True, color=colour), start, end)
        marker = Text("[")
        if segment.coded_words is not None:
            marker.append(CHANGED_MARK, Style(bold=True))
        for tag in segment.tags:
            style = chip_style(tag, ansi=styles.ansi, foreground=styles.chip_foreground)
            marker.append(chip_label(tag), style)
        marker.append("]")
        chips.append((end, marker))
    selection_at = None
    if selection is not None:
        start, end = on_screen(selection)
        text.stylize(styles.selection, start, end)
        selection_at = start + sum(len(marker) for at, marker in chips if at <= start)
    chips.sort(key=lambda chip: chip[0])
    pieces, done = [], 0
    for position, marker in chips:
        pieces += [text[done:position], marker]
        done = position
    pieces.append(text[done:])
    return Body(Text.assemble(*pieces), selection_at)


def line_of(text: Text, position: int, width: int, console: Console) -> int:
    """The line, once ``text`` is wrapped to ``width``, that character ``position`` is on."""
    seen = 0
    for number, line in enumerate(text.wrap(console, max(width, 1))):
        seen += len(line.plain) + 1  # the newline or the space the wrap took
        if seen > position:
            return number
    return 0


def search_matches(search: str, text: str) -> Iterator[re.Match[str]]:
    """Where ``search``'s words occur in ``text`` as full-text search matches them: as word
    prefixes, whatever the case and accents ("naive" finds "Naïve"), "_" between words."""
    words = sorted(set(_WORD.findall(_fold(search))), key=len, reverse=True)
    if not words:
        return iter(())
    pattern = r"(?<![^\W_])(?:" + "|".join(map(re.escape, words)) + r")[^\W_]*"
    return re.finditer(pattern, _fold(text))


_WORD = re.compile(r"[^\W_]+")


def _fold(text: str) -> str:
    """``text`` lower-cased and without accents, one character for each of ``text``'s, so a
    match in it is at the same place in ``text``."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_character(ch) for ch in text)


def _fold_character(ch: str) -> str:
    base = unicodedata.normalize("NFD", ch)[0]
    lowered = base.lower()
    return lowered if len(lowered) == 1 else base
