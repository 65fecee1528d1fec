"""The REFI-QDA project export (``.qdpx``): a thread as a project that QDA tools open.

A ``.qdpx`` is a zip holding ``project.qde`` (XML in the ``urn:QDA-XML:project:1.0``
namespace, valid against the standard's ``Project.xsd``) and a ``Sources/`` folder.  Each
annotator is a User; the codebook's tags are Codes (nested as ``tags.parent_id`` nests them);
each unique comment is a TextSource whose words are ``Sources/<guid>.txt``, with its author,
time, position, occurrences and id as Variables, its number and thread in its Description.
Each annotator's tags on a unit (the whole comment, or a segment) are Codings in one
PlainTextSelection of that annotator's, since QualCoder (whose importer this export was
written against) credits a selection's codings to whoever made the selection; a segment
someone noted or linked but never tagged still gets that person's (codeless) selection, for
the NoteRef or Link to point at.

Notes are Notes in the shape QualCoder writes and reads (PlainTextContent, and a
PlainTextSelection holding the range of the comment the note is on), referenced from the
comment's TextSource (the only NoteRef QualCoder follows) and, for a segment, from that
segment's selection too.  Links are Links (``OneWay``, named by kind, between the units'
selections, or sources for whole comments), and people's links are also Notes on their
source comment ("#5.1 rebuts #4.2: not so"), since QualCoder and others drop Links.

Text.  A ``Sources`` file is the comment's text exactly, in UTF-8 with no BOM, except that line
ends are LF, as the standard wants: CR LF becomes LF (one character fewer, so every position
after it moves back one) and a lone CR becomes LF (the same length; QualCoder reads a CR as a
line end anyway).  Positions are code points in that file as written, so a segment's
``[start, end)`` in the stored text is carried over each CR LF before it.  A lone surrogate,
which UTF-8 cannot hold, is written as U+FFFD (one code point for one).  Text put into the XML
(names, descriptions, notes) has every character XML 1.0 cannot hold, even as a reference
(most C0 controls, lone surrogates, U+FFFE, U+FFFF), replaced by U+FFFD, and its line ends as
LF, which is how any XML parser would read them.

Streaming.  The comment walk writes each ``Sources`` file into the zip as it goes, and the
XML of sources, notes and links into three temporary files; ``project.qde`` is then written
as one entry: its head (users and codebook, known only once the walk is done), those three
parts, its tail.  The zip is written by ``store.ziparchive``, which holds nothing per entry
(zipfile would hold 400 MB at a million comments) and never seeks, so a file and a pipe get
the same bytes.

Stable.  Every GUID is a UUID 5 of what the thing is (the comment's id, the range, the tag's
name, the annotator), every zip entry has a fixed time and permissions, entries come in walk
order: exporting the same database twice gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import sqlite3
import tempfile
import unicodedata
import uuid
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import IO, Any, BinaryIO
from xml.sax.saxutils import escape, quoteattr

from store.exporters.comments import (
    ExportComment,
    ExportSegment,
    export_comments,
    link_rows,
    tag_rows,
    thread_rows,
)
from store.exporters.options import ExportOptions
from store.ziparchive import ZipStream

NAMESPACE = "urn:QDA-XML:project:1.0"
SOURCES = "Sources"
PROJECT_FILE = "project.qde"
# Every GUID is uuid5 in this namespace (made once, at random) of a JSON list naming the thing.
GUIDS = uuid.UUID("5f0e8f8c-3a57-4a7e-9d0b-6c1f3b2a9e41")
# Comment facts as source Variables: name, type (the xsd's), description.  Only the few that
# analyses group or sort by: every value is three elements in every source.
VARIABLES = (
    ("author", "Text", "who wrote the comment"),
    ("time", "DateTime", "when the comment was written"),
    ("position", "Integer", "where the comment first occurs in the source"),
    ("occurrences", "Integer", "how many times the comment occurs (repeats folded into it)"),
    ("id", "Integer", "the comment's id, the same in every threadmark export"),
)
VALUE_ELEMENTS = {"Text": "TextValue", "DateTime": "DateTimeValue", "Integer": "IntegerValue"}

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# A character that a text or an attribute value cannot be written with as it is: what XML
# cannot hold, what the syntax claims (& < >, and " in a value), and the line ends and tabs
# that a value holds as references and a text carries over as LF.  Most values (GUIDs,
# numbers, times, plain names) have none and are written as they are.
_NOT_PLAIN_TEXT = re.compile(
    "[^\t\n\x20-\x25\x27-\x3b\x3d\x3f-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_NOT_PLAIN_VALUE = re.compile(
    "[^\x20\x21\x23-\x25\x27-\x3b\x3d\x3f-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_LINE_END = re.compile("\r\n?")
_SURROGATE = re.compile("[\ud800-\udfff]")
_COLOR = re.compile("#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})")
# Not in a file name on some system, or read as the start of a suffix ("0004 j.doe" would be
# a ".doe" file to tools that take the type from the name).
_NOT_IN_FILE_NAME = frozenset('/\\:*?"<>|.')
_AUTHOR_IN_NAME = 40  # code points of the author in a source's name


_GUID_HASH = hashlib.sha1(GUIDS.bytes)  # uuid5's hash, the namespace already in it
_GUID_VERSION = 5 << 76 | 0x8000 << 48  # the version and the RFC 4122 variant
_GUID_CLEARED = ~(0xF000 << 64 | 0xC000 << 48)  # their bits cleared first


def guid(*key: object) -> str:
    """The GUID of the thing ``key`` names, the same in every export: the string of
    ``uuid.uuid5(GUIDS, json.dumps(key))``, without building the UUID object on the way."""
    digest = _GUID_HASH.copy()
    digest.update(json.dumps(key).encode("ascii"))  # JSON escapes even lone surrogates
    value = int.from_bytes(digest.digest()[:16]) & _GUID_CLEARED | _GUID_VERSION
    hex = f"{value:032x}"
    return f"{hex[:8]}-{hex[8:12]}-{hex[12:16]}-{hex[16:20]}-{hex[20:]}"


def xml_text(value: str) -> str:
    """``value`` with each character XML 1.0 cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", value)


def with_lf(text: str) -> str:
    """Line ends as LF: CR LF and a lone CR alike."""
    return _LINE_END.sub("\n", text)


def file_text(text: str) -> bytes:
    """A comment's ``Sources`` file: its text with LF line ends, in UTF-8."""
    return _SURROGATE.sub("\ufffd", with_lf(text)).encode("utf-8")


class Positions:
    """Code point positions in a stored text, carried into its ``Sources`` file, where each CR
    LF is one LF: a position moves back one for each CR LF wholly before it."""

    def __init__(self, text: str) -> None:
        self._dropped = [match.start() + 1 for match in re.finditer("\r\n", text)]
        self.length = len(text) - len(self._dropped)

    def __call__(self, position: int) -> int:
        return position - bisect_left(self._dropped, position)

    def of(self, span: tuple[int, int] | None) -> tuple[int, int]:
        """A stored range in the file: the whole text for None (the whole comment)."""
        return (0, self.length) if span is None else (self(span[0]), self(span[1]))


def source_name(prefix: str, author: str | None) -> str:
    """A name that is a safe file name everywhere (QualCoder saves each source under its
    name): the comment's number, then as much of the author as is safe.

    Characters that some system refuses, controls, format characters (bidi overrides) and
    dots become ``_``, runs of spaces one space, and the author is cut short with no space
    left at the end.  The number first keeps names unique and never a reserved name (``CON``).
    """
    if not author:
        return prefix
    shown = _author_in_name(author)
    return f"{prefix} {shown}" if shown else prefix


@lru_cache(maxsize=4096)  # a thread's people write many comments each
def _author_in_name(author: str) -> str:
    shown = "".join(
        "_" if char in _NOT_IN_FILE_NAME or unicodedata.category(char)[0] == "C" else char
        for char in author[: _AUTHOR_IN_NAME * 4]
    )
    return " ".join(shown.split())[:_AUTHOR_IN_NAME].rstrip()


@lru_cache(maxsize=1024)  # the times of a team's annotations and notes come again and again
def iso_time(value: str | None) -> str | None:
    """A stored time as xsd:dateTime in UTC, in whole seconds (as REFI-QDA tools write
    them), or None when there is none or it cannot be read."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    # isoformat, not strftime: "%Y" leaves the year unpadded on Linux (year 99 -> "99"),
    # which the schema's xsd:dateTime refuses.
    return moment.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def xml_value(value: str) -> str:
    """An attribute value, quoted and escaped as ``xml.sax.saxutils.quoteattr`` writes it,
    after ``xml_text``."""
    if _NOT_PLAIN_VALUE.search(value) is None:
        return f'"{value}"'
    return quoteattr(xml_text(value))


def xml_characters(text: str) -> str:
    """A text's characters, escaped as ``xml.sax.saxutils.escape`` writes them, after
    ``with_lf`` and ``xml_text``."""
    if _NOT_PLAIN_TEXT.search(text) is None:
        return text
    return escape(xml_text(with_lf(text)))


class Xml:
    """An XML writer over a binary stream; every attribute and text made valid for XML 1.0.

    It writes what ``xml.sax.saxutils.XMLGenerator`` (short empty elements, UTF-8) writes,
    byte for byte, but gathers it in memory and writes it out in blocks: call ``flush``
    before anything else writes to or measures the stream."""

    FLUSH_AT = 4096  # pieces gathered before they are written

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._pieces: list[str] = []
        self._start_open = False  # a start tag written without its ">" (it may become "/>")

    def declaration(self) -> None:
        self._pieces.append('<?xml version="1.0" encoding="utf-8"?>\n')

    def start(self, name: str, /, **attributes: object) -> None:
        pieces = self._pieces
        if self._start_open:
            pieces.append(">")
        pieces.append("<" + name)
        for key, value in attributes.items():
            if value is not None:
                pieces.append(f" {key}={xml_value(str(value))}")
        self._start_open = True

    def end(self, name: str) -> None:
        if self._start_open:
            self._pieces.append("/>\n")
            self._start_open = False
        else:
            self._pieces.append(f"</{name}>\n")
        if len(self._pieces) >= self.FLUSH_AT:
            self.flush()

    def element(self, name: str, /, **attributes: object) -> _Element:
        """An element that holds elements (never text), a line to each: ``with`` it."""
        self.start(name, **attributes)
        self.line_end()
        return _Element(self, name)

    def empty(self, name: str, /, **attributes: object) -> None:
        self.start(name, **attributes)
        self.end(name)

    def text(self, name: str, text: str) -> None:
        self.start(name)
        if text:  # an empty text leaves the element empty: <Description/>
            self._pieces.append(">" + xml_characters(text))
            self._start_open = False
        self.end(name)

    def line_end(self) -> None:
        """A line end between elements, for people reading the file; it also closes a start
        tag, so that bytes copied in after it (and a ``flush``) land inside the element."""
        if self._start_open:
            self._pieces.append(">\n")
            self._start_open = False
        else:
            self._pieces.append("\n")

    def markup(self, markup: str) -> None:
        """Markup that an ``Xml`` wrote (see ``markup_of``), put in as it is."""
        if self._start_open:
            self._pieces.append(">")
            self._start_open = False
        self._pieces.append(markup)

    def flush(self) -> None:
        """Write out what has been gathered."""
        if self._pieces:
            self._out.write("".join(self._pieces).encode("utf-8", "xmlcharrefreplace"))
            self._pieces.clear()


def markup_of(write: Callable[[Xml], None]) -> str:
    """What ``write`` writes with an ``Xml``, as text: markup to put in again and again
    (``Xml.markup``) that is the same every time.  It must end with no start tag open."""
    buffer = io.BytesIO()
    xml = Xml(buffer)
    write(xml)
    xml.flush()
    return buffer.getvalue().decode("utf-8")


class _Element:
    """An element open in an ``Xml``, ended when the ``with`` block ends (unless it raised)."""

    __slots__ = ("_name", "_xml")

    def __init__(self, xml: Xml, name: str) -> None:
        self._xml = xml
        self._name = name

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self._xml.end(self._name)


@dataclass(slots=True)
class Selection:
    """One annotator's PlainTextSelection of a unit, with that annotator's codings on it."""

    unit: str  # "#4.2"
    span: tuple[int, int] | None  # in the stored text; None for the whole comment
    annotator: str | None  # None for an end of a link the import made
    codings: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # GUIDs of the annotator's notes on it
    times: list[str] = field(default_factory=list)  # when each thing on it was made


@dataclass(slots=True)
class Note:
    guid: str
    name: str
    text: str
    annotator: str
    time: str
    start: int  # the range it is on, in the Sources file
    end: int


# (cluster, start, end) -> annotator -> when each link to or from that segment was made
LinkedSegments = dict[tuple[int, int, int], dict[str | None, list[str]]]


VARIABLE_GUIDS = {variable: guid("variable", variable) for variable, _, _ in VARIABLES}


def _value_start(variable: str) -> Callable[[Xml], None]:
    def write(xml: Xml) -> None:
        xml.start("VariableValue")
        xml.line_end()
        xml.empty("VariableRef", targetGUID=VARIABLE_GUIDS[variable])

    return write


# The start of a source's value of each variable, the same in every source.
VALUE_STARTS = {variable: markup_of(_value_start(variable)) for variable in VARIABLE_GUIDS}


@cache  # a few people and tags, met again in every source
def user_guid(annotator: str | None) -> str | None:
    return None if annotator is None else guid("user", annotator)


@cache
def code_guid(tag: str) -> str:
    return guid("code", tag)


# A source's GUID is met again at each link to its comment (most of them replies to a comment
# shortly before), a segment's selection's at each link to the segment: the last few are kept.
@lru_cache(maxsize=4096)
def source_guid(cluster_id: int) -> str:
    return guid("source", cluster_id)


@lru_cache(maxsize=1024)
def selection_guid(cluster_id: int, span: tuple[int, int] | None, annotator: str | None) -> str:
    return guid("selection", cluster_id, span, annotator)


def note_guid(cluster_id: int, span: tuple[int, int] | None, annotator: str) -> str:
    return guid("note", cluster_id, span, annotator)


def link_guid(link: dict[str, Any]) -> str:
    ends = ("source", "source_start", "source_end", "target", "target_start", "target_end")
    return guid("link", *(link[key] for key in ends), link["kind"], link["annotator"])


def link_note_guid(link: dict[str, Any]) -> str:
    return guid("link note", link_guid(link))


def end_guid(link: dict[str, Any], end: str) -> str:
    """What one end of a link points at: its comment's source, or the linker's selection of
    its segment."""
    start = link[f"{end}_start"]
    if start is None:
        return source_guid(link[end])
    return selection_guid(link[end], (start, link[f"{end}_end"]), link["annotator"])


def linked_segments(
    db: sqlite3.Connection, thread_id: int | None, options: ExportOptions
) -> LinkedSegments:
    """Every segment a link starts or ends at, by whom and when: its comment's source must
    hold the linker's selection of it, whether the walk reaches the link's other end first or
    not."""
    linked: LinkedSegments = defaultdict(lambda: defaultdict(list))
    for link in link_rows(db, thread_id, options):
        for end in ("source", "target"):
            if link[f"{end}_start"] is not None:
                segment = (link[end], link[f"{end}_start"], link[f"{end}_end"])
                linked[segment][link["annotator"]].append(link["created_at"])
    return linked


def units_of(
    comment: ExportComment,
) -> list[tuple[str, tuple[int, int] | None, ExportComment | ExportSegment]]:
    """The comment and its segments, each named ("#4", "#4.2"), with its range (None for the
    whole comment) and what holds its annotations and notes."""
    return [(f"#{comment.number}", None, comment)] + [
        (segment.unit, (segment.start, segment.end), segment) for segment in comment.segments
    ]


def _by_annotator(annotator: str | None) -> tuple[bool, str]:
    return (annotator is not None, annotator or "")


def selections_of(comment: ExportComment, linked: LinkedSegments) -> list[Selection]:
    """Each annotator's selection of the whole comment (where they tagged it), then of each
    segment (where they tagged, noted or linked it).  A note on the whole comment hangs on
    its source, not on a selection."""
    selections = []
    for unit, span, marked in units_of(comment):
        notes = [] if span is None else marked.notes
        links_here = {} if span is None else linked.get((comment.id, *span), {})
        annotators = {row["annotator"] for row in [*marked.annotations, *notes]} | set(links_here)
        for annotator in sorted(annotators, key=_by_annotator):
            codings = [row for row in marked.annotations if row["annotator"] == annotator]
            theirs = [note for note in notes if note["annotator"] == annotator]  # one at most
            selections.append(
                Selection(
                    unit,
                    span,
                    annotator,
                    codings,
                    [note_guid(comment.id, span, annotator)] if theirs else [],
                    [row["created_at"] for row in codings]
                    + [note["updated_at"] for note in theirs]
                    + links_here.get(annotator, []),
                )
            )
    return selections


def notes_of(comment: ExportComment, positions: Positions) -> list[Note]:
    """The comment's notes, on the whole of it and on its segments, and its people's links
    said as notes ("#5.1 rebuts #4.2: not so")."""
    notes = [
        Note(
            note_guid(comment.id, span, note["annotator"]),
            f"note on {unit}",
            note["text"],
            note["annotator"],
            note["updated_at"],
            *positions.of(span),
        )
        for unit, span, marked in units_of(comment)
        for note in marked.notes
    ]
    for link in comment.links:
        if link["annotator"] is None:
            continue  # the import's replies and quotes: Links enough, a note on each is noise
        said = f"{link['source_unit']} {link['kind']} {link['target_unit']}"
        span = None if link["source_start"] is None else (link["source_start"], link["source_end"])
        notes.append(
            Note(
                link_note_guid(link),
                said,
                f"{said}: {link['note']}" if link["note"] else said,
                link["annotator"],
                link["created_at"],
                *positions.of(span),
            )
        )
    return notes


def write_source(
    xml: Xml,
    comment: ExportComment,
    source: str,
    name: str,
    positions: Positions,
    selections: list[Selection],
    notes: list[Note],
) -> None:
    """The comment's TextSource (GUID ``source``): what it is, its selections and codings,
    its notes, its Variables."""
    created = iso_time(comment.created_at)
    with xml.element(
        "TextSource",
        guid=source,
        name=name,
        plainTextPath=f"internal://{source}.txt",
        creationDateTime=created,
    ):
        deleted = ", deleted (only its tombstone is left)" if comment.tombstone else ""
        xml.text("Description", f"comment #{comment.number} of thread {comment.thread}{deleted}")
        for selection in selections:
            write_selection(xml, comment.id, selection, positions)
        for note in notes:
            xml.empty("NoteRef", targetGUID=note.guid)
        values = {
            "author": comment.author or None,
            "time": created,
            "position": comment.position,
            "occurrences": len(comment.occurrences),
            "id": comment.id,
        }
        for variable, kind, _ in VARIABLES:
            if values[variable] is not None:
                xml.markup(VALUE_STARTS[variable])  # <VariableValue> and its VariableRef
                xml.text(VALUE_ELEMENTS[kind], str(values[variable]))
                xml.end("VariableValue")


def write_selection(xml: Xml, cluster_id: int, selection: Selection, positions: Positions) -> None:
    user = user_guid(selection.annotator)
    times = sorted(filter(None, map(iso_time, selection.times)))
    start, end = positions.of(selection.span)
    with xml.element(
        "PlainTextSelection",
        guid=selection_guid(cluster_id, selection.span, selection.annotator),
        name=selection.unit,
        startPosition=start,
        endPosition=end,
        creatingUser=user,
        creationDateTime=times[0] if times else None,
        modifyingUser=user,
        modifiedDateTime=times[-1] if times else None,
    ):
        for coding in selection.codings:
            with xml.element(
                "Coding",
                guid=guid("coding", cluster_id, selection.span, selection.annotator, coding["tag"]),
                creatingUser=user,
                creationDateTime=iso_time(coding["created_at"]),
            ):
                xml.empty("CodeRef", targetGUID=code_guid(coding["tag"]))
        for note in selection.notes:
            xml.empty("NoteRef", targetGUID=note)


def write_note(xml: Xml, note: Note) -> None:
    """A note as QualCoder writes one, which is how it reads one: its text, and a selection
    giving the range of the comment it is on."""
    user, time = user_guid(note.annotator), iso_time(note.time)
    who_when = {
        "creatingUser": user,
        "creationDateTime": time,
        "modifyingUser": user,
        "modifiedDateTime": time,
    }
    with xml.element("Note", guid=note.guid, name=note.name, **who_when):
        xml.text("PlainTextContent", note.text)
        xml.empty(
            "PlainTextSelection",
            guid=guid("note range", note.guid),
            startPosition=note.start,
            endPosition=note.end,
            **who_when,
        )


def write_link(xml: Xml, link: dict[str, Any]) -> None:
    with xml.element(
        "Link",
        guid=link_guid(link),
        name=link["kind"],
        direction="OneWay",
        originGUID=end_guid(link, "source"),
        targetGUID=end_guid(link, "target"),
    ):
        if link["annotator"] is not None:
            xml.empty("NoteRef", targetGUID=link_note_guid(link))


def write_codebook(xml: Xml, tags: list[dict[str, Any]]) -> None:
    """The tags as Codes, each inside its parent; a tag whose parents loop is put at the top
    where the loop is first met, so every tag is written once."""
    if not tags:
        return  # a CodeBook must hold a Code
    names = {tag["name"] for tag in tags}
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for tag in tags:
        children[tag["parent"] if tag["parent"] in names else None].append(tag)
    written: set[str] = set()

    def write_code(tag: dict[str, Any]) -> None:
        written.add(tag["name"])
        color = tag["color"] if _COLOR.fullmatch(tag["color"] or "") else None
        with xml.element(
            "Code", guid=code_guid(tag["name"]), name=tag["name"], isCodable="true", color=color
        ):
            if tag["description"]:
                xml.text("Description", tag["description"])
            for child in children[tag["name"]]:
                if child["name"] not in written:
                    write_code(child)

    with xml.element("CodeBook"), xml.element("Codes"):
        for tag in [*children[None], *tags]:
            if tag["name"] not in written:
                write_code(tag)


def write_head(
    xml: Xml, threads: list[dict[str, Any]], users: set[str], tags: list[dict[str, Any]]
) -> None:
    """The XML declaration, the Project's start, its Users, CodeBook and Variables."""
    xml.declaration()
    imported = sorted(filter(None, (iso_time(thread["imported_at"]) for thread in threads)))
    xml.start(
        "Project",
        xmlns=NAMESPACE,
        name=threads[0]["title"] if len(threads) == 1 else f"threadmark: {len(threads)} threads",
        origin="threadmark",  # QualCoder fails on a project that does not say
        creationDateTime=imported[0] if imported else None,
    )
    xml.line_end()
    if users:  # Users must hold a User
        with xml.element("Users"):
            for user in sorted(users):
                xml.empty("User", guid=user_guid(user), name=user)
    write_codebook(xml, tags)
    with xml.element("Variables"):
        for variable, kind, description in VARIABLES:
            with xml.element(
                "Variable", guid=VARIABLE_GUIDS[variable], name=variable, typeOfVariable=kind
            ):
                xml.text("Description", description)


def write_tail(xml: Xml, threads: list[dict[str, Any]]) -> None:
    """The project's Description (which threads it holds, from where) and its end."""
    if threads:
        xml.text(
            "Description",
            "\n".join(
                f"thread {thread['id']}: {thread['title']} (from {thread['source']}, "
                f"imported {thread['imported_at']})"
                for thread in threads
            ),
        )
    xml.end("Project")


def write_qdpx(
    db: sqlite3.Connection, out: BinaryIO, thread_id: int | None, options: ExportOptions
) -> None:
    """The thread (or all) as a REFI-QDA project: see the module docstring."""
    threads = thread_rows(db, thread_id)
    tags = tag_rows(db)
    linked = linked_segments(db, thread_id, options)
    users: set[str] = set()
    with ExitStack() as stack:
        archive = stack.enter_context(ZipStream(out))
        # project.qde's sections that grow with the thread, each kept in a temporary file
        # until the walk is done and the head (users, codebook) can be written before them.
        parts = {
            element: stack.enter_context(tempfile.TemporaryFile())
            for element in ("Sources", "Notes", "Links")
        }
        sources, notes, links = (Xml(part) for part in parts.values())
        archive.folder(f"{SOURCES}/")
        for comment in export_comments(db, thread_id, options):
            positions = Positions(comment.text)
            number = f"{comment.number:04}"
            name = source_name(
                f"{comment.thread}-{number}" if len(threads) > 1 else number, comment.author
            )
            source = source_guid(comment.id)
            archive.write(f"{SOURCES}/{source}.txt", file_text(comment.text))
            selections = selections_of(comment, linked)
            comment_notes = notes_of(comment, positions)
            write_source(sources, comment, source, name, positions, selections, comment_notes)
            for note in comment_notes:
                write_note(notes, note)
            for link in comment.links:
                write_link(links, link)
            users |= {s.annotator for s in selections if s.annotator is not None}
            users |= {note.annotator for note in comment_notes}
        for writer in (sources, notes, links):
            writer.flush()
        with archive.open(PROJECT_FILE) as qde:
            xml = Xml(qde)
            write_head(xml, threads, users, tags)
            for element, part in parts.items():
                if part.tell():  # each of these must hold one thing or more
                    with xml.element(element):
                        xml.flush()  # the element's start tag, before what is copied into it
                        part.seek(0)
                        shutil.copyfileobj(part, qde)
            write_tail(xml, threads)
            xml.flush()
