"""The REFI-QDA project export: a zip that the standard's schema accepts, read back the way
QualCoder reads one.

Every check compares the export with the database: the files in ``Sources/`` with the
comments' texts, each selection's range and codings with the tags on the comment or segment,
the notes and links with what people wrote.  The schema is the standard's ``Project.xsd``,
kept beside the repository (``../shared/refi``); without it the schema checks are skipped.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import tempfile
import unicodedata
import zipfile
from contextlib import closing
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store import (
    ExportOptions,
    add_link,
    create_tag,
    export,
    export_file,
    import_file,
    set_note,
    toggle_tag,
    write,
)
from tests.conftest import ROOT
from tests.test_export import CLAIM, EVIDENCE, db  # noqa: F401  (db: the annotated seed)
from tests.test_export_properties import (
    ANY_CHARACTER,
    PROPERTY_SETTINGS,
    annotate,
    annotations,
    imported,
    threads,
)

SCHEMA = ROOT.parent / "shared" / "refi" / "Project.xsd"
Q = {"q": "urn:QDA-XML:project:1.0"}
INTERNAL = "internal://"
NOT_IN_FILE_NAMES = set('/\\:*?"<>|')
RESERVED_NAMES = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"{d}{n}" for d in ("COM", "LPT") for n in range(10)),
}
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def in_xml(text: str) -> str:
    """What a name or note reads as in the XML: what XML 1.0 cannot hold as U+FFFD."""
    return NOT_XML.sub("\ufffd", text)


@pytest.fixture(scope="session")
def schema():
    if not SCHEMA.is_file():
        pytest.skip(f"the REFI-QDA schema is not at {SCHEMA}")
    import xmlschema

    return xmlschema.XMLSchema(str(SCHEMA))


def lf(text: str) -> str:
    """What the standard wants of a source's line ends."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def in_file(text: str, position: int) -> int:
    """Where a position in a stored text is in its Sources file (line ends as LF)."""
    return len(lf(text[:position]))


@dataclass
class Qdpx:
    raw: bytes

    @cached_property
    def zip(self) -> zipfile.ZipFile:
        return zipfile.ZipFile(io.BytesIO(self.raw))

    @cached_property
    def qde(self) -> bytes:
        return self.zip.read("project.qde")

    @cached_property
    def root(self) -> ElementTree.Element:
        return ElementTree.fromstring(self.qde)

    def all(self, path: str) -> list[ElementTree.Element]:
        return self.root.findall(path, Q)

    @cached_property
    def users(self) -> dict[str, str]:
        """User GUID -> name."""
        return {user.get("guid"): user.get("name") for user in self.all("q:Users/q:User")}

    @cached_property
    def codes(self) -> dict[str, str]:
        return {code.get("guid"): code.get("name") for code in self.all(".//q:Code")}

    @cached_property
    def sources(self) -> dict[int, ElementTree.Element]:
        """Each TextSource by its comment's id (its ``id`` variable)."""
        variable = {v.get("name"): v.get("guid") for v in self.all("q:Variables/q:Variable")}
        by_id = {}
        for source in self.all("q:Sources/q:TextSource"):
            for value in source.findall("q:VariableValue", Q):
                if value.find("q:VariableRef", Q).get("targetGUID") == variable["id"]:
                    by_id[int(value.find("q:IntegerValue", Q).text)] = source
        return by_id

    def text(self, source: ElementTree.Element) -> str:
        """A source's words as QualCoder reads them: the file its plainTextPath names, opened
        as text (universal newlines, as Python's ``open`` does)."""
        path = source.get("plainTextPath")
        assert path.startswith(INTERNAL)
        data = self.zip.read("Sources/" + path[len(INTERNAL) :])
        read = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()
        assert read == data.decode("utf-8")  # LF only: reading as text changes nothing
        return read

    def codings(self) -> set[tuple[int, int, int, str, str]]:
        """(comment, start, end, annotator, tag) of every Coding."""
        found = set()
        for cluster, source in self.sources.items():
            for selection in source.findall("q:PlainTextSelection", Q):
                span = int(selection.get("startPosition")), int(selection.get("endPosition"))
                for coding in selection.findall("q:Coding", Q):
                    assert coding.get("creatingUser") == selection.get("creatingUser")
                    tag = self.codes[coding.find("q:CodeRef", Q).get("targetGUID")]
                    found.add((cluster, *span, self.users[coding.get("creatingUser")], tag))
        return found

    def element(self, guid: str) -> ElementTree.Element:
        (found,) = [e for e in self.root.iter() if e.get("guid") == guid]
        return found


def exported(database: sqlite3.Connection, thread_id: int | None = None, annotator=None) -> Qdpx:
    out = io.BytesIO()
    export(database, "qdpx", out, thread_id, ExportOptions(annotator))
    return Qdpx(out.getvalue())


def stored_codings(database: sqlite3.Connection, annotator=None) -> set[tuple]:
    """What ``Qdpx.codings`` should find: each tag, its range carried into the file."""
    rows = database.execute(
        "SELECT a.cluster_id, c.text, s.start, s.end, a.annotator, t.name FROM annotations a "
        "JOIN clusters c ON c.id = a.cluster_id JOIN tags t ON t.id = a.tag_id "
        "LEFT JOIN segments s ON s.id = a.segment_id "
        "WHERE ? IS NULL OR a.annotator = ?",
        (annotator, annotator),
    )
    return {
        (cluster, *((0, len(lf(text))) if start is None else
                    (in_file(text, start), in_file(text, end))), in_xml(who), in_xml(tag))
        for cluster, text, start, end, who, tag in rows
    }  # fmt: skip


def assert_valid(qdpx: Qdpx, schema) -> None:
    schema.validate(io.BytesIO(qdpx.qde))
    assert qdpx.qde.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<Project ')


def assert_safe_file_name(name: str) -> None:
    assert 0 < len(name) <= 100, name
    assert not NOT_IN_FILE_NAMES & set(name), name
    assert all(unicodedata.category(char)[0] != "C" for char in name), name
    assert not name.endswith((".", " ")), name
    assert name.split(".")[0].strip().upper() not in RESERVED_NAMES, name


def assert_sources_hold_the_texts(qdpx: Qdpx, database: sqlite3.Connection) -> None:
    stored = dict(database.execute("SELECT id, text FROM clusters"))
    assert qdpx.sources.keys() == stored.keys()
    names = [source.get("name") for source in qdpx.sources.values()]
    assert len({name.casefold() for name in names}) == len(names)
    for cluster, source in qdpx.sources.items():
        assert_safe_file_name(source.get("name"))
        expected = re.sub("[\ud800-\udfff]", "\ufffd", lf(stored[cluster]))
        assert qdpx.text(source) == expected


@pytest.fixture
def segmented(db):  # noqa: F811
    """The annotated seed, with segments: tagged by two people, noted, and linked."""
    toggle_tag(db, 4, CLAIM, "alice", (0, 20))
    toggle_tag(db, 4, EVIDENCE, "bob", (0, 20))
    toggle_tag(db, 4, CLAIM, "alice", (25, 60))
    set_note(db, 4, "carol", "a segment note", span=(25, 60))
    add_link(db, 6, 4, "undercuts", "dave", "half", source_span=(0, 10), target_span=(0, 20))
    return db


# --- the seed --------------------------------------------------------------------------------


def test_the_annotated_seed_is_a_valid_project_of_every_comment(segmented, schema):
    qdpx = exported(segmented)
    assert_valid(qdpx, schema)
    names = qdpx.zip.namelist()
    assert names[0] == "Sources/" and names[-1] == "project.qde"
    assert all(re.fullmatch(r"Sources/[0-9a-f-]{36}\.txt", name) for name in names[1:-1])
    assert len(names) == 2 + len(qdpx.sources) == 2 + 11
    for name in names[1:-1]:
        assert not qdpx.zip.read(name).startswith(b"\xef\xbb\xbf")  # no BOM
    assert_sources_hold_the_texts(qdpx, segmented)
    first = qdpx.sources[1]
    assert first.get("name") == "0001"
    variables = {v.get("guid"): v.get("name") for v in qdpx.all("q:Variables/q:Variable")}
    values = {
        variables[value.find("q:VariableRef", Q).get("targetGUID")]: value[1].text
        for value in first.findall("q:VariableValue", Q)
    }
    assert values == {"id": "1", "position": "1", "occurrences": "2"}
    assert first.find("q:Description", Q).text == "comment #1 of thread 1"
    tombstone = qdpx.sources[10].find("q:Description", Q).text
    assert tombstone == "comment #10 of thread 1, deleted (only its tombstone is left)"
    assert qdpx.root.get("origin") == "threadmark"  # QualCoder fails without one


def test_one_user_per_annotator_and_every_user_reference_is_one(segmented):
    qdpx = exported(segmented)
    assert sorted(qdpx.users.values()) == ["alice", "bob", "carol", "dave"]
    assert len(set(qdpx.users)) == 4
    for element in qdpx.root.iter():
        for attribute in ("creatingUser", "modifyingUser"):
            if element.get(attribute) is not None:
                assert element.get(attribute) in qdpx.users


def test_the_codebook_is_the_tags_nested_with_colours_and_descriptions(db):  # noqa: F811
    with write(db):
        db.execute(
            "UPDATE tags SET parent_id = (SELECT id FROM tags WHERE name = 'claim') "
            "WHERE name IN ('evidence', 'counterpoint')"
        )
        db.execute(
            "UPDATE tags SET parent_id = (SELECT id FROM tags WHERE name = 'evidence') "
            "WHERE name = 'fallacy'"
        )
    qdpx = exported(db)
    tags = {name: (color, description) for name, color, description in
            db.execute("SELECT name, color, description FROM tags")}  # fmt: skip
    codes = qdpx.all(".//q:Code")
    assert sorted(code.get("name") for code in codes) == sorted(tags)
    for code in codes:
        assert code.get("isCodable") == "true"
        color, description = tags[code.get("name")]
        assert code.get("color") == color
        assert code.find("q:Description", Q).text == description

    def children(code):
        return [child.get("name") for child in code.findall("q:Code", Q)]

    top = qdpx.root.find("q:CodeBook/q:Codes", Q)
    assert children(top) == ["claim", "question", "concession", "personal-attack",
                             "misinformation", "off-topic"]  # fmt: skip
    claim = top.find("q:Code[@name='claim']", Q)
    assert children(claim) == ["evidence", "counterpoint"]
    assert children(claim.find("q:Code[@name='evidence']", Q)) == ["fallacy"]
    # A coding names its code by GUID, wherever the code sits in the tree.
    assert {tag for *_, tag in qdpx.codings()} == {"claim", "evidence"}


def test_a_loop_of_parents_still_gives_every_tag_once(db, schema):  # noqa: F811
    with write(db):
        db.execute(
            "UPDATE tags SET parent_id = CASE name WHEN 'claim' THEN "
            "(SELECT id FROM tags WHERE name = 'evidence') ELSE "
            "(SELECT id FROM tags WHERE name = 'claim') END WHERE name IN ('claim', 'evidence')"
        )
        db.execute("UPDATE tags SET parent_id = id WHERE name = 'question'")
    qdpx = exported(db)
    assert_valid(qdpx, schema)
    names = [code.get("name") for code in qdpx.all(".//q:Code")]
    assert sorted(names) == sorted(name for (name,) in db.execute("SELECT name FROM tags"))


def test_each_annotators_tags_are_codings_on_their_own_selection(segmented):
    qdpx = exported(segmented)
    assert qdpx.codings() == stored_codings(segmented)
    whole = qdpx.sources[1].findall("q:PlainTextSelection", Q)
    assert [qdpx.users[s.get("creatingUser")] for s in whole] == ["alice", "bob"]
    length = len(qdpx.text(qdpx.sources[1]))
    assert {(s.get("startPosition"), s.get("endPosition")) for s in whole} == {("0", str(length))}
    text = qdpx.text(qdpx.sources[4])
    stored = segmented.execute("SELECT text FROM clusters WHERE id = 4").fetchone()[0]
    coded = {(s, e) for cluster, s, e, *_ in qdpx.codings() if cluster == 4}
    assert {text[s:e] for s, e in coded} == {stored[0:20], stored[25:60]}


def test_every_selection_and_note_says_when_it_was_made(segmented):
    qdpx = exported(segmented)
    dated = qdpx.all(".//q:PlainTextSelection") + qdpx.all("q:Notes/q:Note")
    assert len(dated) > 10
    for element in dated:
        for attribute in ("creationDateTime", "modifiedDateTime"):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", element.get(attribute))


def test_notes_are_notes_on_their_comment_and_segment(segmented):
    qdpx = exported(segmented)
    notes = {
        (qdpx.users[note.get("creatingUser")], note.find("q:PlainTextContent", Q).text): note
        for note in qdpx.all("q:Notes/q:Note")
    }
    stored = segmented.execute("SELECT text FROM clusters WHERE id = 4").fetchone()[0]
    for (annotator, text), cluster, span in [
        (("alice", "the opening claim"), 1, None),
        (("bob", "agreed"), 1, None),
        (("carol", "a segment note"), 4, (25, 60)),
    ]:
        note = notes[(annotator, text)]
        source = qdpx.sources[cluster]
        refs = [ref.get("targetGUID") for ref in source.findall("q:NoteRef", Q)]
        assert note.get("guid") in refs  # where QualCoder looks for it
        where = note.find("q:PlainTextSelection", Q)  # the range it is on, as QualCoder reads
        start, end = int(where.get("startPosition")), int(where.get("endPosition"))
        on = qdpx.text(source)[start:end]
        assert on == (qdpx.text(source) if span is None else stored[slice(*span)])
        if span is not None:  # and on the annotator's selection of the segment
            (selection,) = [
                s for s in source.findall("q:PlainTextSelection", Q)
                if (s.get("startPosition"), s.get("endPosition")) == (str(start), str(end))
                and qdpx.users[s.get("creatingUser")] == annotator
            ]  # fmt: skip
            assert [r.get("targetGUID") for r in selection.findall("q:NoteRef", Q)] == [
                note.get("guid")
            ]


def test_links_are_links_and_notes_on_their_source(segmented):
    qdpx = exported(segmented)
    links = qdpx.all("q:Links/q:Link")
    assert [link.get("name") for link in links] == ["rebuts", "supports", "undercuts"]
    assert {link.get("direction") for link in links} == {"OneWay"}
    rebuts, _, undercuts = links
    assert rebuts.get("originGUID") == qdpx.sources[3].get("guid")
    assert rebuts.get("targetGUID") == qdpx.sources[1].get("guid")
    origin, target = (
        qdpx.element(undercuts.get("originGUID")),
        qdpx.element(undercuts.get("targetGUID")),
    )
    assert origin in qdpx.sources[6].findall("q:PlainTextSelection", Q)
    assert target in qdpx.sources[4].findall("q:PlainTextSelection", Q)
    assert [(e.get("startPosition"), e.get("endPosition")) for e in (origin, target)] == [
        ("0", "10"), ("0", "20"),
    ]  # fmt: skip
    assert {qdpx.users[e.get("creatingUser")] for e in (origin, target)} == {"dave"}
    assert origin.find("q:Coding", Q) is None  # linked, not tagged

    for link, source, said in [
        (rebuts, 3, "#3 rebuts #1: not so"),
        (undercuts, 6, "#6:0-10 undercuts #4:0-20: half"),
    ]:
        note = qdpx.element(link.find("q:NoteRef", Q).get("targetGUID"))
        assert note.find("q:PlainTextContent", Q).text == said
        refs = [ref.get("targetGUID") for ref in qdpx.sources[source].findall("q:NoteRef", Q)]
        assert note.get("guid") in refs


def test_the_imports_links_are_links_only(open_db, tmp_path, schema):
    source = tmp_path / "replies.jsonl"
    rows = [{"id": "a", "text": "first"}, {"id": "b", "parent_id": "a", "text": "a reply"}]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    database = open_db()
    import_file(database, source)
    qdpx = exported(database)
    assert_valid(qdpx, schema)
    (link,) = qdpx.all("q:Links/q:Link")
    assert link.get("name") == "replies_to"
    assert (link.get("originGUID"), link.get("targetGUID")) == (
        qdpx.sources[2].get("guid"),
        qdpx.sources[1].get("guid"),
    )
    assert link.find("q:NoteRef", Q) is None and qdpx.all("q:Notes") == []


# --- stable, scoped ---------------------------------------------------------------------------


def test_two_exports_are_the_same_bytes_to_a_stream_or_a_file(segmented, tmp_path):
    first = exported(segmented).raw
    assert exported(segmented).raw == first
    export_file(segmented, "qdpx", tmp_path / "thread.qdpx")
    assert (tmp_path / "thread.qdpx").read_bytes() == first
    for entry in Qdpx(first).zip.infolist():
        assert entry.date_time == (1980, 1, 1, 0, 0, 0)
        assert entry.create_system == 3
        assert entry.external_attr >> 16 == (0o40755 if entry.is_dir() else 0o100644)


def test_an_annotator_option_keeps_only_that_annotators_work(
    segmented, schema, db_path, tmp_path, run_cli
):
    qdpx = exported(segmented, annotator="alice")
    target = tmp_path / "alice.qdpx"
    args = ("export", "--db", db_path, "--format", "qdpx", "--annotator", "alice", "-o", target)
    assert run_cli(*args)[0] == 0
    assert target.read_bytes() == qdpx.raw  # another process (another hash seed), same bytes
    assert_valid(qdpx, schema)
    assert list(qdpx.users.values()) == ["alice"]
    assert qdpx.codings() == stored_codings(segmented, "alice")
    assert {annotator for *_, annotator, _ in qdpx.codings()} == {"alice"}
    assert [n.find("q:PlainTextContent", Q).text for n in qdpx.all("q:Notes/q:Note")] == [
        "the opening claim",
        "#3 rebuts #1: not so",
    ]
    assert [link.get("name") for link in qdpx.all("q:Links/q:Link")] == ["rebuts"]
    assert len(qdpx.sources) == 11  # every comment, whoever tagged it


def test_a_thread_selection_exports_that_thread_and_all_names_stay_unique(db, tmp_path):  # noqa: F811
    other = tmp_path / "other.txt"
    other.write_text("one more\nand another\n", encoding="utf-8")
    second = import_file(db, other).thread_id
    only = exported(db, second)
    assert sorted(only.sources) == [12, 13]
    assert [s.get("name") for s in only.sources.values()] == ["0001", "0002"]
    assert only.root.get("name") == "other"
    everything = exported(db)
    assert len(everything.sources) == 13
    names = [s.get("name") for s in everything.sources.values()]
    assert names[0] == "1-0001" and names[-2:] == ["2-0001", "2-0002"]
    assert len(set(names)) == 13


@pytest.mark.parametrize("thread_id", [None, 99])
def test_an_empty_database_is_a_valid_project(open_db, schema, thread_id):
    qdpx = exported(open_db(), thread_id)
    assert_valid(qdpx, schema)
    assert qdpx.zip.namelist() == ["Sources/", "project.qde"]
    assert qdpx.all("q:Sources") == qdpx.all("q:Users") == qdpx.all("q:Links") == []
    assert len(qdpx.all(".//q:Code")) == 9


# --- hostile text ----------------------------------------------------------------------------

HOSTILE = [
    'a "quoted" <b>tag</b> & an ]]> end, then \x00\x01\x08\x0b\x0c\x1b[2J controls',
    "line one\r\nline two\rline three\r\n\r\nlast",
    "\ufffe\uffff non-characters, \u202eevil bidi\u202c and a \ud800 lone surrogate",
]


def test_hostile_text_stays_exact_in_files_and_valid_in_xml(open_db, tmp_path, schema):
    source = tmp_path / "hostile.jsonl"
    rows = [{"author": f'CON. \x07<"{n}">/..', "text": text} for n, text in enumerate(HOSTILE)]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="ascii")
    database = open_db()
    import_file(database, source)
    tag = create_tag(database, 'x"]]>\ufffe<t', "al\x01ice")
    toggle_tag(database, 2, tag.id, "al\x01ice", (10, 23))  # "line two\rline": across a CR LF
    toggle_tag(database, 2, tag.id, "al\x01ice")
    set_note(database, 1, "bob", "note ]]> \x02 with\r\na CR LF", span=(0, 10))
    add_link(database, 3, 2, "rebuts", "bob", '"\x1b"', target_span=(10, 23))

    qdpx = exported(database)
    assert_valid(qdpx, schema)
    assert_sources_hold_the_texts(qdpx, database)
    assert qdpx.codings() == stored_codings(database)
    text = qdpx.text(qdpx.sources[2])
    assert text == "line one\nline two\nline three\n\nlast"
    assert sorted((s, e) for c, s, e, *_ in qdpx.codings()) == [(0, len(text)), (9, 22)]
    assert text[9:22] == "line two\nline"
    assert list(qdpx.users.values()) == ["al\ufffdice", "bob"]
    assert list(qdpx.codes.values())[-1] == in_xml(tag.name)
    notes = [note.find("q:PlainTextContent", Q).text for note in qdpx.all("q:Notes/q:Note")]
    assert notes == ["note ]]> \ufffd with\na CR LF", '#3 rebuts #2:10-23: "\ufffd"']
    for source in qdpx.sources.values():
        assert source.get("name").startswith(("0001 ", "0002 ", "0003 "))


@PROPERTY_SETTINGS
@given(comments=threads(ANY_CHARACTER), marks=annotations, cut=st.integers(1, 40))
def test_any_text_gives_a_valid_project_that_keeps_it(schema, comments, marks, cut):
    with (
        tempfile.TemporaryDirectory() as directory,
        closing(imported(Path(directory), comments)) as database,
    ):
        annotate(database, marks)
        cluster, text = database.execute(
            "SELECT id, text FROM clusters WHERE NOT is_tombstone AND text != '' ORDER BY id"
        ).fetchone()
        span = (0, min(cut, len(text)))
        tag = database.execute("SELECT id FROM tags ORDER BY id DESC").fetchone()[0]
        toggle_tag(database, cluster, tag, marks["annotator"], span)
        set_note(database, cluster, marks["annotator"], marks["note"], span=span)
        qdpx = exported(database)
        assert_valid(qdpx, schema)
        assert_sources_hold_the_texts(qdpx, database)
        assert qdpx.codings() == stored_codings(database)
        notes = [note.find("q:PlainTextContent", Q).text for note in qdpx.all("q:Notes/q:Note")]
        stored = [in_xml(lf(text)) for (text,) in database.execute("SELECT text FROM notes")]
        links = database.execute("SELECT count(*) FROM links WHERE annotator IS NOT NULL")
        assert set(stored) <= set(notes) and len(notes) == len(stored) + links.fetchone()[0]
        assert exported(database).raw == qdpx.raw


def test_the_format_is_registered_as_binary():
    from store import EXPORT_FORMATS

    format = EXPORT_FORMATS["qdpx"]
    assert (format.suffix, format.binary) == (".qdpx", True)


@pytest.mark.parametrize(
    ("stored", "written"),
    [
        ("0099-01-01T00:00:00Z", "0099-01-01T00:00:00Z"),  # a four-digit year, as xsd wants
        ("2024-01-02T03:04:05.678+01:00", "2024-01-02T02:04:05Z"),
        ("2024-01-02T03:04:05", "2024-01-02T03:04:05Z"),
        ("not a time", None),
    ],
)
def test_times_are_xsd_datetimes_in_utc(stored, written):
    from store.exporters.qdpx import iso_time

    assert iso_time(stored) == written
