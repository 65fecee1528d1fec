"""The annotation pane: the selected comment in full, where it occurs, its tags, links and note.

Every piece of comment text goes through :func:`inert` into a ``rich.text.Text`` built from
plain strings, so markup in a comment is shown literally and no control character is drawn.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from store.detail import CommentDetail, CommentRef
from store.schema import HUMAN_LINK_KINDS
from tui.inert import inert, one_line
from tui.tag_colors import chip_style

TEXT_SHOWN = 20_000  # characters of a huge comment drawn in the panel
LINK_WORDS = {
    # kind: (out, in)
    "rebuts": ("rebuts", "rebutted by"),
    "supports": ("supports", "supported by"),
    "undercuts": ("undercuts", "undercut by"),
    "rephrases": ("rephrases", "rephrased by"),
    "quotes": ("quotes", "quoted by"),
}


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


def _section(title: str) -> Text:
    return Text(f"\n{title}\n", style="bold")


@dataclass(frozen=True, slots=True)
class JumpTarget:
    """A row of the jump list: what the other comment is to this one, and which it is.

    ``link`` is (source, target, kind) for a link this annotator made, which they may remove;
    None for the thread's own structure (replies, quotes) and for comments with the same words.
    """

    what: str
    other: CommentRef
    link: tuple[int, int, str] | None = None

    @property
    def cluster_id(self) -> int:
        return self.other.id


class JumpList(OptionList):
    """The comments this one links to or from, its parent and replies: Enter goes there."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, tooltip="Next link", id="jump_down"),
        Binding("k", "cursor_up", "Up", show=False, tooltip="Previous link", id="jump_up"),
        Binding("enter", "select", "Jump", tooltip="Go to the linked comment", id="jump_select"),
        Binding(
            "delete,D",
            "unlink",
            "Unlink",
            tooltip="Remove the highlighted link (one you made)",
            id="unlink",
        ),
    ]

    class Jump(Message):
        def __init__(self, cluster_id: int) -> None:
            super().__init__()
            self.cluster_id = cluster_id

    class Unlink(Message):
        def __init__(self, source: int, target: int, kind: str) -> None:
            super().__init__()
            self.source, self.target, self.kind = source, target, kind

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.targets: list[JumpTarget] = []

    def show_jumps(self, jumps: list[JumpTarget]) -> None:
        """One row per jump; a comment may well appear twice (quoted by and a reply to)."""
        self.clear_options()
        self.targets = jumps
        for jump in jumps:
            label = Text()
            label.append(f"{jump.what} #{jump.other.number}  ", style="bold")
            label.append(one_line(jump.other.snippet, 120))
            self.add_option(Option(label))
        if jumps:
            self.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Jump(self.targets[event.option_index].cluster_id))

    def action_unlink(self) -> None:
        if self.highlighted is None:
            return
        link = self.targets[self.highlighted].link
        if link is None:
            self.notify("That is the thread's own structure, not a link you made.")
            return
        self.post_message(self.Unlink(*link))


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
    ]
    COMPONENT_CLASSES = {"comment-panel--chip", "comment-panel--match"}
    DEFAULT_CSS = """
    CommentPanel { padding: 0 1; background: $surface; }
    CommentPanel > .comment-panel--chip { color: $tag-chip-foreground; }
    CommentPanel > .comment-panel--match { text-style: bold reverse; }
    CommentPanel #panel-header { color: $text-muted; }
    CommentPanel #panel-text { margin-top: 1; }
    CommentPanel .tombstone { color: $tombstone; text-style: italic; }
    CommentPanel JumpList {
        height: auto; max-height: 12; border: none; padding: 0;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    CommentPanel .-empty { display: none; }
    """

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
        """Fill the pane with one comment (or say there is none); ``search``'s words are marked."""
        header = self.query_one("#panel-header", Static)
        body = self.query_one("#panel-text", Static)
        facts = self.query_one("#panel-facts", Static)
        occurrences = self.query_one("#panel-occurrences", Static)
        jumps = self._jumps(detail) if detail else []
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
        body.update(
            self._body(detail, search, self.get_component_rich_style("comment-panel--match"))
        )
        chip_foreground = self.get_component_rich_style("comment-panel--chip").color
        facts.update(self._facts(detail, ansi, chip_foreground))
        occurrences.update(self._occurrences(detail))
        self.scroll_home(animate=False)

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
    def _body(detail: CommentDetail, search: str | None, match_style: Style) -> Text:
        text = Text(inert(detail.text[:TEXT_SHOWN], multiline=True))
        if search:
            for match in search_matches(search, text.plain):
                text.stylize(match_style, *match.span())
        if len(detail.text) > TEXT_SHOWN:
            text.append(
                f"\n\n[{len(detail.text) - TEXT_SHOWN:,} more characters: export to read all]"
            )
        return text

    @staticmethod
    def _facts(detail: CommentDetail, ansi: bool, chip_foreground) -> Text:
        facts = Text()
        if detail.same_text:
            others = ", ".join(
                f"#{other.number}" + (f" {one_line(other.author, 20)}" if other.author else "")
                for other in detail.same_text
            )
            facts.append(f"\nSame words, by others: {others}", style="italic")
        facts.append_text(_section("Tags"))
        if detail.tags:
            for tag in detail.tags:
                chip = chip_style(tag, ansi=ansi, foreground=chip_foreground)
                facts.append(f" {tag.hotkey or '·'} {inert(tag.name)} ", style=chip)
                facts.append(" ")
        else:
            facts.append("none yet: 1-9 or t", style="dim")
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

    @staticmethod
    def _jumps(detail: CommentDetail) -> list[JumpTarget]:
        """Links out, links in, the parent, then the replies."""

        def made(source: int, target: int, kind: str) -> tuple[int, int, str] | None:
            return (source, target, kind) if kind in HUMAN_LINK_KINDS else None

        jumps = [
            JumpTarget(
                LINK_WORDS[link.kind][0], link.other, made(detail.id, link.other.id, link.kind)
            )
            for link in detail.links_out
        ]
        jumps += [
            JumpTarget(
                LINK_WORDS[link.kind][1], link.other, made(link.other.id, detail.id, link.kind)
            )
            for link in detail.links_in
        ]
        if detail.parent:
            jumps.append(JumpTarget("reply to", detail.parent))
        jumps += [JumpTarget("replied by", reply) for reply in detail.replies]
        jumps += [JumpTarget("same words", other) for other in detail.same_text]
        return jumps
