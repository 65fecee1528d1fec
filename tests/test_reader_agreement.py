"""The reader's agreement screen (``A``) and its review of the disagreements (``R``): the numbers
as store.agreement gives them, stepping through the units that differ, each decision written
into the adjudicator's layer with the header's count, what survives closing, the agreed units
in one key, a refusal, and the look at 80x24."""

from __future__ import annotations

import pytest

from store import open_database, toggle_tag
from store.agreement import NO_VARIATION, thread_agreement
from tests.reader_support import (
    SIZE,
    palette_prompts,
    reader,
    rows,
    screen_text,
    seeded_database,
    status_text,
    wait_until,
)
from tests.test_adjudication import CLAIM, EVIDENCE, GOLD, coded, gold_tags
from tests.test_agreement import SEED_COMMENTS
from tui.agreement_cli import COLUMNS, _number
from tui.screens.adjudication import AdjudicationScreen
from tui.screens.agreement import AgreementScreen

pytestmark = pytest.mark.usefixtures("reader_home")


@pytest.fixture
def db_path(tmp_path):
    """The seed thread as alice and bob coded it (see tests.test_adjudication.coded)."""
    path = seeded_database(tmp_path / "seed.db")
    db = open_database(path)
    try:
        coded(db)
    finally:
        db.close()
    return path


def lines(app) -> list[str]:
    return screen_text(app).splitlines()


def gold_in(db_path) -> list[tuple]:
    """The adjudicator's tags as committed, read on a connection of the test's own."""
    db = open_database(db_path)
    try:
        return gold_tags(db)
    finally:
        db.close()


async def open_review(app, pilot) -> AdjudicationScreen:
    await pilot.press("R")
    await wait_until(
        pilot, lambda: isinstance(app.screen, AdjudicationScreen) and app.screen.review
    )
    await pilot.pause()
    return app.screen


async def test_review_steps_through_the_disagreements_and_settles_one_with_a_key(db_path):
    app = reader(db_path, GOLD)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(app, pilot)
        header, unit = lines(app)[:2]
        assert "0 of 3 disagreements settled · 1/3 · gold decides between alice, bob" in header
        assert unit.strip() == "#1 · tags · unsettled"
        screen = screen_text(app)
        assert "1  alice  claim, evidence" in screen
        assert "2  bob    claim" in screen
        assert "u  union  claim, evidence" in screen
        await pilot.press("n")
        assert lines(app)[1].strip() == "#2.2 · tags · unsettled"
        assert "It’s the same whether it’s done by a human or a machine." in screen_text(app)
        await pilot.press("j")
        assert lines(app)[1].strip() == "#5 → #4 · link · unsettled"
        await pilot.press("p", "k")
        await pilot.press("2")  # bob's version of #1
        assert gold_in(db_path) == [(1, None, None, CLAIM)]
        header, unit = lines(app)[:2]
        assert "1 of 3 disagreements settled" in header
        assert unit.strip() == "#2.2 · tags · unsettled"  # on to the next one to settle
        assert "Settled #1: bob's version." in status_text(app)
        await pilot.press("p")
        assert lines(app)[1].strip() == "#1 · tags · settled: bob's version"
        assert "2  bob    claim  ✓ chosen" in screen_text(app)


async def test_none_and_union_are_settled_too_and_stay_so_after_closing(db_path):
    app = reader(db_path, GOLD)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(app, pilot)
        await pilot.press("u", "0")  # the union on #1, none on #2.2
        assert gold_in(db_path) == [(1, None, None, CLAIM), (1, None, None, EVIDENCE)]
        assert "2 of 3 disagreements settled" in lines(app)[0]
        await pilot.press("escape")
        assert app.screen is app.reader
        await open_review(app, pilot)
        header, unit = lines(app)[:2]
        assert "2 of 3 disagreements settled" in header
        assert unit.strip() == "#5 → #4 · link · unsettled"  # opens at the first unsettled
        await pilot.press("1")
        assert rows(db_path, "SELECT kind, note FROM links WHERE annotator = 'gold'") == [
            ("rebuts", "paint is no database")
        ]
        assert "3 of 3 disagreements settled" in lines(app)[0]
        assert "All 3 disagreements settled." in status_text(app)


async def test_a_accepts_every_agreed_unit(db_path):
    app = reader(db_path, GOLD)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(app, pilot)
        assert "a: accept the 2 agreed units (2 not yet yours)" in status_text(app)
        await pilot.press("a")
        assert gold_in(db_path) == [(2, None, None, CLAIM)]
        assert rows(db_path, "SELECT kind FROM links WHERE annotator = 'gold'") == [("rebuts",)]
        assert "Accepted 2 agreed units into your layer" in status_text(app)
        await wait_until(pilot, lambda: "(0 not yet yours)" in screen_text(app))
        assert "0 of 3 disagreements settled" in lines(app)[0]


async def test_a_version_key_past_the_annotators_says_so(db_path):
    app = reader(db_path, GOLD)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(app, pilot)
        await pilot.press("3")
        assert "There is no annotator 3 here: 1-2." in status_text(app)
        assert gold_in(db_path) == []


async def test_an_annotator_who_coded_the_thread_cannot_adjudicate_it(db_path):
    app = reader(db_path, "alice")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_until(pilot, lambda: "No adjudication" in status_text(app))
        assert app.screen is app.reader
        assert "'alice' coded thread 1" in status_text(app)


async def test_the_palette_opens_the_review(db_path):
    app = reader(db_path, GOLD)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p", *"Review disagreements")
        await wait_until(pilot, lambda: "Review disagreements" in palette_prompts(app)[0])
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, AdjudicationScreen))


# --- the agreement screen ---------------------------------------------------------------------


async def open_agreement(app, pilot) -> str:
    await pilot.press("A")
    assert isinstance(app.screen, AgreementScreen)
    await wait_until(pilot, lambda: "Working out" not in screen_text(app))
    return screen_text(app)


def row_of(screen: str, name: str) -> list[str]:
    """The cells of the table row that starts with ``name``."""
    line = next(line for line in screen.splitlines() if line.strip("│ ").startswith(name + " "))
    return line.strip("│ ").split()


async def test_the_agreement_screen_shows_the_stores_numbers(db_path):
    db = open_database(db_path)
    try:
        report = thread_agreement(db, 1, ["alice", "bob"])
    finally:
        db.close()
    app = reader(db_path, GOLD)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agreement(app, pilot)
        assert "Between alice, bob" in screen
        for name, entry in (
            ("evidence", report["tags"]["evidence"]),
            ("counterpoint", report["segments"]["counterpoint"]),
            ("links", report["links"]),
        ):
            assert row_of(screen, name) == [name, *(_number(k, entry[k]) for _, k, _ in COLUMNS)]
        claim = row_of(screen, "claim")  # both tagged #1 and #2 and nothing else claim
        assert claim == ["claim", "1.000", "1.000", "1.000", "100.0%", "10"]
        await pilot.press("escape")
        assert app.screen is app.reader


async def test_an_undefined_value_is_marked_with_its_reason(tmp_path):
    path = seeded_database(tmp_path / "seed.db")
    db = open_database(path)
    try:
        for annotator in ("alice", "bob"):
            for comment in SEED_COMMENTS:
                toggle_tag(db, comment, CLAIM, annotator)
    finally:
        db.close()
    app = reader(path, GOLD)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agreement(app, pilot)
        assert row_of(screen, "claim") == ["claim", "n/a¹", "n/a¹", "n/a¹", "100.0%", "10"]
        assert f"¹ {NO_VARIATION}" in screen
        assert "Links (items: the pairs of comments or segments anyone linked)\n" in (
            "\n".join(line.strip("│ ") for line in screen.splitlines())
        )
        assert row_of(screen, "no") == ["no", "items"]


async def test_with_one_annotator_agreement_says_it_needs_two(tmp_path):
    path = seeded_database(tmp_path / "seed.db")
    db = open_database(path)
    try:
        toggle_tag(db, 1, CLAIM, "alice")
    finally:
        db.close()
    app = reader(path, "alice")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agreement(app, pilot)
        assert "agreement needs two annotators: only alice tagged or linked in this thread" in (
            screen
        )


def test_the_review_at_80x24(snap_compare, db_path):
    async def review_open(pilot):
        await open_review(pilot.app, pilot)
        await pilot.press("n")

    assert snap_compare(reader(db_path, GOLD), run_before=review_open, terminal_size=SIZE)
