"""Read a discussion thread, in any supported format, into comment records.

Every reader returns records in reading order (depth first for reply trees) and keeps every
record, repeats included: folding them is the ingest's job.  Every problem with the input is a
one-line :class:`ThreadmarkError` that names the file; what was read but not as given (a
guessed encoding, a time out of range) is a one-line note in :attr:`ParsedThread.warnings`.
The formats are :data:`~store.readers.registry.IMPORT_FORMATS`.
"""

from __future__ import annotations

from store.collector import collector_paused
from store.errors import ThreadmarkError
from store.readers import text
from store.readers.registry import FORMATS_BY_NAME, IMPORT_FORMATS, ImportFormat
from store.readers.sniff import sniff
from store.readers.source import Progress, Source
from store.records import ParsedThread, ReadOptions

FORMATS = tuple(format.name for format in IMPORT_FORMATS)
SPLITS = text.SPLITS

__all__ = ["FORMATS", "IMPORT_FORMATS", "SPLITS", "ImportFormat", "ReadOptions", "read_bytes"]


def read_bytes(
    data: bytes,
    name: str,
    format: str = "auto",
    options: ReadOptions | None = None,
    progress: Progress | None = None,
) -> ParsedThread:
    """Read a thread from a file's bytes; ``name`` (the file name) helps sniff the format.

    ``format`` is "auto" or one of :data:`FORMATS`; ``options`` say what sniffing cannot
    (see :class:`ReadOptions`).  ``progress("read", bytes done, bytes)`` is called as a
    format read line by line goes; an exception it raises stops the read.
    """
    options = options or ReadOptions()
    if format != "auto" and format not in FORMATS_BY_NAME:
        raise ThreadmarkError(f"{name}: unknown format {format!r} (auto, {', '.join(FORMATS)})")
    if options.split not in SPLITS:
        raise ThreadmarkError(f"{name}: unknown split {options.split!r} ({', '.join(SPLITS)})")
    source = Source(data, name, options.encoding, progress)
    with collector_paused():
        reader = sniff(source) if format == "auto" else FORMATS_BY_NAME[format]
        thread = reader.read(source, options)
    if not thread.records:
        raise ThreadmarkError(f"{name}: no comments")
    if source.warning:
        thread.warnings.insert(0, source.warning)
    for record in thread.records:
        if "\0" in record.text:  # NUL ends strings in C, SQLite tools and terminals
            record.text = record.text.replace("\0", "\ufffd")
    return thread
