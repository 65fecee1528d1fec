"""The fold's shingling on the second core (store.shingles): the same folding as in one
process, chunk for chunk; a child that fails or cannot start; and a fold stopped midway,
which leaves no child running and no scratch behind."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_dedup import LONG, records, synthetic_thread

import store.dedup
from store import shingles
from store.dedup import fold
from tui.cli import main

NEVER = 10**12


class Children:
    """The shingling children started, recorded as they are."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []


@pytest.fixture
def children(monkeypatch) -> Children:
    """Every thread's chunks hashed by a child, many chunks to a thread, and the children kept."""
    recorded = Children()
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        child = real_popen(*args, **kwargs)
        recorded.started.append(child)
        return child

    monkeypatch.setattr(shingles, "ASIDE_MIN_TEXTS", 1)
    monkeypatch.setattr(shingles, "CHUNK_CHARS", 20_000)
    monkeypatch.setattr(shingles.subprocess, "Popen", popen)
    return recorded


def in_one_process(texts: list[str], **options) -> store.dedup.Folding:
    aside = shingles.ASIDE_MIN_TEXTS
    shingles.ASIDE_MIN_TEXTS = NEVER
    try:
        return fold(records(*texts), **options)
    finally:
        shingles.ASIDE_MIN_TEXTS = aside


def quoting_thread() -> list[str]:
    """Near duplicates of a shared vocabulary, and replies quoting some of them."""
    texts, _ = synthetic_thread(originals=900, seed=11)
    replies = [
        f"> {texts[i]}\nI do not agree with this at all, number {i}" for i in range(0, 600, 7)
    ]
    return texts + replies


def test_a_thread_folds_the_same_with_its_chunks_hashed_by_a_child(children) -> None:
    texts = quoting_thread()
    alone = in_one_process(texts)
    assert sum(how == "near" for how in alone.folded) > 100 and alone.quotes  # a real test
    assert fold(records(*texts)) == alone
    (child,) = children.started
    assert child.args[1:3] == ["-m", "store.shingles"] and child.returncode == 0


FAILING_CHILDREN = {
    # stops with an error after its first message (a full scratch disk, say)
    "stops": ("read first\necho 'OSError: No space left on device' >&2\nexit 1", 1),
    # takes every chunk and says it is done, but leaves no results to read back
    "leaves nothing": ("cat > /dev/null\nexit 0", 0),
}


@pytest.mark.parametrize("failing_child", FAILING_CHILDREN)
def test_a_child_that_fails_costs_time_not_the_import(
    children, monkeypatch, tmp_path, failing_child
) -> None:
    """A child that fails: the fold shingles every text again in this process, and the
    import goes on with the same folding."""
    script, status = FAILING_CHILDREN[failing_child]
    texts = quoting_thread()
    alone = in_one_process(texts)
    failing = tmp_path / "python"
    failing.write_text(f"#!/bin/sh\n{script}\n")
    failing.chmod(failing.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(sys, "executable", str(failing))
    assert fold(records(*texts)) == alone
    (child,) = children.started
    assert child.returncode == status
    source = tmp_path / "thread.txt"
    source.write_text("\n".join(text.replace("\n", " ") for text in texts) + "\n")
    db = tmp_path / "new.db"
    assert main(["import", str(source), "--db", str(db)]) == 0
    assert len(children.started) == 2 and children.started[1].returncode == status
    with sqlite3.connect(db) as imported:
        assert imported.execute("SELECT count(*) FROM comments").fetchone() == (len(texts),)


def test_no_interpreter_to_start_hashes_the_chunks_here(children, monkeypatch, tmp_path) -> None:
    texts = quoting_thread()
    alone = in_one_process(texts)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    assert fold(records(*texts)) == alone
    assert children.started == []


def test_a_fold_stopped_midway_stops_its_child_and_leaves_no_scratch(
    children, monkeypatch, tmp_path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(store.dedup, "NORMALISE_REPORT_EVERY", 200)

    class Cancelled(Exception):
        pass

    def cancel_late(stage: str, done: int, total: int) -> None:
        if stage == "normalise" and done >= 1_200:  # after several chunks went to the child
            raise Cancelled

    with pytest.raises(Cancelled):
        fold(records(*quoting_thread()), progress=cancel_late)
    (child,) = children.started
    assert child.poll() is not None  # stopped, not left to finish alone
    assert os.listdir(tmp_path) == []


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.one_of(
            st.sampled_from([LONG, LONG.upper(), f"> {LONG}\nno, I think not, and here is why"]),
            st.text(min_size=0, max_size=120),
            st.builds(lambda cut: LONG[:cut] + LONG[cut + 1 :], st.integers(0, len(LONG) - 1)),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_any_texts_fold_the_same_hashed_by_a_child_or_here(children, texts) -> None:
    """Whatever the characters (lone surrogates, NULs, CJK, quote markers): the child hashes
    what this process would, and the folding is the same."""
    assert fold(records(*texts)) == in_one_process(texts)
