"""HTML comment bodies (Hacker News, Mastodon, Reddit's ``body_html``) to plain text.

Comment HTML is hostile, so the scan is linear for every input: it goes left to right and
never back.  The first time a tag's quotes, or a comment, run to the end of the text, it stops
expecting them to close, rather than trying again at every later ``<`` (trying again is what
made a regular expression, and ``html.parser`` in this Python, take minutes over
``<a<a<a...``).  Paragraphs become a blank line, ``<br>`` a newline, links their text; every
other tag is dropped.  Entities are decoded after the tags are gone, so an escaped
``&lt;b&gt;`` stays visible text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

# A comment's start, or a tag's with its name captured.
_MARKUP_START = re.compile(r"<(?:!--|/?([a-zA-Z][a-zA-Z0-9]*))")
# The rest of a tag after its name: quoted attribute values may hold ">".
_TAG_REST = re.compile(r"(?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+>")
_PARAGRAPH_TAGS = frozenset({"p", "div", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4"})
# A decimal reference of more than 7 digits is past U+10FFFF whatever it says; past 4,300
# digits html.unescape would raise ValueError converting it.
_LONG_DECIMAL_REFERENCE = re.compile(r"&#([0-9]{8,});?")
_LARGEST_CODE_POINT_DIGITS = 7


def html_to_text(markup: str) -> str:
    """The text a reader sees in ``markup``; whitespace inside the text is kept as given.

    Breaks before the first text and after the last are dropped, and whitespace between
    block tags is layout, not text.
    """
    if "<" not in markup and "&" not in markup:
        return markup
    parts: list[str] = []
    pending_newlines = 0
    for text, tag in _text_and_tags(markup):
        if text and not ((pending_newlines or not parts) and text.isspace()):
            if parts:
                parts.append("\n" * pending_newlines)
            parts.append(text)
            pending_newlines = 0
        if tag == "br":
            pending_newlines += 1
        elif tag == "li":
            pending_newlines = max(pending_newlines, 1)
        elif tag in _PARAGRAPH_TAGS:
            pending_newlines = max(pending_newlines, 2)
    return unescape("".join(parts))


def unescape(text: str) -> str:
    """HTML entities decoded, as :func:`html.unescape` does, but never raising.

    A decimal character reference too long to be a character becomes U+FFFD, as HTML says
    every number past U+10FFFF does.
    """
    if "&" not in text:
        return text
    return html.unescape(_LONG_DECIMAL_REFERENCE.sub(_short_reference, text))


def _short_reference(reference: re.Match[str]) -> str:
    digits = reference[1].lstrip("0")
    return "\ufffd" if len(digits) > _LARGEST_CODE_POINT_DIGITS else f"&#{digits or '0'};"


def _text_and_tags(markup: str) -> Iterator[tuple[str, str | None]]:
    """(text, tag) pairs in document order: the text before each tag and the tag's lower-case
    name ("" for a comment), then the text after the last tag with None.

    The scan never goes back.  Once a tag's quotes run to the end of the text, the rest is
    malformed and a tag ends at its first ">"; once a ``<!--`` finds no ``-->``, no later one
    will.  A ``<`` with no ``>`` after it, and a ``<!--`` with no ``-->``, are text.
    """
    text_start = search_from = 0
    quotes_close = comments_close = True
    while (start := _MARKUP_START.search(markup, search_from)) is not None:
        name = start[1]
        if name is None:
            close = markup.find("-->", start.end()) if comments_close else -1
            if close < 0:
                comments_close = False
                search_from = start.end()
                continue
            end, name = close + 3, ""
        elif quotes_close and (rest := _TAG_REST.match(markup, start.end())):
            end = rest.end()
        else:
            quotes_close = False
            end = markup.find(">", start.end()) + 1
            if not end:
                break  # no ">" anywhere after: no tag can close, the rest is text
        yield markup[text_start : start.start()], name.lower()
        text_start = search_from = end
    yield markup[text_start:], None
