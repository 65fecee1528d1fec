"""Which format a file is in, decided from its name and its content together.

- A name with a format's suffix (``.csv``, ``.jsonl``...) is that format, by name alone.
- ``.json`` must parse, and its shape decides the platform; otherwise it is an error, since
  guessing "plain text" would import broken JSON as one huge comment.
- Anything else (``.txt``, no extension) is JSON only if it parses and has a known shape,
  so a ``.txt`` whose first comment starts with ``[`` or ``{`` stays plain text.
"""

from __future__ import annotations

import re

from store.errors import ThreadmarkError
from store.readers.registry import FORMATS_BY_NAME, IMPORT_FORMATS, JSON_FORMATS, ImportFormat
from store.readers.source import Source

_STARTS_LIKE_JSON = re.compile(r"\s*[\[{]")


def json_format(data: object) -> ImportFormat | None:
    """The JSON platform whose shape ``data`` has, or None."""
    return next((format for format in JSON_FORMATS if format.shape.matches(data)), None)


def sniff(source: Source) -> ImportFormat:
    """The file's format; for JSON, ``source.json`` is parsed here, once, for the reader too."""
    for format in IMPORT_FORMATS:
        if source.suffix in format.suffixes:
            return format
    if source.suffix == ".json":
        format = json_format(source.json())
        if format is None:
            raise ThreadmarkError(
                f"{source.name}: JSON of no known thread shape (expected {_shapes()})"
            )
        return format
    if _STARTS_LIKE_JSON.match(source.text):
        try:
            format = json_format(source.json())
        except ThreadmarkError:
            format = None
        if format is not None:
            return format
    return FORMATS_BY_NAME["text"]


def _shapes() -> str:
    """Every JSON format with the shape its reader expects, for the message that none fits."""
    return "; ".join(f"{format.name}: {format.shape.SHAPE}" for format in JSON_FORMATS)
