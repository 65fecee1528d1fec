"""Read a discussion thread, in any supported format, into comment records.

Every reader returns records in reading order (depth first for reply trees) and keeps every
record, repeats included: folding them is the ingest's job.  Every problem with the input is a
one-line :class:`ThreadmarkError` that names the file; what was read but not as given (a
guessed encoding, a time out of range) is a one-line note in :attr:`ParsedThread.warnings`.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from store.errors import ThreadmarkError
from store.readers import tabular, text
from store.readers.common import require_text
from store.readers.decode import decode
from store.readers.sniff import JSON_FORMATS, load_as, sniff
from store.records import ParsedThread, ReadOptions

FORMATS = ("text", "reddit", "lemmy", "hn", "mastodon", "csv", "jsonl", "threadmark")
SPLITS = text.SPLITS

__all__ = ["FORMATS", "SPLITS", "ReadOptions", "read_bytes"]


def read_bytes(
    data: bytes, name: str, format: str = "auto", options: ReadOptions | None = None
) -> ParsedThread:
    """Read a thread from a file's bytes; ``name`` (the file name) helps sniff the format.

    ``format`` is "auto" or one of :data:`FORMATS`; ``options`` say what sniffing cannot
    (see :class:`ReadOptions`).
    """
    options = options or ReadOptions()
    if format != "auto" and format not in FORMATS:
        raise ThreadmarkError(f"{name}: unknown format {format!r} (auto, {', '.join(FORMATS)})")
    if options.split not in SPLITS:
        raise ThreadmarkError(f"{name}: unknown split {options.split!r} ({', '.join(SPLITS)})")
    decoded = decode(data, name, options.encoding)
    content = decoded.text
    if not content or content.isspace():
        raise ThreadmarkError(f"{name}: no comments (the file is empty)")
    with _collector_paused():
        thread = _read(content, name, format, options)
    if not thread.records:
        raise ThreadmarkError(f"{name}: no comments")
    if decoded.warning:
        thread.warnings.insert(0, decoded.warning)
    for record in thread.records:
        if "\0" in record.text:  # NUL ends strings in C, SQLite tools and terminals
            record.text = record.text.replace("\0", "\ufffd")
    return thread


def _read(content: str, name: str, format: str, options: ReadOptions) -> ParsedThread:
    if format == "auto":
        format, data = sniff(content, name)
    elif format in JSON_FORMATS:
        data = load_as(content, name, format)
    if format == "text":
        return text.read(content, options.split)
    if format == "csv":
        return tabular.read_csv(content, name, options.columns)
    if format == "jsonl":
        return tabular.read_jsonl(content, name, options.columns)
    reader = JSON_FORMATS[format]
    thread = reader.read(data)
    require_text(thread.records, name, format, reader.TEXT_FIELD)
    return thread


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a thread is read.

    Parsed JSON and records hold no reference cycles, but as millions of them are made the
    collector rescans them all again and again: pausing it more than halves a 100 MB read.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
