"""A file being read: its bytes and name, decoded and parsed at most once, as formats ask.

Sniffing a format may need the text (does it look like JSON?) or the parsed JSON (whose shape
is it?), and the chosen reader needs the same again; a :class:`Source` works each out on the
first request and keeps it, so a 100 MB file is decoded and parsed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import PurePath
from typing import TypeVar

from store.errors import ThreadmarkError
from store.readers.common import split_lines
from store.readers.decode import SAMPLE, Decoded, NotUTF8, decode, load_json, utf8_lines

_UNPARSED = object()
Read = TypeVar("Read")
Progress = Callable[[str, int, int], None]  # (stage, done, total), as store.dedup reports


class Source:
    def __init__(
        self,
        data: bytes,
        name: str,
        encoding: str | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.data = data
        self.name = name
        self.encoding = encoding
        self.progress = progress
        self._json: object = _UNPARSED

    @property
    def suffix(self) -> str:
        return PurePath(self.name).suffix.lower()

    @property
    def head(self) -> bytes:
        """The first bytes, what a format can be told by without reading it all."""
        return self.data[:SAMPLE]

    @cached_property
    def decoded(self) -> Decoded:
        decoded = decode(self.data, self.name, self.encoding)
        if not decoded.text or decoded.text.isspace():
            raise ThreadmarkError(f"{self.name}: no comments (the file is empty)")
        return decoded

    @property
    def text(self) -> str:
        return self.decoded.text

    @property
    def warning(self) -> str | None:
        """What decoding had to guess or replace, if the file was decoded whole."""
        return self.__dict__["decoded"].warning if "decoded" in self.__dict__ else None

    def read_lines(self, read: Callable[[Iterable[str]], Read]) -> Read:
        """``read`` run over the file's lines (:func:`~store.readers.common.split_lines`).

        A plain UTF-8 file is decoded a line at a time as ``read`` takes them, so a 300 MB
        file's text is never held whole; should a line turn out not to be UTF-8, ``read``
        starts again on the file decoded whole (with the encoding guessed, and a warning).
        """
        lines = utf8_lines(self.data, self.progress) if self.encoding is None else None
        if lines is not None:
            try:
                return read(lines)
            except NotUTF8:
                pass
        return read(split_lines(self.text))

    def json(self, expected: str | None = None) -> object:
        """The file parsed as JSON, or a ThreadmarkError saying where it is not (``expected``
        names the format the user asked for, for that message)."""
        if self._json is _UNPARSED:
            self._json = load_json(self.text, self.name, expected=expected)
        return self._json
