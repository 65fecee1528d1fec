"""Every source format threadmark reads, one record each: the one list that ``--format``, the
sniffing, ``--help`` and the contract tests are all driven by.

A format is told by its file name (``suffixes``), or, for the JSON platforms, by the shape of
the parsed JSON (``shape``); plain text is what is left.  Each reads a :class:`Source`, which
decodes and parses the bytes at most once whoever asks first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from store.errors import ThreadmarkError
from store.readers import hn, lemmy, mastodon, native, reddit, tabular, text
from store.readers.common import require_text
from store.readers.source import Source
from store.records import ParsedThread, ReadOptions


@dataclass(frozen=True, slots=True)
class ImportFormat:
    name: str
    description: str  # one line, for --help
    read: Callable[[Source, ReadOptions], ParsedThread]
    suffixes: tuple[str, ...] = ()  # a file with one of these names is in this format
    shape: ModuleType | None = None  # a JSON platform's reader (SHAPE, matches, read)


def _json_format(name: str, reader: ModuleType, description: str) -> ImportFormat:
    """A JSON platform: its shape is checked, and a file with none of its text is refused."""

    def read(source: Source, options: ReadOptions) -> ParsedThread:
        data = source.json(expected=name)
        if not reader.matches(data):
            found = next((f.name for f in JSON_FORMATS if f.shape.matches(data)), None)
            why = f"it looks like {found}" if found else "no known thread shape"
            raise ThreadmarkError(
                f"{source.name}: not a {name} thread ({why}; {name} is {reader.SHAPE})"
            )
        thread = reader.read(data)
        require_text(thread.records, source.name, name, reader.TEXT_FIELD)
        return thread

    return ImportFormat(name, description, read, shape=reader)


IMPORT_FORMATS: tuple[ImportFormat, ...] = (
    ImportFormat(
        "text",
        "plain text, one comment per line (or per paragraph, with --split)",
        lambda source, options: text.read(source.text, options.split),
    ),
    _json_format("reddit", reddit, "a Reddit thread's JSON (the .json of its page)"),
    _json_format("lemmy", lemmy, "a Lemmy or PieFed comment list (its API's JSON)"),
    _json_format("hn", hn, "Hacker News: Algolia, Firebase or node-hnapi JSON"),
    _json_format("mastodon", mastodon, "a Mastodon status context (its API's JSON)"),
    ImportFormat(
        "csv",
        "CSV or TSV, one comment per row, with or without a header",
        lambda source, options: tabular.read_csv(source.text, source.name, options.columns),
        suffixes=(".csv", ".tsv"),
    ),
    ImportFormat(
        "jsonl",
        "JSON Lines, one comment object per line",
        lambda source, options: source.read_lines(
            lambda lines: tabular.read_jsonl(lines, source.name, options.columns)
        ),
        suffixes=(".jsonl", ".ndjson"),
    ),
    _json_format("threadmark", native, "threadmark's own JSON export, restored with its codes"),
)
FORMATS_BY_NAME = {format.name: format for format in IMPORT_FORMATS}
# Tried in this order on parsed JSON: a threadmark export and a node-hnapi item with no
# comments also have a "comments" list, so both go before Lemmy.
JSON_FORMATS = tuple(
    FORMATS_BY_NAME[name] for name in ("threadmark", "hn", "lemmy", "mastodon", "reddit")
)
