"""A comment's sentences: the numbered ranges (``#4.2``) that segments are tagged and linked by.

A sentence is a ``[start, end)`` range of code points in the comment's text.  The layout of the
comment decides first: a blank line ends a paragraph, each run of ``>`` quoted lines (one quote
depth) is a unit of its own, and a list item (``- ``, ``* ``, ``+ ``, ``1. ``, ``1) `` at a
line start) starts a new unit.  Inside each unit sentencex finds the sentence breaks (rules
for abbreviations, numbers, URLs, ellipses and many scripts' full stops, with no model).  Every
range is trimmed of whitespace, and together the ranges cover every character that is not
whitespace, so nothing a person might select is lost between two sentences.

The layout rules are applied around any splitter (:func:`sentences_with`), which is how the
benchmark compares splitters on equal terms.  Splitting is done lazily, when a comment is
shown or exported, and :func:`sentences_of` keeps recent results.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate, pairwise
from operator import itemgetter
from typing import NamedTuple

import sentencex

Span = tuple[int, int]
# A splitter takes one unit of text and yields the offsets at which its sentences start.
Splitter = Callable[[str], Iterable[int]]

# The language whose abbreviations sentencex knows; comments are mostly English, and its
# full stops for other scripts (。！？ and the like) apply in every language.
LANGUAGE = "en"
# The most characters sentencex is given at once (see _sentencex_starts).
WINDOW = 2_000

# The start of a line: optional quote markers (``>``, ``> >``, ``>>``), then an optional list
# item marker followed by a space or a tab.
_LINE_START = re.compile(r"(?P<quote>\s*>[\s>]*)?[ \t]*(?P<item>(?:[-*+•]|\d{1,9}[.)])(?=[ \t]))?")
# sentencex works on UTF-8 and refuses lone surrogates; one code point stands in for each.
_SURROGATE = re.compile("[\ud800-\udfff]")
# sentencex 1.0 takes the space before a full stop to be one byte: a capital, a Unicode space
# and a full stop ("A\u00a0.") make it panic.  Each such space goes to it as a plain space,
# one code point for one, so the offsets hold.
_UNICODE_SPACE = re.compile(r"[^\S\x00-\x7f]")
# Lines with their endings (only \n, \r\n and \r end a line, as in Markdown); a run of blank
# lines is taken as one.
_LINES = re.compile(r"[^\S\r\n]*[\r\n](?:\s*[\r\n])?|[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_NEXT_WORD = re.compile(r"\s*\S+")
_UP_TO_LAST_WORD = re.compile(r".*\s(?=\S)", re.DOTALL)


def sentences(text: str) -> list[Span]:
    """The sentences of ``text`` as ``[start, end)`` ranges, in order; none for blank text."""
    return sentences_with(text, _sentencex_starts)


def sentences_with(text: str, splitter: Splitter) -> list[Span]:
    """The sentences of ``text``, with ``splitter`` finding the breaks inside each unit."""
    cuts = []
    for offset, unit in _units(text):
        cuts.append(offset)
        cuts.extend(offset + cut for cut in _cuts(unit, splitter(unit)))
    return trimmed_pieces(text, cuts)


def _cuts(unit: str, starts: Iterable[int]) -> Iterable[int]:
    """Each sentence start moved back over the whitespace before it (and blanked markers).

    A splitter starts a sentence at its first word; a ``>`` or ``-`` before that word, blanked
    in the unit, belongs to the sentence that starts there, not to a piece of its own.
    """
    previous = 0
    for start in starts:
        if start > previous:
            previous += len(unit[previous:start].rstrip())
            yield previous


def _sentencex_starts(unit: str) -> Iterable[int]:
    """Where sentencex starts each sentence of ``unit``, at most WINDOW characters at a time.

    sentencex's pieces are the text, in order, so their lengths give the offsets.  It is
    quadratic in the quote characters it is given at once (a megabyte paragraph of inline code
    took 15 seconds), so a long unit goes a window at a time: a window's last sentence, which
    may run on past it, starts the next window, and a sentence longer than a whole window is
    cut before the window's last word.
    """
    if not unit.isascii():
        unit = _UNICODE_SPACE.sub(" ", _SURROGATE.sub("\ufffd", unit))
    start = 0
    while len(unit) - start > WINDOW:
        pieces = _segment(unit[start : start + WINDOW])
        starts = list(accumulate(map(len, pieces[:-1]), initial=start))
        if starts[-1] > start:
            yield from starts[:-1]
            start = starts[-1]
        else:  # one sentence fills the window
            yield start
            before_last_word = _UP_TO_LAST_WORD.match(unit, start, start + WINDOW)
            start = before_last_word.end() if before_last_word else start + WINDOW
    yield from accumulate(map(len, _segment(unit[start:])[:-1]), initial=start)


def _segment(text: str) -> list[str]:
    """sentencex's pieces of ``text``, or ``text`` whole if it panics on an input no one saw:
    a Rust panic is raised as a BaseException, which would take the reader down with it."""
    try:
        return sentencex.segment(LANGUAGE, text)
    except BaseException as error:
        if type(error).__name__ != "PanicException":
            raise
        return [text]


def _units(text: str) -> Iterable[tuple[int, str]]:
    """Cut ``text`` by its layout into ``(offset, unit)`` pairs, each unit its own sentences.

    A unit is a run of lines of one quote depth with no blank line (or empty quoted line after
    words) inside, and no list item after its first line.  Quote and list markers are blanked
    out in the unit (its length and offsets stay those of the text) so the splitter sees words.
    """
    unit_start, unit_lines, unit_has_words = 0, [], False
    depth, after_break = 0, False
    offset = 0
    for line in _LINES.findall(text):
        marker = _LINE_START.match(line)
        quote, item = marker["quote"], marker["item"]
        has_words = bool(item or line[marker.end() :].strip())
        if quote or has_words:
            line_depth = quote.count(">") if quote else 0
            if not unit_lines or after_break or line_depth != depth or item:
                if unit_lines:
                    yield unit_start, "".join(unit_lines)
                unit_start, unit_lines, unit_has_words, after_break = offset, [], False, False
            elif unit_has_words and not has_words:  # an empty quoted line ends a paragraph
                after_break = True
            depth = line_depth
            unit_has_words = unit_has_words or has_words
        else:  # a blank line ends a paragraph
            after_break = True
        if unit_lines or quote or has_words:
            unit_lines.append(_blank_markers(line, marker))
        offset += len(line)
    if unit_lines:
        yield unit_start, "".join(unit_lines)


def _blank_markers(line: str, marker: re.Match[str]) -> str:
    """``line`` with its quote and list markers turned into spaces, keeping every offset."""
    if not marker[0].strip():
        return line
    return marker[0].replace(">", " ").translate(_MARKS_TO_SPACES) + line[marker.end() :]


_MARKS_TO_SPACES = str.maketrans(dict.fromkeys("-*+•.)0123456789", " "))


def trimmed_pieces(text: str, cuts: list[int]) -> list[Span]:
    """The pieces of ``text`` between ``cuts``, each trimmed of whitespace, empty ones dropped."""
    spans = []
    for start, end in pairwise([*cuts, len(text)]):
        piece = text[start:end]
        kept = piece.strip()
        if kept:
            first = start + len(piece) - len(piece.lstrip())
            spans.append((first, first + len(kept)))
    return spans


class SentenceCache:
    """Texts split recently and their sentences, bounded in entries and in characters of text.

    Keyed by the text itself, so a text shown again, or the same words in another comment, is
    not split again, and no two texts can share an entry.  Safe to share between threads: the
    reader splits in workers.  A text longer than ``max_chars`` is split and not kept.
    """

    def __init__(self, max_entries: int = 10_000, max_chars: int = 2_000_000) -> None:
        self.max_entries = max_entries
        self.max_chars = max_chars
        self._spans: OrderedDict[str, tuple[Span, ...]] = OrderedDict()
        self._chars = 0  # the characters of the texts held
        self._lock = threading.Lock()

    def sentences(self, text: str) -> list[Span]:
        """:func:`sentences` of ``text``, from the cache when it was split recently."""
        with self._lock:
            spans = self._spans.get(text)
            if spans is not None:
                self._spans.move_to_end(text)
                return list(spans)
        found = sentences(text)  # outside the lock: other threads need not wait for this one
        if len(text) <= self.max_chars:
            with self._lock:
                if text not in self._spans:
                    self._spans[text] = tuple(found)
                    self._chars += len(text)
                    while len(self._spans) > self.max_entries or self._chars > self.max_chars:
                        evicted, _ = self._spans.popitem(last=False)
                        self._chars -= len(evicted)
        return found

    def __len__(self) -> int:
        return len(self._spans)

    @property
    def chars(self) -> int:
        """The characters of the texts held: never more than ``max_chars``."""
        return self._chars


_CACHE = SentenceCache()


def sentences_of(text: str) -> list[Span]:
    """:func:`sentences` of ``text``, kept in a process-wide cache for the reader and exports."""
    return _CACHE.sentences(text)


def sentence_number(spans: Sequence[Span], start: int, end: int) -> tuple[int, int] | None:
    """Which sentences ``[start, end)`` is exactly, as 1-based ``(first, last)``; else None.

    ``(2, 2)`` is sentence 2 (shown ``#4.2``), ``(2, 3)`` runs from the start of sentence 2 to
    the end of sentence 3; a range that starts or ends inside a sentence has no number.
    """
    first = bisect_left(spans, start, key=itemgetter(0))
    if first == len(spans) or spans[first][0] != start:
        return None
    last = bisect_left(spans, end, lo=first, key=itemgetter(1))
    if last == len(spans) or spans[last][1] != end:
        return None
    return first + 1, last + 1


class WordSteps(NamedTuple):
    """Where a selection's end goes one word back (``<``) and one word forward (``>``)."""

    back: int
    forward: int


def word_steps(text: str, start: int, end: int) -> WordSteps:
    """The ends one word back and one word forward of the selection ``[start, end)``.

    A word ends where whitespace (or the text) starts, so each step lands just after a word and
    the selection stays trimmed.  Back is the last word end after ``start`` and before ``end``;
    forward the first word end after ``end``.  A step that has nowhere to go (one word left, no
    word after) stays at ``end``.
    """
    if not 0 <= start < end <= len(text):
        raise ValueError(f"[{start}, {end}) is not a selection in a text of {len(text)}")
    head = text[start:end]
    if head[-1].isspace():
        kept = head.rstrip()
        back = start + len(kept) if kept else end
    else:
        before = head.rsplit(None, 1)  # the words before the last one, trailing space dropped
        back = start + len(before[0]) if len(before) == 2 else end
    following = _NEXT_WORD.match(text, end)
    return WordSteps(back, following.end() if following else end)
