"""Comment text made inert for the screen: no escape sequence, control or bidi character survives.

Rich and Textual only interpret markup when asked to, so the danger is the characters
themselves: ESC starts terminal sequences (cursor moves, OSC 52 clipboard writes), other
controls move the cursor or ring the bell, bidi overrides reorder what the reader sees, and
zero-width characters hide text.  Each is swapped for a visible stand-in.
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls show as their Unicode "control pictures" (ESC as ␛); DEL as ␡.
_C0 = {code: chr(0x2400 + code) for code in range(0x20)}
_C0[0x7F] = "\u2421"
_INVISIBLE_NAMES = {
    0x061C: "ALM",
    0x200B: "ZWSP",
    0x200C: "ZWNJ",
    0x200D: "ZWJ",
    0x200E: "LRM",
    0x200F: "RLM",
    0x202A: "LRE",
    0x202B: "RLE",
    0x202C: "PDF",
    0x202D: "LRO",
    0x202E: "RLO",
    0x2060: "WJ",
    0x2066: "LRI",
    0x2067: "RLI",
    0x2068: "FSI",
    0x2069: "PDI",
    0xFEFF: "BOM",
}
_TRANSLATION = {
    **_C0,
    **{code: f"\u27e8{name}\u27e9" for code, name in _INVISIBLE_NAMES.items()},
    **{code: f"\u27e8U+{code:04X}\u27e9" for code in range(0x80, 0xA0)},
}
_LINE_TABLE = _TRANSLATION
_BLOCK_TABLE = {**_TRANSLATION, ord("\n"): "\n", ord("\t"): "    "}
_SURROGATE = re.compile("[\ud800-\udfff]")


def inert(text: str, *, multiline: bool = False) -> str:
    """``text`` with every dangerous character replaced by a visible placeholder.

    With ``multiline`` newlines and tabs are kept (as a line break and spaces) for a wrapped
    block of text; otherwise a newline shows as ␊ so a list row stays one line.
    """
    if multiline:
        text = text.replace("\r\n", "\n").translate(_BLOCK_TABLE)
    else:
        text = text.translate(_LINE_TABLE)
    text = _SURROGATE.sub("\ufffd", text)
    if any(ord(ch) > 0x7F and unicodedata.category(ch) == "Cf" for ch in text):
        text = "".join(_visible(ch) for ch in text)
    return text


def one_line(text: str, limit: int) -> str:
    """The start of ``text`` on one line for a list row: whitespace runs folded, inert, cut."""
    head = " ".join(text[: limit * 2].split())
    return inert(head)[:limit]


def _visible(ch: str) -> str:
    """Invisible format characters (category Cf) not named above show as their code point."""
    if ord(ch) > 0x7F and unicodedata.category(ch) == "Cf":
        return f"\u27e8U+{ord(ch):04X}\u27e9"
    return ch
