"""A file being read: its bytes and name, decoded and parsed at most once, as formats ask.

Sniffing a format may need the text (does it look like JSON?) or the parsed JSON (whose shape
is it?), and the chosen reader needs the same again; a :class:`Source` works each out on the
first request and keeps it, so a 100 MB file is decoded and parsed once.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import PurePath

from store.errors import ThreadmarkError
from store.readers.decode import SAMPLE, Decoded, decode, load_json

_UNPARSED = object()


class Source:
    def __init__(self, data: bytes, name: str, encoding: str | None = None) -> None:
        self.data = data
        self.name = name
        self.encoding = encoding
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

    def json(self, expected: str | None = None) -> object:
        """The file parsed as JSON, or a ThreadmarkError saying where it is not (``expected``
        names the format the user asked for, for that message)."""
        if self._json is _UNPARSED:
            self._json = load_json(self.text, self.name, expected=expected)
        return self._json
