"""HTML comment bodies (Hacker News, Mastodon) to plain text, with no dependency.

A regular expression finds the tags because ``html.parser`` reads about 3 MB/s, too slow for a
100 MB thread.  Paragraphs become a blank line, ``<br>`` a newline, links their text; every
other tag is dropped.  Entities are decoded after the tags are gone, so an escaped
``&lt;b&gt;`` stays visible text.
"""

from __future__ import annotations

import html
import re

# A comment, or a tag with its name captured; quoted attribute values may hold ">".
_TAG = re.compile(
    r"<(?:!--.*?--|/?([a-zA-Z][a-zA-Z0-9]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.DOTALL
)
_PARAGRAPH_TAGS = frozenset({"p", "div", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4"})


def html_to_text(markup: str) -> str:
    """The text a reader sees in ``markup``; whitespace inside the text is kept as given.

    Breaks before the first text and after the last are dropped, and whitespace between
    block tags is layout, not text.
    """
    if "<" not in markup and "&" not in markup:
        return markup
    pieces = _TAG.split(markup)  # text, tag name, text, tag name, ..., text
    parts: list[str] = []
    pending_break = ""
    for index in range(0, len(pieces), 2):
        text = pieces[index]
        if text and not ((pending_break or not parts) and text.isspace()):
            if parts:
                parts.append(pending_break)
            parts.append(text)
            pending_break = ""
        tag = (pieces[index + 1] or "").lower() if index + 1 < len(pieces) else ""
        if tag == "br":
            pending_break += "\n"
        elif tag == "li":
            pending_break = pending_break or "\n"
        elif tag in _PARAGRAPH_TAGS:
            pending_break = pending_break.ljust(2, "\n")
    return html.unescape("".join(parts))
