"""Comment text made inert for the screen: no escape sequence, control or bidi character survives.

Rich and Textual only interpret markup when asked to, so the danger is the characters
themselves: ESC starts terminal sequences (cursor moves, OSC 52 clipboard writes), other
controls move the cursor or ring the bell, bidi overrides reorder what the reader sees, and
zero-width characters hide text.  Each is swapped for a visible stand-in, on the reader's
screen and wherever the command line writes to a terminal.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from typing import TextIO

from rich.cells import cell_len, set_cell_size

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
# A terminal keeps tabs and line ends: a carriage return alone would overwrite the line.
_TERMINAL_STAND_INS = {
    chr(code): shown for code, shown in _TRANSLATION.items() if code not in (9, 10)
}
_TERMINAL_LIVE = re.compile(
    "\r(?!\n)|[" + re.escape("".join(ch for ch in _TERMINAL_STAND_INS if ch != "\r")) + "]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
WORD_CUT_SLACK = 6  # cells given up, at most, so that a cut falls between words


def inert(text: str, *, multiline: bool = False) -> str:
    """``text`` with every dangerous character replaced by a visible placeholder.

    With ``multiline`` newlines and tabs are kept (as a line break and spaces) for a wrapped
    block of text; otherwise a newline shows as ␊ so a list row stays one line.
    """
    if multiline:
        text = text.replace("\r\n", "\n").translate(_BLOCK_TABLE)
    else:
        text = text.translate(_LINE_TABLE)
    return _without_invisibles(text)


def inert_block_with_offsets(text: str) -> tuple[str, list[int]]:
    """``inert(text, multiline=True)``, and where each position of ``text`` went in it.

    ``offsets[i]`` is where ``text[i]`` starts in the shown text (``offsets[len(text)]`` is
    its end), so a range of a comment, a segment, is a range on screen, and a boundary never
    falls inside a placeholder: ``⟨ZWSP⟩`` is marked whole or not at all.
    """
    pieces: list[str] = []
    offsets: list[int] = []
    shown = 0
    for index, ch in enumerate(text):
        offsets.append(shown)
        if " " <= ch <= "~" or ch == "\n":  # printable ASCII, kept as it is
            piece = ch
        elif ch == "\r" and text[index + 1 : index + 2] == "\n":
            continue  # "\r\n" is one line end, which the "\n" shows
        else:
            piece = inert(ch, multiline=True)
        pieces.append(piece)
        shown += len(piece)
    offsets.append(shown)
    return "".join(pieces), offsets


def for_terminal(text: str) -> str:
    """``text`` as ``less`` would show it: every control a visible stand-in but the line ends.

    Unlike :func:`inert` the text is otherwise exactly as written (tabs, "\\r\\n" and "\\n"
    line ends), so an export printed to a terminal reads like the file it would have been;
    a carriage return on its own, which would overwrite the line, shows as ␍.
    """
    return _without_invisibles(_TERMINAL_LIVE.sub(lambda live: _TERMINAL_STAND_INS[live[0]], text))


class TerminalWriter:
    """A text stream that passes everything written to it through :func:`for_terminal`.

    A carriage return that ends one write is held back until the next, so a "\\r\\n" split
    across two writes is still a line end; :meth:`flush` writes one left over.
    """

    def __init__(self, terminal: TextIO) -> None:
        self._terminal = terminal
        self._held = ""

    def write(self, text: str) -> int:
        pending = self._held + text
        self._held = "\r" if pending.endswith("\r") else ""
        self._terminal.write(for_terminal(pending[: len(pending) - len(self._held)]))
        return len(text)

    def flush(self) -> None:
        self._terminal.write(for_terminal(self._held))
        self._held = ""
        self._terminal.flush()


class TerminalBytes:
    """A binary stream of UTF-8 that a terminal is shown through :class:`TerminalWriter`.

    Bytes are decoded as they come: a character split across two writes is kept whole.
    """

    def __init__(self, terminal: TextIO) -> None:
        self._text = TerminalWriter(terminal)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def write(self, data: bytes) -> int:
        self._text.write(self._decoder.decode(data))
        return len(data)

    def flush(self) -> None:
        self._text.write(self._decoder.decode(b"", final=True))
        self._text.flush()


def _without_invisibles(text: str) -> str:
    """Lone surrogates as U+FFFD, and format characters (category Cf) as stand-ins."""
    if text.isascii():  # the common case, and neither can be ASCII
        return text
    text = _SURROGATE.sub("\ufffd", text)
    if any(ord(ch) > 0x7F and unicodedata.category(ch) == "Cf" for ch in text):
        text = "".join(_visible(ch) for ch in text)
    return text


def cut(text: str, cells: int) -> str:
    """``text`` in at most ``cells`` cells, ending with an ellipsis when something was cut.

    The cut falls between words when a word boundary is near the end.
    """
    if cell_len(text) <= cells:
        return text
    if cells <= 1:
        return "…"[:cells]
    kept = set_cell_size(text, cells - 1)
    space = kept.rfind(" ")
    if space > 0 and space > len(kept) - WORD_CUT_SLACK:
        kept = kept[:space]
    return kept.rstrip() + "…"


def one_line(text: str, limit: int) -> str:
    """The start of ``text`` on one line for a list row: whitespace runs folded, inert, cut."""
    head = " ".join(text[: limit * 2].split())
    return inert(head)[:limit]


def _visible(ch: str) -> str:
    """Invisible format characters (category Cf) not named above show as their code point."""
    if ord(ch) > 0x7F and unicodedata.category(ch) == "Cf":
        return f"\u27e8U+{ord(ch):04X}\u27e9"
    return ch
