"""Whatever the input, a read returns a clean thread or raises a one-line ThreadmarkError.

Clean: every record's text is a string with no NUL, every other field a string or None,
every warning one line.  Nothing else may escape: any other exception is a bug.  The inputs
are arbitrary bytes, and each platform's skeleton filled with arbitrary JSON values.
"""

from __future__ import annotations

import csv
import io
import json

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from store.errors import ThreadmarkError
from store.readers import FORMATS, ReadOptions, read_bytes
from store.readers.tabular import COLUMNS

EXAMPLES = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_cleanly(data: bytes, name: str, format: str = "auto", options=None) -> None:
    """The property itself.  Its events (``--hypothesis-show-statistics``) show how often
    each kind of input was read and each kind refused."""
    try:
        thread = read_bytes(data, name, format, options)
    except ThreadmarkError as error:
        message = str(error)
        assert _one_line(message), message
        event("refused: " + " ".join(message.removeprefix(f"{name}: ").split()[:3]))
        return
    event(f"read as {thread.format}")
    assert thread.records
    for record in thread.records:
        assert isinstance(record.text, str) and "\0" not in record.text
        for value in (record.platform_id, record.parent_id, record.author, record.created_at):
            assert value is None or isinstance(value, str)
        assert isinstance(record.is_tombstone, bool)
    assert thread.title is None or isinstance(thread.title, str)
    assert all(isinstance(warning, str) and _one_line(warning) for warning in thread.warnings)


def _one_line(message: str) -> bool:
    return bool(message) and "\n" not in message and "\r" not in message


NAMES = st.sampled_from(["t.txt", "t.json", "t.csv", "t.tsv", "t.jsonl", "thread"])
ANY_FORMAT = st.sampled_from(["auto", *FORMATS])


@EXAMPLES
@given(st.binary(max_size=200), NAMES, ANY_FORMAT)
def test_arbitrary_bytes(data, name, format):
    read_cleanly(data, name, format)


TEXTS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            "[deleted]",
            "&gt; quoted &amp; <p>para<br>line",
            "<a href='x",
            "&#" + "9" * 30,
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-05:00",
            "2024-01-02T03:04:05.123Z",
            "0.1.2",
            "t1_a",
            "t3_p",
        ]
    ),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXTS,
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
IDS = st.one_of(st.sampled_from([1, 2, 3, "1", "2", "a", "t1_a", None]), JSON)


def mostly(value: st.SearchStrategy) -> st.SearchStrategy:
    """Usually a value of the field's own type, now and then any JSON at all."""
    return st.one_of(value, value, value, JSON)


def fields(**strategies) -> st.SearchStrategy[dict]:
    """An object with any subset of these fields, each mostly of its own type."""
    return st.fixed_dictionaries(
        {}, optional={key: mostly(value) for key, value in strategies.items()}
    )


def reddit_listing(things: st.SearchStrategy) -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {"kind": st.just("Listing"), "data": fields(children=st.lists(things, max_size=4))}
    )


REDDIT = st.recursive(
    st.fixed_dictionaries(
        {
            "kind": mostly(st.sampled_from(["t1", "t1", "t3", "more"])),
            "data": fields(
                id=IDS,
                name=IDS,
                parent_id=IDS,
                body=TEXTS,
                body_html=TEXTS,
                author=TEXTS,
                created_utc=SCALARS,
                title=TEXTS,
            ),
        }
    ),
    lambda thing: st.fixed_dictionaries(
        {"kind": st.just("t1"), "data": fields(id=IDS, body=TEXTS, replies=reddit_listing(thing))}
    ),
    max_leaves=8,
)
LEMMY_VIEW = st.fixed_dictionaries(
    {
        "comment": fields(
            id=IDS,
            content=TEXTS,
            body=TEXTS,
            path=st.from_regex(r"0(\.[0-9]{1,2}){0,3}", fullmatch=True),
            published=SCALARS,
            published_at=SCALARS,
            deleted=st.booleans(),
            removed=st.booleans(),
        )
    },
    optional={
        "creator": fields(name=TEXTS, user_name=TEXTS),
        "post": fields(name=TEXTS, title=TEXTS),
    },
)
HN_ITEM = fields(
    id=IDS,
    type=st.sampled_from(["story", "comment", "job", "poll", "pollopt"]),
    kids=st.lists(IDS, max_size=3),
    parent=IDS,
    text=TEXTS,
    by=TEXTS,
    author=TEXTS,
    time=SCALARS,
    title=TEXTS,
    deleted=st.booleans(),
    dead=st.booleans(),
)
ALGOLIA = st.recursive(
    fields(id=IDS, type=st.sampled_from(["story", "comment"]), text=TEXTS, author=TEXTS),
    lambda inner: st.fixed_dictionaries(
        {"type": st.sampled_from(["story", "comment"]), "children": st.lists(inner, max_size=3)},
        optional={"id": IDS, "parent_id": IDS, "text": TEXTS, "created_at_i": SCALARS},
    ),
    max_leaves=8,
)
HNAPI = st.recursive(
    st.fixed_dictionaries(
        {"time_ago": TEXTS, "comments": st.just([])},
        optional={"id": IDS, "content": TEXTS, "user": TEXTS, "time": SCALARS, "dead": JSON},
    ),
    lambda inner: st.fixed_dictionaries(
        {"time_ago": TEXTS, "comments": st.lists(inner, max_size=3)},
        optional={"id": IDS, "type": TEXTS, "content": TEXTS, "deleted": JSON},
    ),
    max_leaves=8,
)
HIT = st.fixed_dictionaries(
    {"objectID": IDS},
    optional={
        "parent_id": IDS,
        "story_id": IDS,
        "comment_text": TEXTS,
        "_tags": st.lists(st.sampled_from(["story", "comment", "story_1"]), max_size=2) | JSON,
        "title": TEXTS,
        "story_title": TEXTS,
        "created_at_i": SCALARS,
    },
)
STATUS = fields(
    id=IDS,
    in_reply_to_id=IDS,
    content=TEXTS,
    spoiler_text=TEXTS,
    account=fields(acct=TEXTS),
    created_at=SCALARS,
)
EXPORT = st.fixed_dictionaries(
    {
        "threads": st.lists(fields(id=IDS, title=TEXTS), max_size=2),
        "comments": st.lists(
            fields(
                thread=IDS,
                text=TEXTS,
                tombstone=st.booleans(),
                occurrences=st.lists(
                    fields(position=SCALARS, platform_id=IDS, created_at=SCALARS, text=TEXTS),
                    max_size=3,
                ),
            ),
            max_size=3,
        ),
    }
)
SKELETONS = {
    "reddit": st.lists(reddit_listing(REDDIT), min_size=1, max_size=2),
    "lemmy": st.one_of(
        st.fixed_dictionaries({"comments": st.lists(LEMMY_VIEW, max_size=4)}),
        st.fixed_dictionaries({"items": st.lists(LEMMY_VIEW, max_size=4)}),
        st.lists(LEMMY_VIEW, min_size=1, max_size=4),
    ),
    "hn": st.one_of(
        ALGOLIA,
        HNAPI,
        st.lists(HN_ITEM, min_size=1, max_size=5),
        st.fixed_dictionaries({"hits": st.lists(HIT, max_size=4)}),
    ),
    "mastodon": st.fixed_dictionaries(
        {"ancestors": st.lists(STATUS, max_size=2), "descendants": st.lists(STATUS, max_size=4)},
        optional={"status": STATUS},
    ),
    "threadmark": EXPORT,
}


@EXAMPLES
@given(st.sampled_from(sorted(SKELETONS)).flatmap(lambda f: st.tuples(st.just(f), SKELETONS[f])))
def test_each_platforms_skeleton_with_arbitrary_values(format_and_document):
    format, document = format_and_document
    data = json.dumps(document).encode()
    for requested in ("auto", format):
        read_cleanly(data, "thread.json", requested)


@EXAMPLES
@given(JSON)
def test_any_json_value_in_every_json_format(document):
    data = json.dumps(document).encode()
    for format in ("auto", "reddit", "lemmy", "hn", "mastodon", "threadmark"):
        read_cleanly(data, "thread.json", format)


CELLS = st.one_of(TEXTS, st.sampled_from(["", '"', "a,b", "line\nbreak", "1704164645"]))
COLUMN_NAMES = st.sampled_from([alias for aliases in COLUMNS.values() for alias in aliases] + ["x"])
CHOSEN = st.one_of(
    st.just({}),
    st.just({}),
    st.dictionaries(
        st.sampled_from(sorted(COLUMNS)),
        st.one_of(st.integers(min_value=1, max_value=4), COLUMN_NAMES),
        max_size=2,
    ),
    st.dictionaries(st.text(max_size=3), st.integers(-1, 1) | st.booleans() | JSON, max_size=1),
)
HEADERS = st.one_of(
    st.just([]),
    st.lists(COLUMN_NAMES, max_size=4).map(lambda header: [*header, "text"]),
    st.lists(COLUMN_NAMES | st.text(max_size=6), max_size=4),
)


@EXAMPLES
@given(
    HEADERS,
    st.lists(st.lists(CELLS, max_size=5), max_size=6),
    CHOSEN,
    st.sampled_from([False, False, False, True]),
)
def test_arbitrary_csv_rows(header, rows, chosen, broken):
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows] if header else rows)
    text = out.getvalue() + ('"unclosed' if broken else "")
    read_cleanly(text.encode(), "t.csv", options=ReadOptions(columns=chosen))


@EXAMPLES
@given(
    st.lists(st.dictionaries(COLUMN_NAMES | st.text(max_size=3), JSON, max_size=5), max_size=5),
    CHOSEN,
)
def test_arbitrary_json_lines(rows, chosen):
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    read_cleanly(data, "t.jsonl", options=ReadOptions(columns=chosen))
