"""CSV and JSON Lines: one comment per row, each column found by any of its usual names."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import PurePath

from store.errors import ThreadmarkError
from store.readers.common import as_id, as_text, is_tombstone_text, iso_utc
from store.readers.decode import load_json
from store.records import CommentRecord, ParsedThread

# For each field, the column names that hold it, the first present winning.
COLUMNS = {
    "platform_id": ("id", "comment_id", "name"),
    "parent_id": ("parent", "parent_id", "in_reply_to_id"),
    "author": ("author", "user", "username", "by"),
    "created_at": ("created", "created_at", "created_utc", "time", "timestamp", "date"),
    "text": ("text", "body", "content", "comment", "message"),
}
# A megabyte-long comment is legitimate; csv's default limit (128 KiB per field) is not.
_FIELD_SIZE_LIMIT = 2**31 - 1

Row = dict[str, object]
Columns = dict[str, str | None]  # field -> the column holding it in this row, if any


def read_csv(content: str, name: str) -> ParsedThread:
    """A CSV (or TSV) with a header row; only a text column is required."""
    csv.field_size_limit(_FIELD_SIZE_LIMIT)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=_delimiter(content, name))
    try:
        header = [column.strip().casefold() for column in next(reader, [])]
        columns = _columns(header)
        if header and columns["text"] is None:
            raise ThreadmarkError(f"{name}: no text column (one of {', '.join(COLUMNS['text'])})")
        rows = [dict(zip(header, row, strict=False)) for row in reader if any(row)]
    except csv.Error as error:
        message = f"{name}: malformed CSV at line {reader.line_num} ({error})"
        raise ThreadmarkError(message) from None
    return _thread("csv", rows, lambda row: columns)


def read_jsonl(content: str, name: str) -> ParsedThread:
    """JSON Lines: one object per non-blank line, with the same names as CSV columns."""
    rows = list(_json_objects(content, name))
    layouts: dict[tuple[str, ...], Columns] = {}

    def columns_of(row: Row) -> Columns:
        keys = tuple(row)
        if keys not in layouts:
            layouts[keys] = _columns(keys)
        return layouts[keys]

    if rows and all(columns["text"] is None for columns in map(columns_of, rows)):
        raise ThreadmarkError(f"{name}: no text field (one of {', '.join(COLUMNS['text'])})")
    return _thread("jsonl", rows, columns_of)


def _json_objects(content: str, name: str) -> Iterator[Row]:
    for number, line in enumerate(content.split("\n"), start=1):
        if not line.strip():
            continue
        row = load_json(line, name, first_line=number)
        if not isinstance(row, dict):
            raise ThreadmarkError(f"{name}: line {number} is not a JSON object")
        yield {str(key).strip().casefold(): value for key, value in row.items()}


def _delimiter(content: str, name: str) -> str:
    """Tab for ``.tsv``; otherwise whichever of comma, tab, semicolon the header uses most."""
    if PurePath(name).suffix.lower() == ".tsv":
        return "\t"
    end = content.find("\n")
    header = content[: end if end >= 0 else len(content)]
    return max(",\t;", key=header.count)


def _columns(keys: Iterable[str]) -> Columns:
    present = set(keys)
    return {
        field: next((alias for alias in aliases if alias in present), None)
        for field, aliases in COLUMNS.items()
    }


def _scalar(value: object) -> str | None:
    """A cell as a string: JSON Lines may hold numbers where CSV holds digits."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return as_text(value)


def _thread(format: str, rows: list[Row], columns_of: Callable[[Row], Columns]) -> ParsedThread:
    records = []
    for row in rows:
        fields = {field: row[column] for field, column in columns_of(row).items() if column in row}
        text = _scalar(fields.get("text"))
        records.append(
            CommentRecord(
                text=text or "",
                platform_id=as_id(_scalar(fields.get("platform_id"))),
                parent_id=as_id(_scalar(fields.get("parent_id"))),
                author=as_text(fields.get("author")) or None,
                created_at=iso_utc(fields.get("created_at")),
                is_tombstone=is_tombstone_text(text),
            )
        )
    title = next((row["title"] for row in rows if as_text(row.get("title"))), None)
    return ParsedThread(format=format, records=records, title=title)
