"""The readers: every format, sniffing, tombstones, reading order, and every kind of bad input."""

from __future__ import annotations

import contextlib
import copy
import json
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store.errors import ThreadmarkError
from store.ingest import read_source
from store.readers import FORMATS, ReadOptions, read_bytes
from store.readers.common import UnreadableTime, iso_utc
from store.readers.html import html_to_text
from store.records import ParsedThread

FIXTURES = Path(__file__).parent / "fixtures"
SEED = Path(__file__).parent.parent / "seeds" / "000_661a8b21aa12c001.txt"
JSON_FIXTURES = [
    "reddit_thread.json",
    "reddit_escaped.json",
    "lemmy_v3.json",
    "lemmy_v4.json",
    "piefed_comments.json",
    "hn_algolia.json",
    "hn_firebase.json",
    "hn_hnapi.json",
    "hn_flat.json",
    "hn_search.json",
    "mastodon_context.json",
    "mastodon_status.json",
    "mastodon_thread.json",
    "export.json",
]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def read_path(path: Path, format: str = "auto", **options) -> ParsedThread:
    """A file read the way an import reads it: its bytes, then the reader."""
    return read_bytes(read_source(path), path.name, format, ReadOptions(**options))


def read_fixture(name: str, format: str = "auto", **options) -> ParsedThread:
    return read_path(FIXTURES / name, format, **options)


def tree(thread) -> list[tuple[str | None, str | None]]:
    """(id, parent) of each record, in reading order."""
    return [(record.platform_id, record.parent_id) for record in thread.records]


def tombstones(thread) -> list[str | None]:
    return [record.platform_id for record in thread.records if record.is_tombstone]


def error_for(data: bytes, name: str, format: str = "auto", **options) -> str:
    with pytest.raises(ThreadmarkError) as caught:
        read_bytes(data, name, format, ReadOptions(**options))
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- the seed thread and plain text -------------------------------------------------------


def test_seed_thread_has_20_records_and_the_16th_is_a_tombstone():
    thread = read_path(SEED)
    assert thread.format == "text"
    assert len(thread.records) == 20
    assert [index for index, r in enumerate(thread.records, 1) if r.is_tombstone] == [16]
    assert thread.records[15].text == "deleted by creator"
    assert thread.records[-1].text.endswith("copyright infringement.")  # no final newline


def test_text_handles_crlf_blank_lines_and_a_missing_final_newline():
    thread = read_bytes(b"one\r\n\r\n   \ntwo  \r\nthree", "t.txt")
    assert [r.text for r in thread.records] == ["one", "two  ", "three"]
    assert tree(thread) == [(None, None)] * 3


def test_a_txt_file_starting_with_a_bracket_is_plain_text():
    thread = read_fixture("bracket.txt")
    assert thread.format == "text"
    assert [r.text for r in thread.records] == [
        "[citation needed] is not an argument",
        "{braces} open this line too",
        "  [deleted]  ",
    ]
    assert [r.is_tombstone for r in thread.records] == [False, False, True]


def test_a_txt_line_that_is_valid_json_stays_text():
    assert read_bytes(b'["a", "b"]\n', "t.txt").records[0].text == '["a", "b"]'


def test_paragraphs_are_separated_by_blank_lines_and_keep_their_newlines():
    thread = read_fixture("paragraphs.txt", split="paragraphs")
    assert [r.text for r in thread.records] == [
        "First paragraph\nstill the first.",
        "Second paragraph.",
        "Third paragraph\nwith a last line and no newline",
    ]


def test_only_newline_ends_a_line():
    thread = read_bytes("a\u2028still a\x0bstill a\nb".encode(), "t.txt")
    assert [r.text for r in thread.records] == ["a\u2028still a\x0bstill a", "b"]


def test_hostile_text_passes_through_unchanged():
    raw = (FIXTURES / "hostile.txt").read_text(encoding="utf-8")
    thread = read_fixture("hostile.txt")
    assert [r.text for r in thread.records] == raw.split("\n")[:-1]
    assert "\x1b]52;" in thread.records[0].text
    assert thread.records[1].text.startswith("[bold]not bold[/bold]")
    assert "\u202e" in thread.records[2].text


@pytest.mark.parametrize(
    ("text", "is_tombstone"),
    [
        ("deleted by creator", True),
        ("  Deleted By Creator  ", True),
        ("[deleted]", True),
        ("[REMOVED]", True),
        ("[ Removed by Reddit ]", True),
        ("removed by mod", True),
        ("[deleted] plus more text", False),
        ("I was deleted by creator", False),
    ],
)
def test_generic_tombstones_match_the_whole_trimmed_text(text, is_tombstone):
    record = read_bytes(f"{text}\n".encode(), "t.txt").records[0]
    assert record.is_tombstone is is_tombstone
    assert record.text == text


# --- decoding -----------------------------------------------------------------------------


def test_utf8_bom_is_dropped():
    assert read_bytes("\ufeffhello\n".encode(), "t.txt").records[0].text == "hello"


def test_utf16_with_bom_is_read():
    assert read_bytes("héllo\n".encode("utf-16"), "t.txt").records[0].text == "héllo"


def test_a_few_bad_bytes_in_a_utf8_file_become_replacement_characters():
    data = "naïve café — “quoted”\n".encode() * 5 + b"one bad \xff byte\n"
    thread = read_bytes(data, "t.txt")
    assert thread.records[0].text == "naïve café — “quoted”"
    assert thread.records[-1].text == "one bad \ufffd byte"
    assert thread.warnings == ["1 byte is not UTF-8 and became U+FFFD (--encoding overrides)"]


def test_nul_becomes_a_replacement_character():
    assert read_bytes(b"a\x00b\n" + b"text\n" * 20, "t.txt").records[0].text == "a\ufffdb"
    reddit = read_fixture("reddit_thread.json")
    assert reddit.records[7].text.endswith("nul:\ufffd")


# --- Reddit -------------------------------------------------------------------------------


def test_reddit_thread_page():
    thread = read_fixture("reddit_thread.json")
    assert thread.format == "reddit"
    assert thread.title == "Should AI training count as fair use?"
    # depth first, "more" stubs skipped, the repeat of kx5 kept, the post not a comment
    assert tree(thread) == [
        ("kx1", None),
        ("kx2", "kx1"),
        ("kx3", "kx1"),
        ("kx4", "kx3"),
        ("kx5", None),
        ("kx6", None),
        ("kx7", None),
        ("kx8", None),
        ("kx5", None),
    ]
    assert tombstones(thread) == ["kx2", "kx4", "kx7"]
    first = thread.records[0]
    assert (first.author, first.created_at) == ("alice", "2024-01-02T03:05:00Z")


def test_reddit_author_deleted_with_text_standing_is_a_comment():
    record = read_fixture("reddit_thread.json").records[5]
    assert record.author == "[deleted]"
    assert record.is_tombstone is False


def test_reddit_hostile_comment_passes_through_unchanged():
    record = read_fixture("reddit_thread.json").records[7]
    assert record.text == "\x1b[31mred\x1b[0m [bold]loud[/bold] \u202eevil\u202c nul:\ufffd"


def test_a_deep_reddit_thread_does_not_overflow_the_stack():
    comment = {"kind": "t1", "data": {"id": "c150", "parent_id": "t1_c149", "body": "leaf"}}
    for depth in range(149, -1, -1):
        replies = {"kind": "Listing", "data": {"children": [comment]}}
        parent = f"t1_c{depth - 1}" if depth else "t3_p"
        comment = {
            "kind": "t1",
            "data": {"id": f"c{depth}", "parent_id": parent, "body": "x", "replies": replies},
        }
    page = [
        {"kind": "Listing", "data": {"children": []}},
        {"kind": "Listing", "data": {"children": [comment]}},
    ]
    thread = read_bytes(json.dumps(page).encode(), "deep.json")
    assert len(thread.records) == 151
    assert thread.records[-1].parent_id == "c149"


# --- Lemmy --------------------------------------------------------------------------------


def test_lemmy_v3_comment_list_is_rebuilt_depth_first_from_paths():
    thread = read_fixture("lemmy_v3.json")
    assert thread.format == "lemmy"
    assert thread.title == "AI and copyright"
    assert tree(thread) == [
        ("101", None),
        ("102", "101"),
        ("104", "102"),
        ("107", "101"),
        ("103", None),
        ("105", None),
        ("106", None),
        ("101", None),  # a pagination repeat, kept
    ]
    # empty content, deleted flag, removed flag, "Removed by mod" text
    assert tombstones(thread) == ["104", "103", "105", "106"]
    assert [r.created_at for r in thread.records[:4]] == [
        "2024-01-02T03:04:05Z",  # .000000: no milliseconds to keep
        "2024-01-02T03:05:00.123Z",  # no offset: already UTC; microseconds to milliseconds
        "2024-01-02T03:07:00Z",
        "2024-01-02T03:00:00Z",  # +02:00
    ]
    assert thread.records[0].author == "ann"


def test_lemmy_v4_items():
    thread = read_fixture("lemmy_v4.json")
    assert thread.format == "lemmy"
    assert tree(thread) == [("201", None), ("202", "201")]
    assert tombstones(thread) == ["202"]
    assert thread.records[0].created_at == "2025-03-01T10:00:00Z"


def test_lemmy_paths_that_loop_still_end():
    views = [
        {"comment": {"id": 1, "path": "0.2.1", "content": "a"}},
        {"comment": {"id": 2, "path": "0.1.2", "content": "b"}},
    ]
    thread = read_bytes(json.dumps({"comments": views}).encode(), "loop.json")
    assert tree(thread) == [("1", "2"), ("2", "1")]


# --- Hacker News --------------------------------------------------------------------------


def test_hn_algolia_tree():
    thread = read_fixture("hn_algolia.json")
    assert thread.format == "hn"
    assert thread.title == "Ask HN: Is training on code fair use?"
    assert tree(thread) == [
        ("38800001", None),
        ("38800002", "38800001"),
        ("38800003", "38800001"),
        ("38800004", None),
    ]
    assert tombstones(thread) == ["38800002"]
    assert (
        thread.records[0].text == "It isn't copying.\n\nSee https://example.com/ruling for details."
    )
    assert thread.records[2].text.startswith("> It isn't copying.\n\n")
    assert "<b> is not bold" in thread.records[2].text
    assert thread.records[0].created_at == "2024-01-02T03:05:00Z"


def test_hn_firebase_items_follow_kids():
    thread = read_fixture("hn_firebase.json")
    assert thread.format == "hn"
    assert thread.title == "My YC app: Dropbox - Throw away your USB drive"
    assert tree(thread) == [
        ("9224", None),
        ("9225", "9224"),
        ("9226", "9224"),
        ("8917", None),
        ("8917", None),  # the repeat, kept
        ("8918", "8917"),
        ("9999", "12345"),  # not reachable: after the rest
    ]
    assert tombstones(thread) == ["9225", "9226"]  # dead, deleted
    assert thread.records[0].text == "First top-level & best.\n\nSecond paragraph."
    assert thread.records[0].created_at == "2007-04-04T20:36:40Z"


def test_hn_firebase_without_the_story_puts_parents_before_replies():
    items = [
        {"id": 2, "type": "comment", "parent": 1, "text": "reply", "by": "b"},
        {"id": 1, "type": "comment", "parent": 99, "kids": [2], "text": "top", "by": "a"},
    ]
    thread = read_bytes(json.dumps(items).encode(), "items.json")
    assert tree(thread) == [("1", "99"), ("2", "1")]
    assert thread.title is None


# --- Mastodon -----------------------------------------------------------------------------


def test_mastodon_context():
    thread = read_fixture("mastodon_context.json")
    assert thread.format == "mastodon"
    assert thread.title == "Is training a model on art fair use? Asking seriously, a thread 🧵"
    assert tree(thread) == [("112", None), ("113", "112"), ("114", None), ("115", None)]
    assert tombstones(thread) == ["114"]
    first = thread.records[0]
    assert (
        first.text == "@ann I think not.\n\nSecond paragraph\nline two, see https://example.com/x"
    )
    assert (first.author, first.created_at) == ("bo@fosstodon.org", "2024-01-02T03:05:00Z")
    assert thread.records[3].text == "politics\n\nHidden behind a CW & more."


def test_mastodon_status_with_context_uses_the_status_as_root():
    thread = read_fixture("mastodon_status.json")
    assert tree(thread) == [("201", None)]
    assert len(thread.title) <= 100
    assert thread.title.startswith("A root status whose first line")
    assert thread.title.endswith("…")


# --- CSV, TSV, JSON Lines -----------------------------------------------------------------


def test_csv_with_flexible_column_names():
    thread = read_fixture("comments.csv")
    assert thread.format == "csv"
    assert thread.title == "AI and copyright"
    assert tree(thread) == [("c1", None), ("c2", "c1"), ("c3", "c1"), ("c4", None), ("c1", None)]
    assert tombstones(thread) == ["c3"]
    assert thread.records[1].text == "A reply\r\nover two lines"
    assert [r.created_at for r in thread.records[:4]] == [
        "2024-01-02T03:04:05Z",
        "2024-01-02T03:00:00Z",
        None,
        "2024-01-02T03:04:05Z",  # epoch milliseconds
    ]
    assert thread.records[1].author == "bob"


def test_tsv():
    thread = read_fixture("comments.tsv")
    assert [r.text for r in thread.records] == ["Tab separated, with a comma", "deleted by creator"]
    assert tombstones(thread) == ["t2"]


def test_csv_without_title_column_and_with_a_huge_cell():
    huge = "x" * 300_000
    thread = read_bytes(f"body\n{huge}\n".encode(), "big.csv")
    assert thread.records[0].text == huge
    assert thread.title is None


def test_jsonl():
    thread = read_fixture("comments.jsonl")
    assert thread.format == "jsonl"
    assert tree(thread) == [("1", None), ("2", "1"), ("1", None), ("3", "1")]
    assert tombstones(thread) == ["2"]
    assert thread.records[3].text == "Mixed-case keys still count."
    assert thread.records[3].created_at == "2024-01-02T03:06:00Z"


# --- threadmark's own export --------------------------------------------------------------


def test_threadmark_export_reads_every_occurrence_of_each_thread_in_position_order():
    thread = read_fixture("export.json")
    assert thread.format == "threadmark"
    assert thread.title == "AI and copyright"
    assert [r.text for r in thread.records] == [
        "The first comment.",
        "deleted by creator",
        "The first comment.",
        "A comment of the other thread.",
    ]
    assert tree(thread) == [("a1", None), ("a2", "a1"), ("a1", None), (None, None)]
    assert [r.is_tombstone for r in thread.records] == [False, True, False, False]
    assert thread.document["threads"][1]["title"] == "Another thread"  # restored whole


# --- HTML and times -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("plain, untouched", "plain, untouched"),
        ("one<p>two", "one\n\ntwo"),
        ("<p>one</p>\n<p>two</p>", "one\n\ntwo"),
        ("a<br>b<br/><br />c", "a\nb\n\nc"),
        ('<a href="https://x.example" rel="nofollow">the link</a>', "the link"),
        ('<a title="a>b">quoted &gt;</a>', "quoted >"),
        ("&lt;b&gt;shown&lt;/b&gt; &amp; &#x27;kept&#x27;", "<b>shown</b> & 'kept'"),
        ("<ul><li>a</li><li>b</li></ul><p>after</p>", "a\nb\n\nafter"),
        ("<pre><code>  x = 1\n  y = 2</code></pre>", "  x = 1\n  y = 2"),
        ("a < b and <3", "a < b and <3"),
        ("x<!-- hidden -->y", "xy"),
        ("<p></p>", ""),
    ],
)
def test_html_to_text(html, text):
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        (1704164645, "2024-01-02T03:04:05Z"),
        (1704164645.9, "2024-01-02T03:04:05.900Z"),
        (1704164645.0, "2024-01-02T03:04:05Z"),
        ("1704164645", "2024-01-02T03:04:05Z"),
        (1704164645000, "2024-01-02T03:04:05Z"),
        (1704164645123, "2024-01-02T03:04:05.123Z"),
        ("2024-01-02T04:04:05+01:00", "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05.123Z", "2024-01-02T03:04:05.123Z"),
        ("2024-01-02T03:04:05.000Z", "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05.5+01:00", "2024-01-02T02:04:05.500Z"),
        ("2024-01-02 03:04:05", "2024-01-02T03:04:05Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_times_become_iso_8601_utc(value, iso):
    assert iso_utc(value) == iso


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_epoch_seconds_read_quickly_are_read_as_any_other_time(seconds):
    """Whole seconds take a short way (no datetime); they land where the long way does."""
    try:
        expected = iso_utc(str(seconds))  # a digit string: read as a float, by datetime
    except UnreadableTime:
        with pytest.raises(UnreadableTime):
            iso_utc(seconds)
    else:
        assert iso_utc(seconds) == expected


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        True,
        [],
        float("nan"),
        float("inf"),
        -float("inf"),
        1e20,
        1e300,
        10**400,
        "9" * 400,
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-05:00",
    ],
)
def test_a_time_given_but_unreadable_raises_unreadable_time(value):
    with pytest.raises(UnreadableTime):
        iso_utc(value)


# --- sniffing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture_name", "format"),
    [
        ("reddit_thread.json", "reddit"),
        ("reddit_escaped.json", "reddit"),
        ("lemmy_v3.json", "lemmy"),
        ("lemmy_v4.json", "lemmy"),
        ("piefed_comments.json", "lemmy"),
        ("hn_algolia.json", "hn"),
        ("hn_firebase.json", "hn"),
        ("hn_hnapi.json", "hn"),
        ("hn_flat.json", "hn"),
        ("hn_search.json", "hn"),
        ("mastodon_context.json", "mastodon"),
        ("mastodon_status.json", "mastodon"),
        ("mastodon_thread.json", "mastodon"),
        ("export.json", "threadmark"),
    ],
)
def test_json_shape_decides_the_format_with_or_without_an_extension(fixture_name, format):
    data = fixture(fixture_name)
    assert read_bytes(data, fixture_name).format == format
    assert read_bytes(data, "thread").format == format
    assert read_bytes(data, "thread.txt").format == format
    assert read_bytes(data, fixture_name, format).format == format


def test_suffix_decides_csv_and_jsonl():
    assert read_bytes(b"text\nhello\n", "x.CSV").format == "csv"
    assert read_bytes(b'{"text": "hi"}\n', "x.ndjson").format == "jsonl"


def test_a_file_with_no_extension_and_no_known_json_shape_is_text():
    thread = read_bytes(b'{"hello": 1}\n', "notes")
    assert thread.format == "text"
    assert thread.records[0].text == '{"hello": 1}'


def test_an_explicit_format_wins_over_sniffing():
    thread = read_bytes(fixture("lemmy_v4.json"), "lemmy_v4.json", "text")
    assert thread.format == "text"
    assert thread.records[0].text == "{"


def test_every_format_is_readable_by_name():
    assert FORMATS == ("text", "reddit", "lemmy", "hn", "mastodon", "csv", "jsonl", "threadmark")


# --- bad input ----------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(ThreadmarkError, match=r"nope\.txt: no such file$"):
        read_path(tmp_path / "nope.txt")


def test_directory(tmp_path):
    with pytest.raises(ThreadmarkError, match="is a directory, not a thread"):
        read_path(tmp_path)


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
SQLITE = b"SQLite format 3\x00" + bytes(4096)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("e.txt", b"", "e.txt: no comments"),
        ("e.json", b"", "e.json: no comments"),
        ("b.txt", b"\n \r\n\t\n", "b.txt: no comments"),
        ("p.txt", PNG, "p.txt is a binary file, not a thread"),
        ("x.db", SQLITE, "x.db is a binary file, not a thread"),
        ("c.json", b'{"comments": [', "c.json: malformed JSON at line 1 column 15"),
        ("b.json", b'{\n  "a": 1,\n  "b" 2\n}', "b.json: malformed JSON at line 3 column 7"),
        ("l.json", b'{"a": 1}\n{"b": 2}\n', "l.json: malformed JSON at line 2 column 1"),
        ("o.json", b'{"hello": "world"}', "o.json: JSON of no known thread shape"),
        ("n.json", b"[1, 2, 3]", "n.json: JSON of no known thread shape"),
        ("d.json", b"[" * 100_000, "d.json: JSON nested too deeply"),
        ("i.json", b'{"n": 1' + b"1" * 5000 + b"}", "i.json: unreadable JSON"),
        ("c.csv", b"id,author\n1,ann\n", "c.csv: no text column"),
        ("h.csv", b"text\n", "h.csv: no comments"),
        ("x.jsonl", b'{"text": "a"}\n{oops\n', "x.jsonl: malformed JSON at line 2 column 2"),
        ("x.jsonl", b'{"text": "a"}\n[1]\n', "x.jsonl: line 2 is not a JSON object"),
        ("x.jsonl", b'{"id": 1}\n', "x.jsonl: no text field"),
        ("l.json", b'{"comments": []}', "l.json: no comments"),
        ("m.json", b'{"ancestors": [], "descendants": []}', "m.json: no comments"),
    ],
)
def test_bad_input_is_one_line_naming_the_file(name, data, message):
    assert error_for(data, name).startswith(message)


def test_unknown_format_and_split():
    assert error_for(b"a\n", "t.txt", "xml").startswith("t.txt: unknown format 'xml'")
    assert error_for(b"a\n", "t.txt", split="words").startswith("t.txt: unknown split 'words'")


def test_explicit_format_on_a_file_of_another_platform():
    message = error_for(fixture("lemmy_v3.json"), "lemmy_v3.json", "reddit")
    assert message.startswith("lemmy_v3.json: not a reddit thread (it looks like lemmy; reddit is ")
    assert "a Listing (kind, data.children)" in message
    message = error_for(b'{"x": 1}', "x.json", "hn")
    assert message.startswith("x.json: not a hn thread (no known thread shape; hn is an Algolia")
    message = error_for(b"hello\n", "t.txt", "reddit")
    assert message.startswith("t.txt: not a reddit thread: malformed JSON at line 1 column 1")


def test_a_reddit_page_with_only_the_post_has_no_comments():
    page = json.loads(fixture("reddit_thread.json"))[:1]
    assert error_for(json.dumps(page).encode(), "post.json") == "post.json: no comments"


ODD_VALUES = [None, 0, -1.5, True, "", "x", "0.1.2", [], {}, [None], {"kind": "Listing"}, "t3_x"]


def _all_slots(node, slots):
    """Every (container, key) pair in a JSON document, to swap a value in."""
    stack = [node]
    while stack:
        container = stack.pop()
        keys = container.keys() if isinstance(container, dict) else range(len(container))
        for key in keys:
            slots.append((container, key))
            if isinstance(container[key], dict | list):
                stack.append(container[key])
    return slots


@pytest.mark.parametrize("fixture_name", JSON_FIXTURES)
def test_odd_json_values_never_raise_anything_but_threadmark_error(fixture_name):
    original = json.loads(fixture(fixture_name))
    chooser = random.Random(fixture_name)
    for _ in range(150):
        document = copy.deepcopy(original)
        slots = _all_slots(document, [])
        for container, key in chooser.sample(slots, k=min(4, len(slots))):
            container[key] = copy.deepcopy(chooser.choice(ODD_VALUES))
        data = json.dumps(document).encode()
        for format in ("auto", read_bytes(fixture(fixture_name), fixture_name).format):
            with contextlib.suppress(ThreadmarkError):
                read_bytes(data, fixture_name, format)
