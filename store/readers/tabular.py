"""CSV and JSON Lines: one comment per row, each field in the column the user chose or, failing
that, in the column with one of its usual names.

A CSV may have no header row: then the columns are known only by number, and the text is the
column whose cells are longest on average, unless the user says otherwise.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import PurePath

from store.errors import ThreadmarkError
from store.readers.common import (
    Times,
    as_id,
    as_text,
    is_tombstone_text,
    require_text,
)
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
TITLE_COLUMN = "title"
KNOWN_NAMES = frozenset({TITLE_COLUMN}.union(*COLUMNS.values()))
# A megabyte-long comment is legitimate; csv's default limit (128 KiB per field) is not.
_FIELD_SIZE_LIMIT = 2**31 - 1
# A header cell that is not a known name must look like a name: a short identifier, words
# joined by single spaces, dots or dashes ("Comment Text", "reply.to").
_IDENTIFIER = re.compile(r"[^\W\d]\w*(?:[ .-]\w+)*")
_IDENTIFIER_LENGTH = 40
_SNIFFED_ROWS = 21  # csv.Sniffer.has_header compares the first row with the next 20
_SNIFFED_CELL = 1000  # ... and is given no longer cells, so that it stays quick
_ROWS_TO_COMPARE = 2

Chosen = Mapping[str, str | int]  # field -> column name, or 1-based column number
Columns = dict[str, int | None]  # field (and "title") -> its column's index, if any
Row = dict[str, object]  # field (and "title") -> the row's value for it


def read_csv(content: str, name: str, chosen: Chosen | None = None) -> ParsedThread:
    """A CSV (or TSV), with a header row or without; a text column is all it needs.

    A header row is told from data by its cells (see :func:`_is_header`).  ``chosen`` names
    or numbers the column of any field, overriding the usual names.  With no column known to
    hold the text, the text is the column whose cells are longest, and a warning says which.
    """
    chosen = _checked(chosen or {}, name)
    rows = _csv_rows(content, name)
    if not rows:
        return ParsedThread(format="csv")
    warnings = []
    if _is_header(rows, chosen):
        header, rows = [cell.strip() for cell in rows[0]], rows[1:]
        width = len(header)
        columns = _header_columns([cell.casefold() for cell in header], chosen, name)
    else:
        header, width = None, max(map(len, rows))
        columns = _numbered_columns(chosen, width, name)
        warnings.append("no header row, so the first row is a comment")
    if columns["text"] is None:
        columns["text"] = _longest_column(rows, width)
        if width > 1:
            warnings.append(
                f"the text is {_column(columns['text'], header)}, whose cells are longest "
                "(--text-column overrides)"
            )
    present = [(field, index) for field, index in columns.items() if index is not None]
    fields = [{field: row[index] for field, index in present if index < len(row)} for row in rows]
    thread = _thread("csv", fields, name, _column(columns["text"], header))
    thread.warnings[:0] = warnings
    return thread


def read_jsonl(lines: Iterable[str], name: str, chosen: Chosen | None = None) -> ParsedThread:
    """JSON Lines: one object per non-blank line, with the same names as CSV columns.

    ``chosen`` names the key of any field; keys are matched case-insensitively.  Each line
    becomes its record as it is read, so no more than one parsed object is held at a time.
    """
    chosen = _checked(chosen or {}, name)
    # Rows mostly share one set of keys: each set is worked out once, as where each field is.
    layouts: dict[tuple[str, ...], list[tuple[str, int]]] = {}
    keys: set[str] = set()
    times, interned = Times(), {}
    records = []
    title = None
    for row in _json_objects(lines, name):
        layout = layouts.get(tuple(row))
        if layout is None:
            layout = layouts[tuple(row)] = _layout(tuple(row), chosen)
            keys.update(_folded(row))
        values = list(row.values())
        fields = {field: values[index] for field, index in layout}
        records.append(_record(fields, times, interned))
        if title is None and as_text(fields.get(TITLE_COLUMN)):
            title = fields[TITLE_COLUMN]
    for field, column in chosen.items():
        if isinstance(column, int):
            raise ThreadmarkError(
                f"{name}: JSON Lines fields have names, not numbers (column {column} for the "
                f"{field})"
            )
        if column not in keys:
            raise ThreadmarkError(f"{name}: no line has a field {column!r} for the {field}")
    text_keys = sorted({key for row_keys in layouts for key in _text_keys(row_keys, chosen)})
    if records and not text_keys:
        raise ThreadmarkError(f"{name}: no text field (one of {', '.join(COLUMNS['text'])})")
    require_text(records, name, "jsonl", "field " + " or ".join(map(repr, text_keys)))
    return ParsedThread(format="jsonl", records=records, title=title, warnings=times.warnings())


def _folded(keys: Iterable[str]) -> list[str]:
    """A line's keys as they are matched: trimmed and casefolded."""
    return [key.strip().casefold() for key in keys]


def _layout(keys: tuple[str, ...], chosen: dict[str, str | int]) -> list[tuple[str, int]]:
    """For a line with these keys, each field (and "title") present and the index of its value.

    A key that appears twice once casefolded ("Text" and "text") takes the later value.
    """
    index_of = {key: index for index, key in enumerate(_folded(keys))}
    fields = [*COLUMNS.items(), (TITLE_COLUMN, (TITLE_COLUMN,))]
    named = {field: chosen.get(field) or _aliased(index_of, aliases) for field, aliases in fields}
    return [(field, index_of[key]) for field, key in named.items() if key in index_of]


def _text_keys(keys: tuple[str, ...], chosen: dict[str, str | int]) -> list[str]:
    """The key that holds the text in a line with these keys, if any."""
    folded = _folded(keys)
    key = chosen.get("text") or _aliased(folded, COLUMNS["text"])
    return [key] if key else []


def _checked(chosen: Chosen, name: str) -> dict[str, str | int]:
    """The user's column choices, names casefolded; an unknown field or a bad number is an
    error."""
    checked: dict[str, str | int] = {}
    for field, column in chosen.items():
        if field not in COLUMNS:
            raise ThreadmarkError(
                f"{name}: no record field {field!r} to choose a column for ({', '.join(COLUMNS)})"
            )
        if isinstance(column, bool) or not isinstance(column, int | str):
            raise ThreadmarkError(f"{name}: the {field} column must be a name or a number")
        if isinstance(column, int) and column < 1:
            raise ThreadmarkError(f"{name}: columns are numbered from 1, not {column}")
        checked[field] = column.strip().casefold() if isinstance(column, str) else column
    return checked


def _csv_rows(content: str, name: str) -> list[list[str]]:
    """Every row that is not a blank line: a row of one empty quoted cell (``""``) is one.

    Strict parsing: a quote that is never closed would otherwise swallow the rest of the file.
    """
    csv.field_size_limit(_FIELD_SIZE_LIMIT)
    source = io.StringIO(content, newline="")
    reader = csv.reader(source, delimiter=_delimiter(content, name), strict=True)
    rows = []
    row_start = 1
    try:
        for row in reader:
            if row:
                rows.append(row)
            row_start = reader.line_num + 1
    except csv.Error as error:
        runs_on = (
            f", which runs on to line {reader.line_num}" if reader.line_num > row_start else ""
        )
        raise ThreadmarkError(
            f"{name}: malformed CSV in the row starting at line {row_start}{runs_on} ({error})"
        ) from None
    return rows


def _delimiter(content: str, name: str) -> str:
    """Tab for ``.tsv``; otherwise whichever of comma, tab, semicolon the first line uses most."""
    if PurePath(name).suffix.lower() == ".tsv":
        return "\t"
    end = content.find("\n")
    first_line = content[: end if end >= 0 else len(content)]
    return max(",\t;", key=first_line.count)


def _is_header(rows: list[list[str]], chosen: dict[str, str | int]) -> bool:
    """Whether the first row names the columns rather than holding a comment.

    It does if it holds a column the user chose by name.  Otherwise each of its cells must be
    empty or a name (a known one, or a short identifier), and it must be unlike the rows below:
    holding a name this reader knows, or, as ``csv.Sniffer`` judges, differing from them in
    type or length column by column.  The Sniffer needs rows to compare: with fewer than two
    of the first row's width below it, it would find every column "different".
    """
    first = [cell.strip().casefold() for cell in rows[0]]
    if any(isinstance(column, str) and column in first for column in chosen.values()):
        return True
    names = [cell for cell in first if cell]
    if not names or not all(map(_looks_like_a_name, names)):
        return False
    return any(cell in KNOWN_NAMES for cell in names) or _sniffer_sees_a_header(rows)


def _looks_like_a_name(cell: str) -> bool:
    return cell in KNOWN_NAMES or (
        len(cell) <= _IDENTIFIER_LENGTH and _IDENTIFIER.fullmatch(cell) is not None
    )


def _sniffer_sees_a_header(rows: list[list[str]]) -> bool:
    """``csv.Sniffer``'s vote on rows already parsed, rewritten as plain CSV for it to read."""
    header, *below = rows[:_SNIFFED_ROWS]
    comparable = [row for row in below if len(row) == len(header)]
    if len(comparable) < _ROWS_TO_COMPARE:
        return False
    sample = io.StringIO()
    csv.writer(sample).writerows(
        [cell[:_SNIFFED_CELL] for cell in row] for row in [header, *comparable]
    )
    return _KnownDialectSniffer().has_header(sample.getvalue())


class _KnownDialectSniffer(csv.Sniffer):
    """A Sniffer that votes on the header without guessing the dialect, which is known.

    (Its guess fails on rows of differing length, raising "Could not determine delimiter".)
    """

    def sniff(self, sample: str, delimiters: str | None = None) -> type[csv.Dialect]:
        return csv.excel


def _header_columns(names: list[str], chosen: dict[str, str | int], name: str) -> Columns:
    """Each field's column index under a header: the chosen one, else one of its usual names.

    A header of known names with none for the text is a table of something else; a header of
    names unknown here leaves the text column to be found by its length.
    """
    columns: Columns = {}
    for field, aliases in [*COLUMNS.items(), (TITLE_COLUMN, (TITLE_COLUMN,))]:
        column = chosen.get(field)
        if isinstance(column, int) and column > len(names):
            raise ThreadmarkError(
                f"{name}: no column {column} for the {field}: the file has {len(names)}"
            )
        if isinstance(column, str) and column not in names:
            raise ThreadmarkError(
                f"{name}: no column {column!r} for the {field} "
                f"(the header has {', '.join(map(repr, names))})"
            )
        if isinstance(column, int):
            columns[field] = column - 1
        else:
            present = column or _aliased(names, aliases)
            columns[field] = None if present is None else names.index(present)
    if columns["text"] is None and KNOWN_NAMES.intersection(names):
        raise ThreadmarkError(f"{name}: no text column (one of {', '.join(COLUMNS['text'])})")
    return columns


def _numbered_columns(chosen: dict[str, str | int], width: int, name: str) -> Columns:
    """Each field's column index in a file with no header: only a chosen number can say."""
    columns: Columns = dict.fromkeys(COLUMNS)
    for field, column in chosen.items():
        if isinstance(column, str):
            raise ThreadmarkError(
                f"{name}: no column {column!r} for the {field}: the file has no header row, "
                f"so its columns are numbered 1 to {width}"
            )
        if column > width:
            raise ThreadmarkError(
                f"{name}: no column {column} for the {field}: the file has {width}"
            )
        columns[field] = column - 1
    return columns


def _longest_column(rows: list[list[str]], width: int) -> int:
    """The column whose cells are longest on average: comments are longer than ids or names."""
    totals = [0] * width
    for row in rows:
        for index, cell in enumerate(row[:width]):
            totals[index] += len(cell)
    return max(range(width), key=totals.__getitem__)


def _aliased(keys: Iterable[str], aliases: tuple[str, ...]) -> str | None:
    present = set(keys)
    return next((alias for alias in aliases if alias in present), None)


def _column(index: int, header: list[str] | None) -> str:
    """A column as messages name it: by its header, else by its number."""
    return f"column {index + 1}" if header is None else f"column {header[index]!r}"


def _json_objects(lines: Iterable[str], name: str) -> Iterator[dict[str, object]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        row = load_json(line, name, first_line=number)
        if not isinstance(row, dict):
            raise ThreadmarkError(f"{name}: line {number} is not a JSON object")
        yield row


def _scalar(value: object) -> str | None:
    """A cell as a string: JSON Lines may hold numbers where CSV holds digits."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return as_text(value)


def _thread(format: str, rows: list[Row], name: str, text_column: str) -> ParsedThread:
    times, interned = Times(), {}
    records = [_record(row, times, interned) for row in rows]
    require_text(records, name, format, text_column)
    title = next((row[TITLE_COLUMN] for row in rows if as_text(row.get(TITLE_COLUMN))), None)
    return ParsedThread(format=format, records=records, title=title, warnings=times.warnings())


def _record(row: Row, times: Times, interned: dict[str, str]) -> CommentRecord:
    """One row's record.  Ids, parent ids and authors are ``interned``: a parent id is some
    earlier row's id and an author writes many rows, so each string is held once."""
    text = _scalar(row.get("text"))
    platform_id = as_id(_scalar(row.get("platform_id")))
    parent_id = as_id(_scalar(row.get("parent_id")))
    author = as_text(row.get("author")) or None
    return CommentRecord(
        text=text or "",
        platform_id=platform_id and interned.setdefault(platform_id, platform_id),
        parent_id=parent_id and interned.setdefault(parent_id, parent_id),
        author=author and interned.setdefault(author, author),
        created_at=times.iso_utc(row.get("created_at")),
        is_tombstone=is_tombstone_text(text),
    )
