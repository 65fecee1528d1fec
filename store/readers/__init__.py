"""Read a discussion thread, in any supported format, into comment records.

Every reader returns records in reading order (depth first for reply trees) and keeps every
record, repeats included: folding them is the ingest's job.  Every problem with the input is a
one-line :class:`ThreadmarkError` that names the file.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from store.errors import ThreadmarkError
from store.readers import tabular, text
from store.readers.decode import decode
from store.readers.sniff import JSON_FORMATS, load_as, sniff
from store.records import ParsedThread

FORMATS = ("text", "reddit", "lemmy", "hn", "mastodon", "csv", "jsonl", "threadmark")
SPLITS = text.SPLITS

__all__ = ["FORMATS", "SPLITS", "read_bytes", "read_thread"]


def read_thread(path: Path, format: str = "auto", *, split: str = "lines") -> ParsedThread:
    """Read the thread in the file at ``path`` (see :func:`read_bytes`)."""
    if path.is_dir():
        raise ThreadmarkError(f"{path} is a directory, not a thread")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ThreadmarkError(f"{path}: no such file") from None
    except OSError as error:
        raise ThreadmarkError(f"{path}: cannot read ({error.strerror})") from None
    return read_bytes(data, str(path), format, split=split)


def read_bytes(
    data: bytes, name: str, format: str = "auto", *, split: str = "lines"
) -> ParsedThread:
    """Read a thread from a file's bytes; ``name`` (the file name) helps sniff the format.

    ``format`` is "auto" or one of :data:`FORMATS`; ``split`` ("lines" or "paragraphs") says
    where one plain-text comment ends and the next begins.
    """
    if format != "auto" and format not in FORMATS:
        raise ThreadmarkError(f"{name}: unknown format {format!r} (auto, {', '.join(FORMATS)})")
    if split not in SPLITS:
        raise ThreadmarkError(f"{name}: unknown split {split!r} ({', '.join(SPLITS)})")
    content = decode(data, name)
    if not content or content.isspace():
        raise ThreadmarkError(f"{name}: no comments (the file is empty)")
    with _collector_paused():
        thread = _read(content, name, format, split)
    if not thread.records:
        raise ThreadmarkError(f"{name}: no comments")
    for record in thread.records:
        if "\0" in record.text:  # NUL ends strings in C, SQLite tools and terminals
            record.text = record.text.replace("\0", "\ufffd")
    return thread


def _read(content: str, name: str, format: str, split: str) -> ParsedThread:
    if format == "auto":
        format, data = sniff(content, name)
    elif format in JSON_FORMATS:
        data = load_as(content, name, format)
    if format == "text":
        return text.read(content, split)
    if format == "csv":
        return tabular.read_csv(content, name)
    if format == "jsonl":
        return tabular.read_jsonl(content, name)
    return JSON_FORMATS[format].read(data)


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
