"""Killing threadmark with SIGKILL at any instant loses nothing it acknowledged and never
damages the database.

Each change is one ``BEGIN IMMEDIATE`` transaction holding the change and its journal row
(store.database.write, store.annotate), so after any kill the file must pass SQLite's checks,
hold every change a process acknowledged (and at most the one in flight besides, whole or not
at all), and its journal (``events``) must say what its tables hold.  The processes are real
(tests/crash_writer.py, and the reader in a pseudo-terminal), killed round after round on one
file so that damage would pile up; the kill delays are random, and the seed of each test is in
its failure messages.

test_durability proves a tag the reader has shown survives a kill; here the kill comes right
after the key, before the reader may have shown anything.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from store import open_database
from tests.reader_support import Terminal

ROOT = Path(__file__).resolve().parent.parent
WRITER_ROUNDS = 30
PAIR_ROUNDS = 8
READER_ROUNDS = 4
KILL_WITHIN_S = 0.25  # a writer is killed at a random moment this long after it is ready
READY_TIMEOUT_S = 30.0
FIRST_COMMENT = b"The problem with copyright"  # the seed thread's first comment, on screen
READER_ANNOTATOR = "kim"
FIRST_CLUSTER = 1  # the comment the reader opens on, #1
# Keys a fast typist or a paste sends while the reader is quitting: moves, tags, dialogs,
# Escape, Enter, Tab, Backspace, arrows and Ctrl+P.
BURST = b"jkgGnN123456789trsupmezZdxf/?\x1b\r\t\x7f\x1b[B\x1b[A\x10"
BURST_LIMIT = 3_000  # bytes: below the pty's 4 KiB input buffer, so a write never blocks
BURST_EVERY_S = 0.01  # so that keys keep coming for the whole of the shutdown

Span = tuple[int, int]
Change = dict[str, Any]


def _span(value: list[int] | None) -> Span | None:
    return None if value is None else (value[0], value[1])


def _tag_key(change: Change) -> tuple[int, Span | None, int]:
    return change["cluster"], _span(change.get("span")), change["tag"]


def _link_key(change: Change) -> tuple[int, Span | None, int, Span | None, str]:
    return (
        change["source"],
        _span(change.get("source_span")),
        change["target"],
        _span(change.get("target_span")),
        change["kind"],
    )


def _note_key(change: Change) -> tuple[int, Span | None]:
    return change["cluster"], _span(change.get("span"))


@dataclass
class Annotations:
    """One annotator's tags, links and notes, and the count of journal rows that made them.

    The same shape is read from the tables, replayed from the journal and built from what a
    process acknowledged, so the three can be compared.
    """

    tags: set[tuple[int, Span | None, int]] = field(default_factory=set)
    links: dict[tuple[int, Span | None, int, Span | None, str], str] = field(default_factory=dict)
    notes: dict[tuple[int, Span | None], str] = field(default_factory=dict)
    journal_rows: int = 0

    def after(self, change: Change) -> Annotations:
        """These annotations once the writer's ``change`` (tests/crash_writer.py) is made."""
        new = Annotations(set(self.tags), dict(self.links), dict(self.notes), self.journal_rows)
        if change["change"] == "toggle":
            new.tags ^= {_tag_key(change)}
        elif change["change"] == "link":
            if _link_key(change) in new.links:  # add_link leaves a link that exists alone
                return new
            new.links[_link_key(change)] = change["note"]
        else:
            text = change["text"] if change["text"].strip() else None  # empty: no note
            if new.notes.get(_note_key(change)) == text:  # nothing changes, nothing journaled
                return new
            _set_note(new.notes, _note_key(change), text)
        new.journal_rows += 1
        return new


def _set_note(notes: dict, key: tuple[int, Span | None], text: str | None) -> None:
    if text is None:
        notes.pop(key, None)
    else:
        notes[key] = text


def from_tables(db, annotator: str) -> Annotations:
    """What the tables hold of ``annotator``'s, segments read back as spans."""

    def span(start: int | None, end: int | None) -> Span | None:
        return None if start is None else (start, end)

    tags = db.execute(
        "SELECT a.cluster_id, s.start, s.end, a.tag_id FROM annotations a "
        "LEFT JOIN segments s ON s.id = a.segment_id AND s.cluster_id = a.cluster_id "
        "WHERE a.annotator = ?",
        (annotator,),
    )
    links = db.execute(
        "SELECT l.source_cluster, s.start, s.end, l.target_cluster, t.start, t.end, l.kind, "
        "l.note FROM links l "
        "LEFT JOIN segments s ON s.id = l.source_segment AND s.cluster_id = l.source_cluster "
        "LEFT JOIN segments t ON t.id = l.target_segment AND t.cluster_id = l.target_cluster "
        "WHERE l.annotator = ?",
        (annotator,),
    )
    notes = db.execute(
        "SELECT n.cluster_id, s.start, s.end, n.text FROM notes n "
        "LEFT JOIN segments s ON s.id = n.segment_id AND s.cluster_id = n.cluster_id "
        "WHERE n.annotator = ?",
        (annotator,),
    )
    (journal_rows,) = db.execute(
        "SELECT count(*) FROM events WHERE annotator = ?", (annotator,)
    ).fetchone()
    return Annotations(
        {(c, span(s, e), tag) for c, s, e, tag in tags},
        {(c, span(s, e), t, span(ts, te), kind): note for c, s, e, t, ts, te, kind, note in links},
        {(c, span(s, e)): text for c, s, e, text in notes},
        journal_rows,
    )


def from_journal(db, annotator: str) -> Annotations:
    """What ``annotator``'s rows in ``events`` say the tables hold: the changes replayed."""
    found = Annotations()
    for action, payload in db.execute(
        "SELECT action, payload FROM events WHERE annotator = ? ORDER BY id", (annotator,)
    ):
        change = json.loads(payload)
        if action == "tag":
            found.tags.add(_tag_key(change))
        elif action == "untag":
            found.tags.remove(_tag_key(change))
        elif action == "link":
            found.links[_link_key(change)] = change["note"]
        elif action == "unlink":
            del found.links[_link_key(change)]
        elif action == "note":
            _set_note(found.notes, _note_key(change), change["after"])
        else:
            raise AssertionError(f"no process in this test makes a {action!r} change")
        found.journal_rows += 1
    return found


def check_after_kill(
    db_path: Path, acknowledged: dict[str, Annotations], in_flight: dict[str, Change | None]
) -> dict[str, Annotations]:
    """Open the file as threadmark does after a crash and check it; each annotator's
    annotations as found (the acknowledged ones, with or without the change in flight)."""
    db = open_database(db_path)  # recovers the -wal, runs quick_check on a file this small
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        unused = db.execute(
            "SELECT count(*) FROM segments s WHERE NOT EXISTS "
            "(SELECT 1 FROM annotations WHERE segment_id = s.id) AND NOT EXISTS "
            "(SELECT 1 FROM notes WHERE segment_id = s.id) AND NOT EXISTS "
            "(SELECT 1 FROM links WHERE s.id IN (source_segment, target_segment))"
        ).fetchone()
        assert unused == (0,), "a segment was left behind by a change cut short"
        found = {}
        for annotator, expected in acknowledged.items():
            tables = from_tables(db, annotator)
            assert tables == from_journal(db, annotator), f"{annotator}: journal and tables differ"
            change = in_flight[annotator]
            possible = [expected] if change is None else [expected, expected.after(change)]
            assert tables in possible, (
                f"{annotator}: acknowledged {expected}, in flight {change}, found {tables}"
            )
            found[annotator] = tables
        return found
    finally:
        db.close()


# -- writer processes ---------------------------------------------------------------------------


class Writer:
    """tests/crash_writer.py annotating ``db_path`` as ``annotator``, its lines in a file."""

    def __init__(self, db_path: Path, annotator: str, seed: int) -> None:
        self.annotator = annotator
        self.out = db_path.with_name(f"{annotator}-{seed}.out")
        self.err = db_path.with_name(f"{annotator}-{seed}.err")
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.crash_writer", str(db_path), annotator, str(seed)],
                stdout=out,
                stderr=err,
                cwd=ROOT,
            )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.out.read_bytes().endswith(b"\n"):
            assert self.process.poll() is None, self.err.read_text()
            assert time.monotonic() < deadline, "the writer never opened the database"
            time.sleep(0.005)

    def kill(self) -> None:
        """SIGKILL it, having checked it was still at work (it met no error before)."""
        self.process.send_signal(signal.SIGKILL)
        code = self.process.wait()
        assert self.err.read_text() == "" and code == -signal.SIGKILL, self.err.read_text()

    def changes(self) -> tuple[list[Change], Change | None]:
        """The changes it acknowledged, in order, and the one in flight when it was killed."""
        acknowledged: list[Change] = []
        in_flight = None
        for line in self.out.read_text("utf-8").splitlines(keepends=True):
            if not line.endswith("\n"):  # a line cut short by the kill reached no one
                break
            change = json.loads(line)
            state = change.pop("state")
            if state == "doing":
                in_flight = change
            elif state == "done":
                acknowledged.append(change)
                in_flight = None
        return acknowledged, in_flight


def kill_rounds(db_path: Path, annotators: list[str], rounds: int, seed: int) -> int:
    """``rounds`` times on the same file: start one writer per annotator, kill each at its own
    random moment, and check the file.  The number of changes acknowledged in all."""
    rng = random.Random(seed)
    annotations = {annotator: Annotations() for annotator in annotators}
    acknowledged_in_all = 0
    for round_number in range(rounds):
        writers = [Writer(db_path, annotator, rng.randrange(2**32)) for annotator in annotators]
        for writer in writers:
            writer.wait_until_ready()
        started = time.monotonic()
        kill_at = {writer: started + rng.uniform(0, KILL_WITHIN_S) for writer in writers}
        for writer in sorted(writers, key=kill_at.__getitem__):
            time.sleep(max(0.0, kill_at[writer] - time.monotonic()))
            writer.kill()
        in_flight = {}
        for writer in writers:
            changes, in_flight[writer.annotator] = writer.changes()
            acknowledged_in_all += len(changes)
            for change in changes:
                annotations[writer.annotator] = annotations[writer.annotator].after(change)
        try:
            annotations = check_after_kill(db_path, annotations, in_flight)
        except AssertionError as error:
            raise AssertionError(f"seed {seed}, round {round_number}: {error}") from error
    return acknowledged_in_all


def test_a_writer_killed_at_random_moments_loses_nothing_it_acknowledged(seeded_db):
    acknowledged = kill_rounds(seeded_db, ["ana"], WRITER_ROUNDS, random.randrange(2**32))
    assert acknowledged > WRITER_ROUNDS  # the kills came while it wrote, not before


def test_two_writers_at_once_killed_lose_nothing_either_acknowledged(seeded_db):
    acknowledged = kill_rounds(seeded_db, ["ana", "ben"], PAIR_ROUNDS, random.randrange(2**32))
    assert acknowledged > PAIR_ROUNDS


# -- the reader -------------------------------------------------------------------------------


def test_the_reader_killed_right_after_a_tag_key_keeps_the_tag_whole_or_not_at_all(
    seeded_db, tmp_path
):
    """Round after round on one file: a few tag keys, each waited for on screen, then one
    more and SIGKILL a random moment later, shown or not."""
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    db = open_database(seeded_db)
    try:
        tags = dict(db.execute("SELECT hotkey, id FROM tags WHERE hotkey IS NOT NULL"))
        names = dict(db.execute("SELECT id, name FROM tags"))
    finally:
        db.close()
    acknowledged = Annotations()
    for round_number in range(READER_ROUNDS):
        args = ["--db", seeded_db, "--annotator", READER_ANNOTATOR]
        with Terminal(args, tmp_path) as terminal:
            terminal.read_until(FIRST_COMMENT)
            *shown, last = (
                {"change": "toggle", "cluster": FIRST_CLUSTER, "tag": tags[key], "key": key}
                for key in rng.sample(sorted(tags), rng.randint(1, 3))
            )
            for change in shown:
                verb = "Untagged" if _tag_key(change) in acknowledged.tags else "Tagged"
                since = len(terminal.output)
                terminal.send(change["key"].encode())
                terminal.read_until(f"{verb} #1 {names[change['tag']]}".encode(), since=since)
                acknowledged = acknowledged.after(change)
            terminal.send(last["key"].encode())
            time.sleep(rng.uniform(0, 0.05))
            terminal.process.send_signal(signal.SIGKILL)
            assert terminal.process.wait() == -signal.SIGKILL
        try:
            found = check_after_kill(
                seeded_db, {READER_ANNOTATOR: acknowledged}, {READER_ANNOTATOR: last}
            )
        except AssertionError as error:
            raise AssertionError(f"seed {seed}, round {round_number}: {error}") from error
        acknowledged = found[READER_ANNOTATOR]


def test_keys_typed_while_the_reader_quits_print_no_traceback(seeded_db, tmp_path):
    """``q`` and then a burst of keys through a real terminal, until the reader has exited.

    test_reader_hardening sends keys after ``q`` through Pilot; this goes through the driver's
    input thread and the terminal's restore too, where a key read during shutdown would land.
    """
    with Terminal(["--db", seeded_db], tmp_path) as terminal:
        terminal.read_until(FIRST_COMMENT)
        terminal.send(b"q")
        sent = 0
        while terminal.process.poll() is None and sent < BURST_LIMIT:
            try:
                terminal.send(BURST)
            except OSError:  # the reader has closed the terminal
                break
            sent += len(BURST)
            next_burst = time.monotonic() + BURST_EVERY_S
            while (left := next_burst - time.monotonic()) > 0:
                terminal.read(left)  # drains the screen, so the reader never waits to write it
        code, output = terminal.wait()
    assert "Traceback" not in output, output
    assert code == 0


def test_a_clean_quit_saves_the_last_key_and_leaves_no_side_files(seeded_db, tmp_path):
    """The writer drains before the reader exits, and closing folds the -wal back in."""
    with Terminal(["--db", seeded_db, "--annotator", "alice"], tmp_path) as terminal:
        terminal.read_until(FIRST_COMMENT)
        terminal.send(b"1q")
        code, output = terminal.wait()
    assert code == 0, output
    assert sorted(
        p.name for p in seeded_db.parent.iterdir() if p.name.startswith(seeded_db.name)
    ) == [seeded_db.name]
    db = sqlite3.connect(seeded_db)
    assert db.execute("SELECT cluster_id, annotator FROM annotations").fetchall() == [(1, "alice")]
    db.close()
