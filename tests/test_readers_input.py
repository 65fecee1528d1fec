"""Bytes and tables as they arrive: encodings and BOMs, line ends, CSV without a header or
with a broken quote, the columns a user chooses, unreadable times and odd top-level JSON."""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pytest

from store.readers import ReadOptions, read_bytes
from store.readers.registry import JSON_FORMATS
from tests.test_readers import error_for, fixture, read_fixture, tombstones, tree

DETECTED = "not UTF-8: read as cp1252, which it looks like (--encoding overrides)"

# --- encodings ----------------------------------------------------------------------------

LATIN = [
    "Le café était fermé, alors nous sommes allés à la crêperie près de l'hôtel.",
    "Die Größe der Äpfel überraschte uns; süße Früchte schmecken später besser.",
    "A informação não está disponível; ações e emoções são difíceis de medir.",
    "Vår båt är större än din, och fåglarna sjöng över sjön i gryningen.",
    "Mostly plain English with one naïve café mention.",
]
CP1252_ONLY = " “Quoted” — it’s €5…"


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
@pytest.mark.parametrize("sentence", LATIN)
@pytest.mark.parametrize("lines", [1, 200])
def test_latin1_and_cp1252_files_are_detected_and_the_guess_is_reported(encoding, sentence, lines):
    text = sentence + (CP1252_ONLY if encoding == "cp1252" else "")
    thread = read_bytes(f"{text}\n".encode(encoding) * lines, "t.txt")
    assert [r.text for r in thread.records] == [text] * lines
    assert thread.warnings == [DETECTED]


@pytest.mark.parametrize("text", ["café", "naïve", "Grüße", "it’s"])
def test_a_word_or_two_of_latin1_is_text_not_binary(text):
    thread = read_bytes(f"{text}\n".encode("cp1252"), "t.txt")
    assert thread.records[0].text == text
    assert thread.warnings == [DETECTED]


def test_a_latin1_csv_with_a_header():
    data = "id,author,text\n1,zoë,Très bien\n2,josé,¿Qué?\n".encode("latin-1")
    thread = read_bytes(data, "t.csv")
    assert [(r.author, r.text) for r in thread.records] == [("zoë", "Très bien"), ("josé", "¿Qué?")]


def test_mostly_utf8_with_bad_bytes_keeps_utf8_and_counts_them():
    data = "Ünïcödé — “quotes” 🧵\n".encode() * 20 + b"bad \xff and \xfe\n"
    thread = read_bytes(data, "t.txt")
    assert thread.records[0].text == "Ünïcödé — “quotes” 🧵"
    assert thread.records[-1].text == "bad \ufffd and \ufffd"
    assert thread.warnings == ["2 bytes are not UTF-8 and became U+FFFD (--encoding overrides)"]


def test_another_script_is_detected_too():
    text = "Привет, как дела? Это проверка кодировки."
    thread = read_bytes(f"{text}\n".encode("cp1251") * 3, "t.txt")
    assert thread.records[0].text == text
    assert thread.warnings == [
        "not UTF-8: read as cp1251, which it looks like (--encoding overrides)"
    ]


def test_a_chosen_encoding_is_used_strictly_and_warns_of_nothing():
    data = "Très “bien”\n".encode("cp1252")
    thread = read_bytes(data, "t.txt", options=ReadOptions(encoding="cp1252"))
    assert (thread.records[0].text, thread.warnings) == ("Très “bien”", [])
    thread = read_bytes(data, "t.txt", options=ReadOptions(encoding="latin-1"))
    assert thread.records[0].text == "Très \x93bien\x94"


def test_a_file_that_is_not_the_chosen_encoding_names_the_byte():
    data = b"fine line\nTr\xe8s bien\n"
    message = error_for(data, "t.txt", encoding="utf-8")
    assert message == "t.txt: not valid utf-8, at byte 12 (invalid continuation byte)"
    assert error_for(b"ok\x81\n", "t.txt", encoding="cp1252").startswith(
        "t.txt: not valid cp1252, at byte 2"
    )


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        ("klingon", "t.txt: unknown encoding 'klingon'"),
        ("utf-8\0", "t.txt: unknown encoding 'utf-8\\x00'"),
        ("rot13", "t.txt: rot-13 is not a text encoding"),
    ],
)
def test_an_unknown_encoding_is_an_error(encoding, message):
    assert error_for(b"hello\n", "t.txt", encoding=encoding) == message


def test_a_chosen_utf8_or_utf16_le_encoding_drops_the_bom():
    thread = read_bytes(codecs.BOM_UTF8 + b"hi\n", "t.txt", options=ReadOptions(encoding="utf-8"))
    assert thread.records[0].text == "hi"
    data = codecs.BOM_UTF16_LE + "hi\n".encode("utf-16-le")
    assert read_bytes(data, "t.txt", options=ReadOptions(encoding="utf-16-le")).records[0].text == (
        "hi"
    )


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_every_bom_is_recognised(bom, codec):
    thread = read_bytes(bom + "héllo\nwörld\n".encode(codec), "t.txt")
    assert [r.text for r in thread.records] == ["héllo", "wörld"]
    assert thread.warnings == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe\x00garbage\x00", "t.txt: not valid UTF-16 LE, as its BOM says, at byte 10"),
        (b"\xfe\xff\x00a\xdc\x00", "t.txt: not valid UTF-16 BE, as its BOM says, at byte 4"),
        (b"\xef\xbb\xbfok \xff\n", "t.txt: not valid UTF-8, as its BOM says, at byte 6"),
        (b"\xff\xfe\x00\x00abc", "t.txt: not valid UTF-32 LE, as its BOM says, at byte 4"),
        (b"\x00\x00\xfe\xff\x00\x11\x00\x00", "t.txt: not valid UTF-32 BE, as its BOM says"),
    ],
)
def test_a_bom_over_bytes_that_do_not_decode_is_bad_input(data, message):
    assert error_for(data, "t.txt").startswith(message)


def test_compressed_data_is_binary():
    data = gzip.compress((Path(__file__).parent.parent / "README.md").read_bytes())
    assert error_for(data, "t.txt").startswith("t.txt is a binary file, not a thread")


def test_text_with_terminal_escapes_is_still_text():
    data = "café \x1b[31mred\x1b[0m and \x1b]52;c;aGk=\x07 a clipboard write\n".encode("latin-1")
    thread = read_bytes(data * 5, "t.txt")
    assert (
        thread.records[0].text == "café \x1b[31mred\x1b[0m and \x1b]52;c;aGk=\x07 a clipboard write"
    )


# --- line ends ----------------------------------------------------------------------------


def test_a_cr_only_file_ends_lines_at_each_cr():
    thread = read_bytes(b"one\rtwo\r\r  \rthree\r", "mac.txt")
    assert [r.text for r in thread.records] == ["one", "two", "three"]
    thread = read_bytes(
        b"one\rstill one\r\rtwo", "mac.txt", options=ReadOptions(split="paragraphs")
    )
    assert [r.text for r in thread.records] == ["one\nstill one", "two"]


def test_a_lone_cr_in_a_file_with_newlines_is_text():
    thread = read_bytes(b"a\rb\nc\r\n", "t.txt")
    assert [r.text for r in thread.records] == ["a\rb", "c"]


def test_cr_only_json_lines():
    thread = read_bytes(b'{"text": "a"}\r{"text": "b"}\r', "t.jsonl")
    assert [r.text for r in thread.records] == ["a", "b"]


def test_cr_only_csv():
    thread = read_bytes(b'id,text\r1,"one\ntwo"\r2,three\r', "t.csv")
    assert [r.text for r in thread.records] == ["one\ntwo", "three"]


# --- CSV ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'id,text\n1,"fine"\n2,"never closed\n3,more\n4,rows\n',
            "t.csv: malformed CSV in the row starting at line 3, which runs on to line 5 "
            "(unexpected end of data)",
        ),
        (
            b'id,text\n1,"fine"\n2,"never closed',
            "t.csv: malformed CSV in the row starting at line 3",
        ),
        (b'id,text\n1,"closed"then more\n', "t.csv: malformed CSV in the row starting at line 2"),
    ],
)
def test_a_broken_quote_is_malformed_csv(data, message):
    assert error_for(data, "t.csv").startswith(message)


def test_an_empty_quoted_cell_is_a_record_and_a_blank_line_is_not():
    thread = read_bytes(b'text\nfirst\n""\n\nlast\n', "t.csv")
    assert [r.text for r in thread.records] == ["first", "", "last"]
    assert [r.is_tombstone for r in thread.records] == [False, True, False]


def test_a_csv_without_a_header_takes_the_longest_column_as_the_text():
    thread = read_fixture("headerless.csv")
    assert thread.format == "csv"
    assert len(thread.records) == 6
    assert thread.records[0].text == (
        "The new crossing by the school made mornings calmer, even if the detour is longer."
    )
    assert [r.is_tombstone for r in thread.records] == [False] * 5 + [True]
    assert thread.warnings == [
        "no header row, so the first row is a comment",
        "the text is column 5, whose cells are longest (--text-column overrides)",
    ]


def test_a_csv_without_a_header_takes_columns_by_number():
    columns = {"platform_id": 1, "parent_id": 2, "author": 3, "created_at": 4}
    thread = read_fixture("headerless.csv", columns=columns)
    assert tree(thread) == [
        ("h1", None),
        ("h2", "h1"),
        ("h3", "h2"),
        ("h4", None),
        ("h5", "h4"),
        ("h6", "h1"),
    ]
    assert tombstones(thread) == ["h6"]
    assert (thread.records[4].author, thread.records[4].created_at) == (
        "teacher_ann",
        "2024-03-05T11:30:00Z",
    )
    thread = read_fixture("headerless.csv", columns={**columns, "text": 5})
    assert thread.warnings == ["no header row, so the first row is a comment"]


@pytest.mark.parametrize(
    ("data", "records"),
    [
        (fixture("comments.csv"), 5),
        (fixture("comments.tsv"), 2),
        (fixture("headerless.csv"), 6),
        (b'Kommentar,Autor\nDas finde ich auch richtig.,anna\n"Nein, danke sehr",bert\n', 2),
        (b"x,y\n1,2\n3,4\n", 2),
        (b'agreed\n"same here, honestly"\nno\n', 3),
        (b"2024-01-01,hello there\n2024-01-02,general reply\n", 2),
        (b"I think so.\nMe too!\n", 2),
    ],
)
def test_a_header_row_is_told_from_data(data, records):
    name = "t.tsv" if b"\t" in data else "t.csv"
    assert len(read_bytes(data, name).records) == records


def test_a_csv_of_one_row_and_one_column_is_one_comment():
    thread = read_bytes(b"hello\n", "t.csv")
    assert [r.text for r in thread.records] == ["hello"]
    assert thread.warnings == ["no header row, so the first row is a comment"]


def test_a_header_of_unknown_names_takes_the_longest_column_as_the_text():
    data = b'Kommentar,Autor\nDas finde ich auch richtig.,anna\n"Nein, danke sehr",bert\n'
    thread = read_bytes(data, "t.csv")
    assert [r.text for r in thread.records] == ["Das finde ich auch richtig.", "Nein, danke sehr"]
    assert thread.warnings == [
        "the text is column 'Kommentar', whose cells are longest (--text-column overrides)"
    ]


def test_chosen_columns_by_name_win_over_the_usual_names():
    data = b"id,text,comment,who\n1,short,The real comment,ann\n"
    thread = read_bytes(
        data, "t.csv", options=ReadOptions(columns={"text": "Comment", "author": "WHO"})
    )
    assert (thread.records[0].text, thread.records[0].author) == ("The real comment", "ann")
    thread = read_bytes(data, "t.csv", options=ReadOptions(columns={"text": 3}))
    assert thread.records[0].text == "The real comment"


def test_a_chosen_name_in_the_first_row_makes_it_a_header():
    data = b"Kommentar;Wer\nSehr gut gesagt, danke dir;anna\nNein;bo\n"
    thread = read_bytes(data, "t.csv", options=ReadOptions(columns={"text": "kommentar"}))
    assert [r.text for r in thread.records] == ["Sehr gut gesagt, danke dir", "Nein"]


@pytest.mark.parametrize(
    ("data", "columns", "message"),
    [
        (
            b"id,text\n1,a\n",
            {"text": "body"},
            "t.csv: no column 'body' for the text (the header has 'id', 'text')",
        ),
        (b"id,text\n1,a\n", {"author": 3}, "t.csv: no column 3 for the author: the file has 2"),
        (
            b"1,a long enough comment\n",
            {"text": "body"},
            "t.csv: no column 'body' for the text: the file has no header row, so its columns "
            "are numbered 1 to 2",
        ),
        (
            b"1,a long enough comment\n",
            {"text": 9},
            "t.csv: no column 9 for the text: the file has 2",
        ),
        (b"id,text\n1,a\n", {"text": 0}, "t.csv: columns are numbered from 1, not 0"),
        (b"id,text\n1,a\n", {"text": True}, "t.csv: the text column must be a name or a number"),
        (b"id,text\n1,a\n", {"txt": 1}, "t.csv: no record field 'txt' to choose a column for"),
    ],
)
def test_a_chosen_column_that_is_not_there_is_an_error(data, columns, message):
    assert error_for(data, "t.csv", columns=columns).startswith(message)


def test_json_lines_take_chosen_fields_by_name():
    data = b'{"id": 1, "Msg": "hello", "text": "not this"}\n{"id": 2, "msg": "again"}\n'
    thread = read_bytes(data, "t.jsonl", options=ReadOptions(columns={"text": "msg"}))
    assert [r.text for r in thread.records] == ["hello", "again"]


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"text": 2}, "t.jsonl: JSON Lines fields have names, not numbers (column 2 for the text)"),
        ({"author": "who"}, "t.jsonl: no line has a field 'who' for the author"),
    ],
)
def test_a_chosen_json_lines_field_that_is_not_there_is_an_error(columns, message):
    assert error_for(b'{"text": "a"}\n', "t.jsonl", columns=columns) == message


# --- times --------------------------------------------------------------------------------

BAD_TIMES = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00", 1e300]
THREE_UNREADABLE = (
    "3 comments have a time that cannot be read (out of range or malformed); kept without a time"
)


def _reddit_with_times(times: list[object]) -> bytes:
    page = json.loads(fixture("reddit_thread.json"))
    things = page[1]["data"]["children"]
    for thing, time in zip(things[1:], times, strict=False):
        thing["data"]["created_utc"] = time
    return json.dumps(page).encode()


def _lemmy_with_times(times: list[object]) -> bytes:
    views = json.loads(fixture("lemmy_v3.json"))
    for view, time in zip(views["comments"], times, strict=False):
        view["comment"]["published"] = time
    return json.dumps(views).encode()


def _hn_with_times(times: list[object]) -> bytes:
    items = json.loads(fixture("hn_firebase.json"))
    for item, time in zip(items[1:], times, strict=False):
        item["time"] = time
    return json.dumps(items).encode()


def _mastodon_with_times(times: list[object]) -> bytes:
    context = json.loads(fixture("mastodon_context.json"))
    for status, time in zip(context["descendants"], times, strict=False):
        status["created_at"] = time
    return json.dumps(context).encode()


def _export_with_times(times: list[object]) -> bytes:
    export = json.loads(fixture("export.json"))
    occurrences = [o for comment in export["comments"] for o in comment["occurrences"]]
    for occurrence, time in zip(occurrences, times, strict=False):
        occurrence["created_at"] = time
    return json.dumps(export).encode()


def _csv_with_times(times: list[object]) -> bytes:
    rows = "".join(f"c{n},{time},comment {n}\n" for n, time in enumerate([*times, 1704164645]))
    return f"id,time,text\n{rows}".encode()


def _jsonl_with_times(times: list[object]) -> bytes:
    rows = [{"id": n, "time": time, "text": f"comment {n}"} for n, time in enumerate(times)]
    return "".join(json.dumps(row) + "\n" for row in [*rows, {"id": 9, "text": "no time"}]).encode()


@pytest.mark.parametrize(
    ("name", "data", "records"),
    [
        ("r.json", _reddit_with_times([1e300, float("nan"), 10**30]), 9),
        ("l.json", _lemmy_with_times(BAD_TIMES), 8),
        ("h.json", _hn_with_times([float("inf"), 1e300, "yesterday"]), 7),
        ("m.json", _mastodon_with_times(BAD_TIMES), 4),
        ("e.json", _export_with_times(BAD_TIMES), 4),
        ("t.csv", _csv_with_times(BAD_TIMES), 4),
        ("t.jsonl", _jsonl_with_times(BAD_TIMES), 4),
    ],
)
def test_unreadable_times_keep_the_comment_and_warn_once(name, data, records):
    thread = read_bytes(data, name)
    assert len(thread.records) == records
    assert sum(r.created_at is None for r in thread.records) >= 3
    assert thread.warnings == [THREE_UNREADABLE]


def test_one_unreadable_time_is_one_comment():
    thread = read_bytes(b"id,time,text\n1,yesterday,hello\n", "t.csv")
    assert thread.warnings == [
        "1 comment has a time that cannot be read (out of range or malformed); kept without a time"
    ]


# --- odd top-level JSON -------------------------------------------------------------------


@pytest.mark.parametrize("document", ["3", "true", "1.5", '"x"', "null", "-0", "[3]", '["x"]'])
@pytest.mark.parametrize("format", ["auto", *(format.name for format in JSON_FORMATS)])
def test_a_json_scalar_is_a_one_line_error_in_every_format(document, format):
    message = error_for(document.encode(), "x.json", format)
    assert message.startswith("x.json: ")
