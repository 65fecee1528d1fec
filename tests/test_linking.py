"""The link picker's ranking and filtering (store.linking), and the picker on screen."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from pathlib import Path

import pytest
from textual.widgets import OptionList

from store import import_file, open_database
from store.linking import Candidate, Named, link_candidates, named_unit
from tests.reader_support import SIZE, reader, rows, screen_text, wait_until
from tui.screens.link_picker import LinkPicker

COMMON = ["the", "think", "that", "what", "people", "say", "about", "really", "because", "would"]


pytestmark = pytest.mark.usefixtures("reader_home")


def text_thread(directory: Path, name: str, lines: list[str]) -> Path:
    path = directory / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def json_thread(directory: Path, name: str, records: list[dict]) -> Path:
    path = directory / name
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def imported(db_path: Path, *sources: Path) -> tuple[sqlite3.Connection, list[int]]:
    """A database holding ``sources`` (one thread each), and the threads' ids."""
    db = open_database(db_path)
    return db, [import_file(db, source).thread_id for source in sources]


def cluster(db: sqlite3.Connection, thread_id: int, number: int) -> int:
    """The cluster id of comment #number of a thread."""
    return db.execute(
        "SELECT id FROM clusters WHERE thread_id = ? AND seq = ?", (thread_id, number)
    ).fetchone()[0]


def numbers(candidates: list[Candidate]) -> list[int]:
    return [candidate.number for candidate in candidates]


def fillers(count: int, seed: int = 7) -> list[str]:
    """Comments of the same common words in different orders: never folded, nothing rare."""
    shuffler = random.Random(seed)
    return [" ".join(shuffler.sample(COMMON, len(COMMON))) for _ in range(count)]


# --- the ranking ---------------------------------------------------------------------------------


def test_parent_first_then_what_the_comment_quotes(tmp_path):
    airships = (
        "Airships could come back as cargo carriers, because helium is cheaper than you think."
    )
    records = [
        {"id": "a", "text": "Zeppelins were never a practical way to cross the Atlantic."},
        {"id": "b", "text": airships},
        {"id": "c", "text": "Something else entirely, about trains and timetables."},
        {"id": "d", "parent": "a", "text": f"> {airships}\n\nThat helium claim is wrong here."},
        {"id": "e", "text": "Trains again: the timetables were the real problem."},
    ]
    db, (thread,) = imported(tmp_path / "t.db", json_thread(tmp_path, "t.jsonl", records))
    source = cluster(db, thread, 4)
    quoted = db.execute(
        "SELECT target_cluster FROM links WHERE source_cluster = ? AND kind = 'quotes'", (source,)
    ).fetchall()
    assert quoted == [(cluster(db, thread, 2),)]  # the import found the quote

    ranked = link_candidates(db, source)
    assert [(c.number, c.reason) for c in ranked[:3]] == [
        (1, "parent"),
        (2, "quoted"),
        (3, "1 above"),
    ]
    assert ranked[0].id == cluster(db, thread, 1)
    assert numbers(ranked) == [1, 2, 3, 5]  # what comes after it comes last


def test_without_shared_words_the_nearest_above_come_first(tmp_path):
    lines = ["alpha bravo", "charlie delta", "echo foxtrot", "golf hotel", "india juliet", "kilo"]
    db, (thread,) = imported(tmp_path / "t.db", text_thread(tmp_path, "t.txt", lines))
    ranked = link_candidates(db, cluster(db, thread, 4))
    assert [(c.number, c.reason) for c in ranked] == [
        (3, "1 above"),
        (2, "2 above"),
        (1, "3 above"),
        (5, "1 below"),
        (6, "2 below"),
    ]


def test_distinctive_words_beat_nearness_and_common_words(tmp_path):
    """#37 shares two rare words with the source, four rows up; the comments around it share
    all the source's common words, and three are nearer."""
    lines = [
        *fillers(36),
        "The zeppelin hangar at Lakehurst burned down in a storm",
        *fillers(3, seed=8),
        "i think that what people say about the zeppelin hangar is really wrong",
    ]
    db, (thread,) = imported(tmp_path / "t.db", text_thread(tmp_path, "t.txt", lines))
    assert db.execute("SELECT count(*) FROM clusters").fetchone() == (41,)  # nothing folded
    ranked = link_candidates(db, cluster(db, thread, 41))
    assert (ranked[0].number, ranked[0].reason) == (37, "words: zeppelin, hangar")
    assert numbers(ranked[1:5]) == [40, 39, 38, 36]  # the rest by nearness
    assert ranked[1].reason == "1 above"  # common words are not named as the reason


def test_with_structure_the_rest_rank_as_without_it_below_the_parent(tmp_path):
    records = [
        {"id": "a", "text": "alpha bravo charlie delta"},
        *({"id": f"f{i}", "text": text} for i, text in enumerate(fillers(12))),
        {"id": "z", "text": "The zeppelin hangar at Lakehurst burned down in a storm"},
        *({"id": f"g{i}", "text": text} for i, text in enumerate(fillers(2, seed=8))),
        {"id": "s", "parent": "a", "text": "and the zeppelin hangar is the story"},
    ]
    db, (thread,) = imported(tmp_path / "t.db", json_thread(tmp_path, "t.jsonl", records))
    ranked = link_candidates(db, cluster(db, thread, 17))
    assert [(c.number, c.reason) for c in ranked[:4]] == [
        (1, "parent"),
        (14, "words: zeppelin, hangar"),
        (16, "1 above"),
        (15, "2 above"),
    ]


# --- typed words ---------------------------------------------------------------------------------


@pytest.fixture
def zeppelin_db(tmp_path):
    lines = [
        "The zeppelin hangar at Lakehurst burned down in a storm",
        *fillers(5),
        "Hangar doors were the hard part of any zeppelin shed",
        "i think that what people say about the zeppelin hangar is really wrong",
    ]
    db, (thread,) = imported(tmp_path / "t.db", text_thread(tmp_path, "t.txt", lines))
    yield db, cluster(db, thread, 8)
    db.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("zep", [7, 1]),  # the start of a word, in any case; ranked as without typing
        ("ZEPPELIN", [7, 1]),
        ("hang lake", [1]),  # every word must be there
        ("ze", [7, 1]),  # too short to search the index: the neighbourhood is filtered
        ("eppelin", []),  # inside a word is not the start of one
        ("storm doors", []),
        ("lakehurst", [1]),
    ],
)
def test_typed_words_filter_the_ranking(zeppelin_db, query, expected):
    db, source = zeppelin_db
    assert numbers(link_candidates(db, source, query)) == expected


def test_typed_words_find_a_comment_far_from_the_source(tmp_path):
    """A comment outside the neighbourhood that is always scored is found by the index."""
    lines = ["the lakehurst fire was an accident", *fillers(400, seed=3), "what do you think"]
    db, (thread,) = imported(tmp_path / "t.db", text_thread(tmp_path, "t.txt", lines))
    count = db.execute("SELECT max(seq) FROM clusters").fetchone()[0]
    ranked = link_candidates(db, cluster(db, thread, count), "lakehurst")
    assert numbers(ranked) == [1]


# --- numbers, tombstones, the source -------------------------------------------------------------


def test_hash_number_is_the_comment_of_the_sources_own_thread(tmp_path):
    first = text_thread(tmp_path, "first.txt", [f"first thread comment {w}" for w in COMMON])
    second = text_thread(tmp_path, "second.txt", ["one of two", "two of two", "extra line"])
    db, (thread_1, thread_2) = imported(tmp_path / "t.db", first, second)
    source = cluster(db, thread_2, 3)
    (found,) = link_candidates(db, source, "#1")
    assert (found.id, found.number) == (cluster(db, thread_2, 1), 1)
    assert found.id != cluster(db, thread_1, 1)
    assert link_candidates(db, source, " #2 ")[0].id == cluster(db, thread_2, 2)
    assert link_candidates(db, source, "#7") == []  # thread 1 has a #7; thread 2 does not
    assert {c.number for c in link_candidates(db, source)} == {1, 2}
    assert named_unit("#12") == Named(12)
    assert named_unit("#12.3") == Named(12, sentences=(3, 3))
    assert named_unit("#12.3-4") == Named(12, sentences=(3, 4))
    assert named_unit("#12:10-52") == Named(12, span=(10, 52))
    assert named_unit(" #12. ") == Named(12, listing=True)
    assert named_unit("#" + "9" * 30) is None  # no overflow: a number that long names nothing
    assert named_unit("#12 paint") is None and named_unit("#12.3.4") is None


def test_tombstones_and_the_source_are_never_offered(tmp_path):
    lines = ["the deleted comment was rude", "[deleted]", "deleted by creator", "so deleted it"]
    db, (thread,) = imported(tmp_path / "t.db", text_thread(tmp_path, "t.txt", lines))
    source = cluster(db, thread, 4)
    for query in ("", "deleted", "del"):
        assert numbers(link_candidates(db, source, query)) == [1]
    assert link_candidates(db, source, "creator") == []
    assert link_candidates(db, source, "#4") == []  # the source itself
    assert link_candidates(db, source, "so") == []  # only the source says "so"
    named = link_candidates(db, source, "#3")  # but a deleted comment named is linked
    assert [(c.id, c.number, c.reason) for c in named] == [(cluster(db, thread, 3), 3, "named")]


# --- the picker on screen ------------------------------------------------------------------------

HOSTILE_AUTHOR = "\x1b]52;c;aGVsbG8=\x07[bold]eve[/bold]"
HOSTILE = [
    "\x1b[31mRED\x1b[0m zeppelin then \x1b[2J cleared",
    "[bold]not bold[/bold] zeppelin [@click=app.quit]click me[/]",
    "\u202eevil zeppelin override\u202c and zero\u200bwidth",
    "zeppelin " + "A" * 100_000,
]
FORBIDDEN = ["\x1b", "\x07", "\u202e", "\u202c", "\u200b"]


async def test_picker_shows_numbers_reasons_and_their_column_labels(tmp_path):
    lines = ["The zeppelin hangar burned down", *fillers(5), "what about the zeppelin hangar"]
    db, _ = imported(tmp_path / "t.db", text_thread(tmp_path, "t.txt", lines))
    db.close()
    app = reader(tmp_path / "t.db")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("G", "r")
        await wait_until(pilot, lambda: isinstance(app.screen, LinkPicker))
        text = screen_text(app)
        assert "#7 rebuts" in text
        assert re.search(r"│ # +why suggested +comment", text), text
        assert re.search(r"│ #1 +words: zeppelin,… +The zeppelin hangar", text), text
        assert re.search(r"│ #6 +1 above ", text), text
        assert all(len(line) <= SIZE[0] for line in text.splitlines())
        await pilot.press(*"zep")
        await wait_until(pilot, lambda: app.screen.query_one(OptionList).option_count == 1)
        assert re.search(r"│ #1 +words: zeppelin", screen_text(app))
        assert not re.search(r"│ #6 ", screen_text(app))


async def test_hash_number_then_enter_links_that_comment_of_the_open_thread(tmp_path):
    first = text_thread(tmp_path, "first.txt", [f"first thread comment {w}" for w in COMMON])
    second = text_thread(tmp_path, "second.txt", ["one of two", "two of two", "three of two"])
    db, (_, thread_2) = imported(tmp_path / "t.db", first, second)
    expected = (cluster(db, thread_2, 3), cluster(db, thread_2, 1))
    db.close()
    app = reader(tmp_path / "t.db")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("G", "r", "#", "1")
        await wait_until(pilot, lambda: re.search(r"│ #1 +named +one of two", screen_text(app)))
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, LinkPicker))
    assert rows(
        tmp_path / "t.db", "SELECT source_cluster, target_cluster FROM links WHERE kind = 'rebuts'"
    ) == [expected]


async def test_picker_stays_open_on_a_number_the_thread_does_not_have(tmp_path):
    first = text_thread(tmp_path, "first.txt", [f"first thread comment {w}" for w in COMMON])
    second = text_thread(tmp_path, "second.txt", ["a comment", "another"])
    imported(tmp_path / "t.db", first, second)[0].close()
    app = reader(tmp_path / "t.db")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("G", "r", "#", "5")  # thread 1 has a #5; the open thread 2 does not
        await wait_until(pilot, lambda: "no comment #5 to link to" in screen_text(app))
        await pilot.press("enter")
        assert isinstance(app.screen, LinkPicker)
        await pilot.press("escape")
    assert rows(tmp_path / "t.db", "SELECT count(*) FROM links WHERE kind = 'rebuts'") == [(0,)]


async def test_hostile_candidates_are_shown_inert(tmp_path):
    records = [
        {"id": f"h{i}", "author": HOSTILE_AUTHOR, "text": text} for i, text in enumerate(HOSTILE)
    ]
    records.append({"id": "last", "author": "ann", "text": "which zeppelin was it"})
    db, _ = imported(tmp_path / "t.db", json_thread(tmp_path, "t.jsonl", records))
    db.close()
    app = reader(tmp_path / "t.db")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("G", "r", *"zeppelin")
        await wait_until(pilot, lambda: app.screen.query_one(OptionList).option_count == 4)
        text = screen_text(app)
        assert not any(ch in text for ch in FORBIDDEN), repr(text)
        assert all(len(line) <= SIZE[0] for line in text.splitlines())
        shown = "\n".join(re.findall(r"^ *│ #\d.*$", text, re.M))  # the picker's rows
        assert shown.count("␛]52;c;a") == 4  # the author's OSC 52 clipboard write, as text
        for inert_text in ("␛[31mRED␛[0m", "[bold]not bold[/bold]", "⟨RLO⟩evil", "AAAAAAAA"):
            assert inert_text in shown, shown
        await pilot.press("escape")


# --- the benchmark -------------------------------------------------------------------------------
