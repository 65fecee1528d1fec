"""The pane's list of the comments linked to or from this one, its parent and its replies.

The annotation pane draws the rows among its lines and keeps a cursor on them; these are its
keys there: enter goes to the comment on the highlighted row, delete removes a link the
annotator made.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual.binding import Binding

from store.detail import CommentDetail, CommentRef, LinkedComment
from store.schema import HUMAN_LINK_KINDS
from store.segments import Span
from tui.inert import one_line

LINK_WORDS = {
    # kind: (out, in)
    "rebuts": ("rebuts", "rebutted by"),
    "supports": ("supports", "supported by"),
    "undercuts": ("undercuts", "undercut by"),
    "rephrases": ("rephrases", "rephrased by"),
    "quotes": ("quotes", "quoted by"),
}


class MadeLink(NamedTuple):
    """A link this annotator made, as :func:`store.annotate.remove_link` names it."""

    source: int
    target: int
    kind: str
    source_span: Span | None = None
    target_span: Span | None = None


class JumpTarget(NamedTuple):
    """A row of the jump list: what the other comment is to this one, and which it is.

    ``label`` names this end when it is a segment ("#5.1"), ``other_label`` the other end
    ("#4.2") and ``other_words`` that segment's words.  ``link`` is set for a link this
    annotator made, which they may remove; None for the thread's own structure (replies,
    quotes) and for comments with the same words.
    """

    what: str
    other: CommentRef
    link: MadeLink | None = None
    label: str = ""
    other_label: str = ""
    other_words: str = ""

    @property
    def cluster_id(self) -> int:
        return self.other.id


def jump_targets(detail: CommentDetail) -> list[JumpTarget]:
    """Links out, links in, the parent, the replies, then the same words by others."""

    def target(link: LinkedComment, outgoing: bool) -> JumpTarget:
        made = None
        if link.kind in HUMAN_LINK_KINDS:
            ends = (detail.id, link.span, link.other.id, link.other_span)
            source, source_span, target, target_span = ends if outgoing else (*ends[2:], *ends[:2])
            made = MadeLink(source, target, link.kind, source_span, target_span)
        return JumpTarget(
            LINK_WORDS[link.kind][0 if outgoing else 1],
            link.other,
            made,
            link.label if link.span is not None else "",
            link.other_label,
            link.other_words,
        )

    jumps = [target(link, outgoing=True) for link in detail.links_out]
    jumps += [target(link, outgoing=False) for link in detail.links_in]
    if detail.parent:
        jumps.append(JumpTarget("reply to", detail.parent))
    jumps += [JumpTarget("replied by", reply) for reply in detail.replies]
    jumps += [JumpTarget("same words", other) for other in detail.same_text]
    return jumps


JUMP_BINDINGS = [
    Binding("enter", "follow_link", "Jump", tooltip="Go to the linked comment", id="jump_select"),
    Binding(
        "delete,D",
        "unlink",
        "Unlink",
        tooltip="Remove the highlighted link (one you made)",
        id="unlink",
    ),
    Binding("j", "link_cursor(1)", "Down", show=False, tooltip="Next link", id="jump_down"),
    Binding("k", "link_cursor(-1)", "Up", show=False, tooltip="Previous link", id="jump_up"),
]
"""The keys of the pane's links (see ``CommentPanel.in_links``): first, so the key bar shows
them first while they act."""


def jump_label(jump: JumpTarget) -> Text:
    """A row of the list: a segment end reads "#5.1 rebuts #4.2: “Nor does paint…”"."""
    label = Text()
    here = f"{one_line(jump.label, 20)} " if jump.label else ""
    there = one_line(jump.other_label, 20) or f"#{jump.other.number}"
    label.append(f"{here}{jump.what} {there}  ", style="bold")
    if jump.other_words:
        label.append(f"“{one_line(jump.other_words, 120)}”")
    else:
        label.append(one_line(jump.other.snippet, 120))
    return label
