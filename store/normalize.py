"""Text normalisation for duplicate folding.

Two comments count as the same text when they differ only in things a reader does not see as
a difference: Unicode compatibility forms, case, typographic quotes and dashes, invisible
characters and whitespace.  Quoted lines (``> ...``) are kept apart, because a reply should be
compared on its own words and not on the words it quotes.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

# Typographic punctuation that people (and their phones) swap freely for the ASCII forms, and
# invisible characters, which change no word of the text: zero-width space and joiners, word
# joiner, byte-order mark, soft hyphen, and the bidi marks, embeddings, overrides and isolates.
_TO_ASCII = {
    "\u2018": "'",  # ‘
    "\u2019": "'",  # ’
    "\u201a": "'",  # ‚
    "\u201b": "'",  # ‛
    "\u2032": "'",  # ′
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "\u201f": '"',  # ‟
    "\u2033": '"',  # ″
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
    "\u2026": "...",  # … (NFKC already does this; kept so the table says it all)
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f", ""),
    **dict.fromkeys(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]), ""),
}
# One regular expression pass is much faster than str.translate with a dict on non-ASCII text.
_NOT_ASCII_PUNCTUATION = re.compile("[" + "".join(_TO_ASCII) + "]")

# A quoted line: optional spaces, then one or more ">" markers (nested quotes, "> >" too).
_QUOTE_MARKER = re.compile(r"^\s*(?:>\s*)+")
# The characters that normalise to a ">" (NFKC turns the small and the fullwidth form into
# it): a text with none of them has no quote, and is known so without being normalised.
GREATER_THAN_FORMS = (">", "\ufe65", "\uff1e")


class Normalised(NamedTuple):
    """A comment's own words and the words it quotes, each normalised and whitespace-collapsed."""

    own: str
    quoted: str


def normalise(text: str) -> Normalised:
    """Normalise ``text`` for comparison and set its ``>`` quoted lines apart.

    NFKC, casefold, typographic quotes, dashes and ellipsis to ASCII, invisible characters
    dropped, runs of whitespace collapsed to one space.  Lines starting with ``>`` (after
    optional spaces) go to ``quoted``, joined with a space, marker removed.
    """
    if text.isascii():  # the common case, and NFKC leaves ASCII as it is
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKC", text).casefold()
        text = _NOT_ASCII_PUNCTUATION.sub(lambda match: _TO_ASCII[match[0]], text)
    if ">" not in text:  # the common case: no quote to set apart
        return Normalised(_collapse(text), "")
    own_lines, quoted_lines = [], []
    for line in text.splitlines():
        marker = _QUOTE_MARKER.match(line)
        if marker:
            quoted_lines.append(line[marker.end() :])
        else:
            own_lines.append(line)
    return Normalised(_collapse(" ".join(own_lines)), _collapse(" ".join(quoted_lines)))


def may_quote(text: str) -> bool:
    """Whether ``text`` may have quoted lines: cheap, and never False for one that has."""
    return any(form in text for form in GREATER_THAN_FORMS)


def _collapse(text: str) -> str:
    """Collapse every run of whitespace (any Unicode space or line break) to a single space."""
    return " ".join(text.split())
