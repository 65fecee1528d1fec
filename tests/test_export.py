"""Exports: the JSON shape of the contract, counts that agree with stats, CSV that parses back
and cannot run as a formula, JSON that stays valid whatever the comments hold, atomic files."""

from __future__ import annotations

import csv
import dataclasses
import errno
import io
import json

import pytest

from store import (
    EXPORT_FORMATS,
    add_link,
    create_tag,
    export,
    import_file,
    set_note,
    thread_stats,
    toggle_tag,
)
from store.records import ReadOptions
from store.schema import HUMAN_LINK_KINDS

CLAIM, EVIDENCE = 1, 2
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def exported(db, format: str, thread_id: int | None = None) -> str:
    out = io.BytesIO()
    export(db, format, out, thread_id)
    return out.getvalue().decode("utf-8")


def exported_json(db, thread_id: int | None = None) -> dict:
    return json.loads(exported(db, "json", thread_id))


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
def db(open_db, seed_path):
    """The seed, tagged by alice and bob, two links, notes from both on comment 1."""
    database = open_db()
    import_file(database, seed_path)
    toggle_tag(database, 1, CLAIM, "alice")
    toggle_tag(database, 1, CLAIM, "bob")
    toggle_tag(database, 1, EVIDENCE, "bob")
    toggle_tag(database, 2, EVIDENCE, "bob")
    add_link(database, 3, 1, "rebuts", "alice", note="not so")
    add_link(database, 5, 4, "supports", "bob")
    set_note(database, 1, "alice", "the opening claim")
    set_note(database, 1, "bob", "agreed")
    return database


def write_lines(path, lines: list[str]):
    path.write_bytes("\n".join(lines).encode("utf-8") + b"\n")
    return path


# --- JSON ------------------------------------------------------------------------------------


def test_json_has_the_documented_shape(db):
    data = exported_json(db)
    assert {"threads", "tags", "comments", "links"} <= data.keys()
    assert [thread["id"] for thread in data["threads"]] == [1]

    assert len(data["tags"]) == 9
    for tag in data["tags"]:
        assert {"name", "hotkey", "color", "description"} <= tag.keys()
    assert data["tags"][0] == {**data["tags"][0], "name": "claim", "hotkey": "1"}

    comment_keys = {"id", "thread", "text", "author", "occurrences", "tombstone", "tags",
                    "annotations", "note"}  # fmt: skip
    for comment in data["comments"]:
        assert comment_keys <= comment.keys()
        for occurrence in comment["occurrences"]:
            assert {"position", "platform_id", "author", "created_at"} <= occurrence.keys()
        for annotation in comment["annotations"]:
            assert {"tag", "annotator", "created_at"} <= annotation.keys()
    for link in data["links"]:
        assert {"source", "target", "kind", "annotator", "note"} <= link.keys()

    first, second, tombstone = data["comments"][0], data["comments"][1], data["comments"][9]
    assert (first["id"], first["thread"]) == (1, 1)
    assert [o["position"] for o in first["occurrences"]] == [1, 10]
    assert first["tags"] == ["claim", "evidence"]
    assert [(a["tag"], a["annotator"]) for a in first["annotations"]] == [
        ("claim", "alice"), ("claim", "bob"), ("evidence", "bob"),
    ]  # fmt: skip
    assert first["note"] == "alice: the opening claim\nbob: agreed"
    assert second["note"] is None and second["tags"] == ["evidence"]
    assert (tombstone["id"], tombstone["text"], tombstone["tombstone"]) == (
        10,
        "deleted by creator",
        True,
    )
    assert [o["position"] for o in tombstone["occurrences"]] == [16]
    link_fields = ("source", "target", "kind", "annotator", "note")
    assert [tuple(link[key] for key in link_fields) for link in data["links"]] == [
        (3, 1, "rebuts", "alice", "not so"),
        (5, 4, "supports", "bob", ""),
    ]


def test_a_single_note_is_the_text_alone(db):
    set_note(db, 1, "bob", "")
    assert exported_json(db)["comments"][0]["note"] == "the opening claim"


def test_counts_in_the_export_agree_with_stats(db):
    data = exported_json(db)
    counts = thread_stats(db)
    comments = data["comments"]
    assert len(data["threads"]) == counts["threads"]
    assert len(data["tags"]) == counts["tags"]
    assert sum(len(c["occurrences"]) for c in comments) == counts["comments"] == 20
    assert sum(not c["tombstone"] for c in comments) == counts["unique"] == 10
    assert sum(c["tombstone"] for c in comments) == counts["tombstones"] == 1
    assert sum(len(c["occurrences"]) - 1 for c in comments) == counts["duplicates"] == 9
    assert sum(len(c["annotations"]) for c in comments) == counts["annotations"] == 4
    assert sum(bool(c["tags"]) for c in comments) == counts["annotated"] == 2
    human = [link for link in data["links"] if link["kind"] in HUMAN_LINK_KINDS]
    assert len(human) == counts["links"] == 2
    assert len(data["links"]) - len(human) == counts["structural_links"]
    assert sum(c["note"] is not None for c in comments) == 1
    assert len(exported(db, "jsonl").splitlines()) == len(comments)
    assert len(csv_rows(exported(db, "csv"))) == len(comments)


def test_jsonl_lines_are_the_json_comments(db):
    lines = exported(db, "jsonl").split("\n")
    assert lines[-1] == ""
    assert [json.loads(line) for line in lines[:-1]] == exported_json(db)["comments"]


HOSTILE = [
    "\x1b[31mred\x1b[0m then \x1b]52;c;ZXZpbA==\x07 a clipboard write and \x1b[2J a clear",
    "[bold]not bold[/bold] [link=https://evil.example]click[/link] [@click=app.quit]quit[/]",
    "\u202eevil bidi override\u202c and a zero\u200bwidth space",
    'a "quoted" word, a comma, a backslash \\ and a tab\there',
    "control \x01\x02\x7f\x9b characters and a form\x0cfeed",
    "line\u2028separator and next\x85line",
]


def test_json_of_hostile_text_is_valid_and_exact(open_db, tmp_path):
    db = open_db()
    import_file(db, write_lines(tmp_path / "hostile.txt", HOSTILE))
    toggle_tag(db, 1, CLAIM, "[red]alice\x1b")
    set_note(db, 2, "bob", "\x1b]0;title\x07 [b]note[/b]")
    raw = exported(db, "json")
    assert "\x1b" not in raw and "\x07" not in raw  # escaped, never raw
    data = json.loads(raw)
    assert [comment["text"] for comment in data["comments"]] == HOSTILE
    assert data["comments"][0]["annotations"][0]["annotator"] == "[red]alice\x1b"
    assert data["comments"][1]["note"] == "\x1b]0;title\x07 [b]note[/b]"

    jsonl = exported(db, "jsonl")
    assert [json.loads(line)["text"] for line in jsonl.split("\n")[:-1]] == HOSTILE


def test_a_multi_line_comment_stays_on_one_jsonl_line(open_db, tmp_path):
    db = open_db()
    source = tmp_path / "paragraphs.txt"
    source.write_text("first line\nsecond line\n\nanother comment\r\n", encoding="utf-8")
    import_file(db, source, options=ReadOptions(split="paragraphs"))
    lines = exported(db, "jsonl").split("\n")
    assert [json.loads(line)["text"] for line in lines[:-1]] == [
        "first line\nsecond line",
        "another comment",
    ]


# --- CSV -------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\tTAB()", "\rCR()", "=1+1"]
HARMLESS = ['plain, with "quotes" and a comma', "multi\u2028line", " =leading space", "ok -2"]


@pytest.fixture
def hostile_db(open_db, tmp_path):
    db = open_db()
    import_file(db, write_lines(tmp_path / "formulas.txt", FORMULAS + HARMLESS))
    evil = create_tag(db, "=evil()", "alice")
    toggle_tag(db, 1, evil.id, "alice")
    add_link(db, 2, 1, "rebuts", "alice", note="-note")
    add_link(db, 8, 1, "supports", "@bob", note="fine")
    return db


def neutralised(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def test_csv_neutralises_formulas_and_parses_back_to_the_same_texts(hostile_db):
    raw = exported(hostile_db, "csv")
    rows = csv_rows(raw)
    texts = [row["text"] for row in rows]
    assert texts == [neutralised(text) for text in FORMULAS + HARMLESS]
    for cell in texts[: len(FORMULAS)]:
        assert cell.startswith("'")
    assert texts[len(FORMULAS) :] == HARMLESS  # everything else exactly as written
    assert rows[0]["tags"] == "'=evil()"
    for row in rows:
        for value in row.values():
            assert not value.startswith(FORMULA_STARTS), row
    assert raw.startswith("id,number,thread,position,") and raw.endswith("\r\n")


def test_links_csv_has_one_row_per_link_with_both_texts(hostile_db):
    rows = csv_rows(exported(hostile_db, "links-csv"))
    assert [(r["source"], r["target"], r["kind"], r["annotator"], r["note"]) for r in rows] == [
        ("2", "1", "rebuts", "alice", "'-note"),
        ("8", "1", "supports", "'@bob", "fine"),
    ]
    assert [(r["source_text"], r["target_text"]) for r in rows] == [
        ("'+1+1", "'" + FORMULAS[0]),
        (HARMLESS[0], "'" + FORMULAS[0]),
    ]
    for row in rows:
        assert row["created_at"].endswith("Z")


def test_csv_of_the_seed_round_trips_every_text(db):
    rows = csv_rows(exported(db, "csv"))
    stored = db.execute("SELECT id, text FROM clusters ORDER BY id").fetchall()
    assert [(int(row["id"]), row["text"]) for row in rows] == stored
    first = rows[0]
    assert (first["tags"], first["rebuts"], first["occurrences"], first["tombstone"]) == (
        "claim;evidence",
        "",
        "2",
        "0",
    )
    assert rows[2]["rebuts"] == "1" and rows[4]["supports"] == "4"
    assert rows[9]["tombstone"] == "1"


def test_csv_lists_a_comments_link_targets_in_the_order_linked_each_once(db):
    add_link(db, 3, 6, "rebuts", "bob")
    add_link(db, 3, 2, "rebuts", "alice")
    add_link(db, 3, 6, "rebuts", "alice")
    add_link(db, 3, 4, "supports", "bob")
    row = csv_rows(exported(db, "csv"))[2]
    assert (row["rebuts"], row["supports"]) == ("1;6;2", "4")


def test_links_csv_of_the_seed(db):
    rows = csv_rows(exported(db, "links-csv"))
    texts = dict(db.execute("SELECT id, text FROM clusters").fetchall())
    assert [(r["source"], r["target"], r["kind"]) for r in rows] == [
        ("3", "1", "rebuts"),
        ("5", "4", "supports"),
    ]
    for row in rows:
        assert row["source_text"] == texts[int(row["source"])]
        assert row["target_text"] == texts[int(row["target"])]


# --- selections ------------------------------------------------------------------------------


@pytest.mark.parametrize("thread_id", [None, 99])
def test_an_empty_selection_is_still_a_valid_export(open_db, seed_path, thread_id):
    db = open_db()
    if thread_id is not None:
        import_file(db, seed_path)  # a thread, but not the one asked for
    data = exported_json(db, thread_id)
    assert (data["threads"], data["comments"], data["links"]) == ([], [], [])
    assert len(data["tags"]) == 9
    assert exported(db, "jsonl", thread_id) == ""
    for format in ("csv", "links-csv"):
        raw = exported(db, format, thread_id)
        assert raw.count("\r\n") == 1 and len(list(csv.reader(io.StringIO(raw)))) == 1


def test_a_thread_selection_exports_that_thread_only(db, tmp_path):
    other = import_file(db, write_lines(tmp_path / "other.txt", ["one more", "and another"]))
    toggle_tag(db, 12, CLAIM, "alice")
    add_link(db, 13, 12, "rephrases", "alice")

    second = exported_json(db, other.thread_id)
    assert [c["id"] for c in second["comments"]] == [12, 13]
    assert [(link["source"], link["target"]) for link in second["links"]] == [(13, 12)]
    assert [t["id"] for t in second["threads"]] == [2]
    first = exported_json(db, 1)
    assert [c["id"] for c in first["comments"]] == list(range(1, 12))
    assert len(first["links"]) == 2
    everything = exported_json(db)
    assert len(everything["comments"]) == 13 and len(everything["links"]) == 3
    assert [r["id"] for r in csv_rows(exported(db, "csv", 2))] == ["12", "13"]


def test_exports_keep_the_stable_id_and_add_the_number_the_reader_shows(db, tmp_path):
    other = import_file(db, write_lines(tmp_path / "other.txt", ["one more", "and another"]))
    add_link(db, 13, 12, "rebuts", "alice")
    second = exported_json(db, other.thread_id)
    assert [(c["id"], c["number"]) for c in second["comments"]] == [(12, 1), (13, 2)]
    link = second["links"][0]
    assert (link["source"], link["target"]) == (13, 12)
    assert (link["source_number"], link["target_number"]) == (2, 1)
    rows = csv_rows(exported(db, "csv", other.thread_id))
    assert [(r["id"], r["number"]) for r in rows] == [("12", "1"), ("13", "2")]
    edges = csv_rows(exported(db, "links-csv", other.thread_id))
    assert [(e["source"], e["source_number"], e["target_number"]) for e in edges] == [
        ("13", "2", "1")
    ]
    line = json.loads(exported(db, "jsonl", other.thread_id).splitlines()[0])
    assert (line["id"], line["number"]) == (12, 1)


def test_the_contract_formats_are_registered():
    assert {"csv", "links-csv", "json", "jsonl"} <= EXPORT_FORMATS.keys()


# --- writing a file --------------------------------------------------------------------------


def test_a_failed_export_leaves_the_old_file_and_no_partial(
    call_cli, seeded_db, tmp_path, monkeypatch
):
    target = tmp_path / "out.csv"
    target.write_text("the previous export\n")

    def disk_full(db, out, thread_id, options):
        out.write(b"id,text\r\n1,half a row")
        raise OSError(errno.ENOSPC, "No space left on device")

    csv = EXPORT_FORMATS["csv"]
    monkeypatch.setitem(EXPORT_FORMATS, "csv", dataclasses.replace(csv, write=disk_full))
    returncode, stdout, stderr = call_cli(
        "export", "--db", seeded_db, "--format", "csv", "-o", target
    )
    assert (returncode, stdout) == (2, "")
    assert stderr == f"threadmark: error: cannot write {target}: No space left on device\n"
    assert target.read_text() == "the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("out")) == ["out.csv"]


def test_a_successful_export_leaves_no_partial(call_cli, seeded_db, tmp_path):
    for format in ("csv", "links-csv", "json", "jsonl"):
        target = tmp_path / f"export.{format}"
        assert call_cli("export", "--db", seeded_db, "--format", format, "-o", target)[0] == 0
        assert target.stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir() if "export" in p.name) == [
        "export.csv", "export.json", "export.jsonl", "export.links-csv",
    ]  # fmt: skip


def test_near_duplicate_wording_survives_export_and_reimport(open_db, tmp_path):
    original = "Training a model on images is not the same as keeping copies of them forever."
    variant = "Training a model on images is not the same as keeping copies of them forever!!"
    source = tmp_path / "near.txt"
    write_lines(source, [original, variant])
    db = open_db()
    import_file(db, source)
    occurrences = exported_json(db)["comments"][0]["occurrences"]
    assert "text" not in occurrences[0]  # the canonical's text is the comment's
    assert occurrences[1]["text"] == variant
    again = tmp_path / "again.json"
    again.write_text(exported(db, "json"), encoding="utf-8")
    other = open_db(tmp_path / "other.db")
    import_file(other, again)
    stored = other.execute("SELECT text, folded FROM comments ORDER BY position").fetchall()
    assert stored == [
        (original, None),
        (variant, "near"),
    ]


def test_a_file_is_written_whole_with_the_usual_permissions_or_not_at_all(tmp_path):
    from store.files import atomic_write

    target = tmp_path / "out.bin"
    with atomic_write(target) as file:
        file.write(b"whole")
        assert not target.exists()  # nothing there until it is all written
    assert target.read_bytes() == b"whole"
    assert target.stat().st_mode & 0o777 == 0o666 & ~current_umask()
    with pytest.raises(KeyboardInterrupt), atomic_write(target) as file:
        file.write(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"whole"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def current_umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- streaming -------------------------------------------------------------------------------


@pytest.mark.parametrize("format", [name for name, f in EXPORT_FORMATS.items() if not f.needs])
def test_an_export_runs_as_many_queries_for_a_long_thread_as_for_a_short_one(
    open_db, tmp_path, format
):
    """Rows come from a few queries read alongside each other, never a lookup per comment:
    a thread ten times as long, as annotated, runs the same statements."""

    def statements(n: int) -> int:
        source = write_lines(
            tmp_path / f"thread-{n}.jsonl",
            [
                json.dumps(
                    {
                        "id": f"c{i}",
                        "parent": f"c{i - 1}" if i % 3 else None,
                        "author": f"user{i}",
                        "text": f"Comment {i} says one thing. And then another.",
                    }
                )
                for i in range(n)
            ],
        )
        database = open_db(tmp_path / f"thread-{n}.db")
        import_file(database, source)
        for cluster_id in range(1, n + 1, 4):
            toggle_tag(database, cluster_id, CLAIM, "alice")
            set_note(database, cluster_id, "bob", "see this")
            add_link(database, cluster_id + 1, cluster_id, "rebuts", "alice")
        run: list[str] = []
        database.set_trace_callback(run.append)
        export(database, format, io.BytesIO())
        database.set_trace_callback(None)
        return len(run)

    assert statements(80) == statements(8)
