"""Which format a file is in, decided from its name and its content together.

- ``.csv``/``.tsv`` are CSV and ``.jsonl``/``.ndjson`` JSON Lines, by name alone.
- ``.json`` must parse, and its shape decides the platform; otherwise it is an error, since
  guessing "plain text" would import broken JSON as one huge comment.
- Anything else (``.txt``, no extension) is JSON only if it parses and has a known shape,
  so a ``.txt`` whose first comment starts with ``[`` or ``{`` stays plain text.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from types import ModuleType

from store.errors import ThreadmarkError
from store.readers import hn, lemmy, mastodon, native, reddit
from store.readers.decode import load_json

# Each JSON format's reader: ``SHAPE`` says what it reads, ``matches`` tells it, ``read`` reads
# it.  Tried in order: a threadmark export and a node-hnapi item with no comments also have
# a "comments" list, so both go before Lemmy.
JSON_FORMATS: dict[str, ModuleType] = {
    "threadmark": native,
    "hn": hn,
    "lemmy": lemmy,
    "mastodon": mastodon,
    "reddit": reddit,
}
FORMATS_BY_SUFFIX = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_STARTS_LIKE_JSON = re.compile(r"\s*[\[{]")


def json_shape(data: object) -> str | None:
    """The JSON format whose shape ``data`` has, or None."""
    return next((format for format, module in JSON_FORMATS.items() if module.matches(data)), None)


def sniff(content: str, name: str) -> tuple[str, object]:
    """The file's format, and its parsed JSON when it is JSON (so it is parsed only once)."""
    suffix = PurePath(name).suffix.lower()
    if suffix in FORMATS_BY_SUFFIX:
        return FORMATS_BY_SUFFIX[suffix], None
    if suffix == ".json":
        data = load_json(content, name)
        shape = json_shape(data)
        if shape is None:
            raise ThreadmarkError(f"{name}: JSON of no known thread shape (expected {_shapes()})")
        return shape, data
    if _STARTS_LIKE_JSON.match(content):
        try:
            data = load_json(content, name)
        except ThreadmarkError:
            return "text", None
        shape = json_shape(data)
        if shape is not None:
            return shape, data
    return "text", None


def load_as(content: str, name: str, format: str) -> object:
    """Parse a file the user said is ``format``, and refuse it if it has another shape."""
    data = load_json(content, name, expected=format)
    shape = json_shape(data)
    if shape != format:
        found = f"it looks like {shape}" if shape else "no known thread shape"
        raise ThreadmarkError(
            f"{name}: not a {format} thread ({found}; {format} is {JSON_FORMATS[format].SHAPE})"
        )
    return data


def _shapes() -> str:
    """Every JSON format with the shape its reader expects, for the message that none fits."""
    return "; ".join(f"{format}: {module.SHAPE}" for format, module in JSON_FORMATS.items())
