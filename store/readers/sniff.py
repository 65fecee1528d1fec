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

# Tried in order: a threadmark export also has "comments", so it goes before Lemmy.
JSON_FORMATS: dict[str, ModuleType] = {
    "threadmark": native,
    "lemmy": lemmy,
    "mastodon": mastodon,
    "reddit": reddit,
    "hn": hn,
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
            known = ", ".join(JSON_FORMATS)
            raise ThreadmarkError(f"{name}: JSON of no known thread shape (expected {known})")
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
        raise ThreadmarkError(f"{name}: not a {format} thread ({found})")
    return data
