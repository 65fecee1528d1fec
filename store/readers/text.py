"""Plain text: one comment per line, or one per blank-line-separated paragraph."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from store.readers.common import is_tombstone_text, split_lines
from store.records import CommentRecord, ParsedThread

SPLITS = ("lines", "paragraphs")


def read(content: str, split: str = "lines") -> ParsedThread:
    """Blank lines are never comments; with ``paragraphs`` they separate comments instead.

    Lines end as :func:`~store.readers.common.split_lines` says: other Unicode line breaks stay
    inside the comment.
    """
    lines = split_lines(content)
    comments = _paragraphs(lines) if split == "paragraphs" else _non_blank(lines)
    records = [CommentRecord(text=text, is_tombstone=is_tombstone_text(text)) for text in comments]
    return ParsedThread(format="text", records=records)


def _non_blank(lines: Iterable[str]) -> Iterator[str]:
    return (line for line in lines if line and not line.isspace())


def _paragraphs(lines: Iterable[str]) -> Iterator[str]:
    paragraph: list[str] = []
    for line in lines:
        if line and not line.isspace():
            paragraph.append(line)
        elif paragraph:
            yield "\n".join(paragraph)
            paragraph = []
    if paragraph:
        yield "\n".join(paragraph)
