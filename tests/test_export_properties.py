"""Every exporter, for any text at all: what is stored is what comes out.

Comments, authors, tag names, annotators, notes and link notes are drawn from all of Unicode
(controls, lone surrogates, formula triggers, quotes, line breaks, long strings), imported
through the store into a real database and annotated through ``store.annotate``.  The CSVs
parse back to the stored cells (formula triggers behind an apostrophe), JSON and JSON Lines to
the stored text, and the JSON export imported again gives every occurrence its text back.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import tempfile
import unicodedata
from contextlib import closing
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import add_link, create_tag, export, import_file, open_database, set_note, toggle_tag
from store.exporters import structured, tabular
from store.exporters.comments import export_comments, link_rows
from store.exporters.tabular import COMMENT_COLUMNS, LINK_COLUMNS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Lone surrogates only where a JSON file can carry them (the store keeps U+FFFD instead);
# what people type (annotators, notes) is a real string.
ANY_CHARACTER = st.characters(exclude_categories=())
TYPED_CHARACTER = st.characters(exclude_categories=("Cs",))
PREFIXES = st.sampled_from(["", "=", "+", "-", "@", "\t", "\r", "\n", '"', "'", ",", " "])


def hostile(characters: st.SearchStrategy[str], max_size: int = 30) -> st.SearchStrategy[str]:
    """A formula trigger or quote, then anything; now and then some 10 KB of it."""
    short = st.builds(str.__add__, PREFIXES, st.text(characters, max_size=max_size))
    long = st.builds(lambda piece: (piece * 10_240)[:10_240], st.text(characters, min_size=1))
    return st.one_of(short, short, short, long)


def respellings(text: str) -> st.SearchStrategy[str]:
    """``text`` as folding may see it again: in another case, spacing or Unicode form."""
    return st.sampled_from(
        [
            text,
            text.upper(),
            text.swapcase(),
            f"  {text}\t",
            text.replace(" ", "\u00a0 "),
            unicodedata.normalize("NFD", text),
            unicodedata.normalize("NFKC", text),
            text + "\u200b",
        ]
    )


def threads(characters: st.SearchStrategy[str]) -> st.SearchStrategy[list[tuple]]:
    """A thread's comments (text, author): anything at all, and one person's respellings of
    one text, which fold together.  A thread whose every comment is blank is refused as misread.
    """
    return (
        st.text(characters, min_size=12, max_size=40)
        .flatmap(
            lambda text: st.lists(
                st.one_of(
                    st.tuples(hostile(characters), st.none() | hostile(characters)),
                    st.tuples(respellings(text), st.just("ann")),
                ),
                min_size=1,
                max_size=6,
            )
        )
        .filter(lambda comments: any(text.strip() for text, _ in comments))
    )


annotations = st.fixed_dictionaries(
    {
        # The store drops controls from a tag name and refuses an empty one: end on a letter.
        "tag": hostile(ANY_CHARACTER).map(lambda name: name[:60] + "t"),
        "annotator": hostile(TYPED_CHARACTER),
        "note": hostile(TYPED_CHARACTER),
        "link_note": hostile(TYPED_CHARACTER),
    }
)


def imported(directory: Path, comments: list[tuple[str, str | None]]) -> sqlite3.Connection:
    """A database holding ``comments`` (text, author), read from a JSON Lines file."""
    source = directory / "thread.jsonl"
    # ensure_ascii spells every character as an escape: lone surrogates and all.
    lines = [json.dumps({"text": text, "author": author}) for text, author in comments]
    source.write_text("\n".join(lines) + "\n", encoding="ascii")
    db = open_database(directory / "threadmark.db")
    import_file(db, source)
    return db


def annotate(db: sqlite3.Connection, marks: dict[str, str]) -> None:
    """A new tag on every comment that has words, a note on the first, a link from the last."""
    tag = create_tag(db, marks["tag"], marks["annotator"])
    clusters = [row[0] for row in db.execute("SELECT id FROM clusters ORDER BY id")]
    for (cluster,) in db.execute("SELECT id FROM clusters WHERE NOT is_tombstone").fetchall():
        toggle_tag(db, cluster, tag.id, marks["annotator"])
    set_note(db, clusters[0], marks["annotator"], marks["note"])
    if len(clusters) > 1:
        add_link(db, clusters[-1], clusters[0], "rebuts", marks["annotator"], marks["link_note"])


def exported(db: sqlite3.Connection, format: str) -> str:
    out = io.BytesIO()
    export(db, format, out)
    return out.getvalue().decode("utf-8")


def cell(value: object) -> str:
    """A stored value as the CSV shows it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_records(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def stored(db: sqlite3.Connection, sql: str) -> list[tuple]:
    return db.execute(sql).fetchall()


@PROPERTY_SETTINGS
@given(comments=threads(ANY_CHARACTER), marks=annotations)
def test_every_export_gives_back_what_is_stored(comments, marks):
    with (
        tempfile.TemporaryDirectory() as directory,
        closing(imported(Path(directory), comments)) as db,
    ):
        annotate(db, marks)
        clusters = stored(db, "SELECT id, author, text FROM clusters ORDER BY id")
        tags = stored(
            db,
            "SELECT group_concat(t.name) FROM clusters c "
            "LEFT JOIN annotations a ON a.cluster_id = c.id LEFT JOIN tags t ON t.id = a.tag_id "
            "GROUP BY c.id ORDER BY c.id",
        )
        note = stored(db, "SELECT text FROM notes")
        links = stored(
            db,
            "SELECT l.source_cluster, l.target_cluster, l.annotator, l.note, s.text, t.text "
            "FROM links l JOIN clusters s ON s.id = l.source_cluster "
            "JOIN clusters t ON t.id = l.target_cluster WHERE l.annotator IS NOT NULL",
        )

        rows = csv_records(exported(db, "csv"))
        assert tuple(rows[0]) == COMMENT_COLUMNS
        named = [dict(zip(COMMENT_COLUMNS, row, strict=True)) for row in rows[1:]]
        assert [(row["id"], row["author"], row["text"]) for row in named] == [
            (str(id), cell(author), cell(text)) for id, author, text in clusters
        ]
        assert [row["tags"] for row in named] == [cell(tag) for (tag,) in tags]
        assert named[0]["note"] == cell(note[0][0] if note else None)

        link_rows = [
            dict(zip(LINK_COLUMNS, row, strict=True))
            for row in csv_records(exported(db, "links-csv"))[1:]
        ]
        assert [
            tuple(row[key] for key in ("source", "target", "annotator", "note",
                                       "source_text", "target_text"))
            for row in link_rows
            if row["kind"] == "rebuts"
        ] == [tuple(cell(value) for value in link) for link in links]  # fmt: skip

        data = json.loads(exported(db, "json"))
        assert [(c["id"], c["author"], c["text"]) for c in data["comments"]] == clusters
        assert [c["tags"] for c in data["comments"]] == [[tag] if tag else [] for (tag,) in tags]
        assert [[a["annotator"] for a in c["annotations"]] for c in data["comments"]] == [
            [marks["annotator"]] if tag else [] for (tag,) in tags
        ]
        assert data["comments"][0]["note"] == (note[0][0] if note else None)
        assert [(link["note"]) for link in data["links"] if link["kind"] == "rebuts"] == [
            link[3] for link in links
        ]
        jsonl = exported(db, "jsonl").split("\n")
        assert jsonl[-1] == ""
        assert [json.loads(line) for line in jsonl[:-1]] == data["comments"]


def annotate_segments(db: sqlite3.Connection, marks: dict[str, str]) -> None:
    """A tag, a note and a link on a range of the first comment with words, the range cut
    anywhere in the text, and a link from the last comment to it."""
    row = db.execute("SELECT id, text FROM clusters WHERE NOT is_tombstone ORDER BY id").fetchone()
    if row is None:
        return
    cluster, text = row
    span = (len(text) // 3, max(len(text) // 3 + 1, 2 * len(text) // 3))
    tag = create_tag(db, marks["tag"] + " s", marks["annotator"])
    toggle_tag(db, cluster, tag.id, marks["annotator"], span)
    set_note(db, cluster, marks["annotator"], marks["note"], span=span)
    last = db.execute("SELECT max(id) FROM clusters").fetchone()[0]
    add_link(db, last, cluster, "supports", marks["annotator"], target_span=span)


@PROPERTY_SETTINGS
@given(comments=threads(ANY_CHARACTER), marks=annotations)
def test_the_json_sqlite_spells_out_is_what_python_writes(comments, marks):
    """SQLite writes most of each comment and link of the JSON exports (for speed): they must
    be what the encoder writes of ``comment_object`` and ``link_rows``, byte for byte."""
    with (
        tempfile.TemporaryDirectory() as directory,
        closing(imported(Path(directory), comments)) as db,
    ):
        annotate(db, marks)
        annotate_segments(db, marks)

        def encoded(value: object) -> str:
            return structured._dumps(value).replace("\x7f", "\\u007f")

        comment_lines = [encoded(structured.comment_object(c)) for c in export_comments(db)]
        assert exported(db, "jsonl").split("\n") == [*comment_lines, ""]
        lines = exported(db, "json").split("\n")
        comments_at, links_at = lines.index('"comments":['), lines.index('"links":[')
        assert [line.removesuffix(",") for line in lines[comments_at + 1 : links_at - 1]] == (
            comment_lines
        )
        assert [line.removesuffix(",") for line in lines[links_at + 1 : -2]] == [
            encoded(link) for link in link_rows(db, None, by_source=True)
        ]


@PROPERTY_SETTINGS
@given(comments=threads(ANY_CHARACTER))
def test_the_json_export_imported_again_keeps_every_occurrence(comments):
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        with closing(imported(directory, comments)) as db:
            occurrences = "SELECT position, author, text FROM comments ORDER BY position"
            before = stored(db, occurrences)
            (directory / "export.json").write_text(exported(db, "json"), encoding="utf-8")
        again = directory / "again"
        again.mkdir()
        with closing(open_database(again / "threadmark.db")) as other:
            import_file(other, directory / "export.json")
            assert stored(other, occurrences) == before
        expected = [
            text.encode("utf-16", "surrogatepass")
            .decode("utf-16", "replace")
            .replace("\0", "\ufffd")
            for text, _ in comments
        ]
        assert [text for _, _, text in before] == expected


@PROPERTY_SETTINGS
@given(value=st.one_of(st.none(), st.integers(), hostile(ANY_CHARACTER)))
def test_the_comment_table_writes_each_cell_as_the_csv_module_would(value):
    """The comment table is written without the csv module (for speed): its cells must be
    the csv module's, byte for byte, neutralised or not."""

    def by_csv(value: object) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow(["x", value])
        return out.getvalue()[len("x,") : -len("\r\n")]

    assert tabular.cell(value) == by_csv(value)
    if not isinstance(value, int):
        assert tabular.text_cell(value) == by_csv(tabular.neutralise(value))
