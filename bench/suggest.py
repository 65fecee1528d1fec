"""Benchmark the link picker's ranking: how high does a reply's true parent come?

    python bench/suggest.py [--n 2000] [--timing-sizes 1000 100000] [--sources 20] [--smoke]

A person linking a reply most often links it to the comment it answers, so a good ranking puts
that comment near the top.  Each data set is a thread whose reply structure is known:

- generated threads (seeded, see :class:`ConversationGenerator`): several conversations
  interleave, replies arrive at log-normal delays after their parent, share a few of its words,
  sometimes quote a sentence of it with "> ", and some are generic ("I agree") with no shared
  words; at three paces, from a quiet forum (the parent is often just above the reply, in time
  order) to a busy thread (dozens of comments between them);
- every JSON fixture in tests/fixtures with a reply tree and times, read through
  ``store.ingest.prepare``.

The structure is then hidden, as a flat scrape or plain text has it: the records are put in time
order (in depth-first order the parent is simply the row above most of the time, which measures
nothing) and their parent ids dropped, and the thread is imported through the store API.  There
are no ``replies_to`` links and no ``parent_cluster_id``; ``quotes`` links still come from the
import's quote detection.  For every reply whose parent is in the thread (neither of them a
tombstone, nor folded into one comment), each ranking is asked for the reply's link targets and
the rank of the true parent is scored: top-1, top-3, top-10 and mean reciprocal rank (0 when it
is not among the first LIMIT).  The rankings, in the same run:

- ``today``: the ranking before item 12 (parent, then ``fuzz.WRatio`` to the comment's text),
  copied below unchanged as the baseline;
- ``nearest``: the nearest earlier comment first, and nothing else;
- ``ranked``: :func:`store.linking.link_candidates`.

Then the time of one keystroke: ``link_candidates`` (and the baseline) for the same comments as
a person types a word of the parent letter by letter, at each of ``--timing-sizes`` comments.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import heapq
import itertools
import json
import math
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process, utils

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from bench.dedup import COMMON_WORDS, SHORT_REPLIES, TOPIC_WORDS
from store.database import open_database
from store.dedup import fold
from store.errors import ThreadmarkError
from store.ingest import PreparedImport, prepare, write_import
from store.linking import link_candidates
from store.queries import SNIPPET_CHARS, fts_query

SEED = 20240601
LIMIT = 50  # candidates the picker asks for: a parent not among them scores 0
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
TOP3_TARGET = 0.40
SCORE_FIELDS = ("top1", "top3", "top10", "mrr")


# --- generated threads -------------------------------------------------------------------------


@dataclass(frozen=True)
class Pace:
    """How fast a thread moves: seconds between conversations, and a reply's delay."""

    name: str
    conversation_gap_s: float  # mean time between new top-level comments
    reply_delay_median_s: float
    reply_delay_sigma: float = 1.3


QUIET = Pace("quiet forum", conversation_gap_s=3600, reply_delay_median_s=600)
LIVELY = Pace("lively thread", conversation_gap_s=600, reply_delay_median_s=600)
BUSY = Pace("busy thread", conversation_gap_s=120, reply_delay_median_s=600)
PACES = (QUIET, LIVELY, BUSY)
GENERIC_REPLY = 0.12  # replies with no words of their parent ("I agree")
QUOTE_REPLY = 0.15  # replies that open by quoting a sentence of their parent
BACK_AND_FORTH = 0.4  # replies by the author of the comment their parent answered
REPLIES_MEAN = (1.4, 0.9, 0.75)  # replies a comment gets, by depth (the last for deeper ones)
TOPIC_SIZE = 6  # topic words of a conversation
AUTHORS = 400
START_TIME = 1_700_000_000
GENERIC_REPLIES = [*SHORT_REPLIES, "I agree.", "I agree with this.", "Well said.", "Exactly!"]


@dataclass
class _Comment:
    parent: _Comment | None
    time: float
    author: str
    text: str
    sentences: list[str]  # its own sentences, for a reply to quote
    topic: list[str]  # its conversation's topic words
    depth: int
    id: str = ""


class ConversationGenerator:
    """A seeded thread of interleaving conversations, with known reply structure.

    Each top-level comment opens a conversation with topic words of its own.  Replies use the
    conversation's topic words, share one to three of their parent's words (longer than three
    letters: rare ones or common ones alike), add new ones, and arrive a log-normal delay after
    their parent; some quote a sentence of it, some are generic.  Many go back and forth
    between two people.  Text is Zipf-weighted common words plus invented content words.
    """

    def __init__(self, seed: int, pace: Pace) -> None:
        self.random = random.Random(seed)
        self.pace = pace
        syllables = ["ka", "lo", "mi", "ter", "ban", "sor", "vel", "qui", "den", "ra", "pol", "us"]
        invented = {
            "".join(self.random.choices(syllables, k=self.random.randint(2, 4)))
            for _ in range(6000)
        }
        self.content_words = sorted(invented)
        self.common_words = COMMON_WORDS.split() + TOPIC_WORDS.split()
        self.common_weights = list(
            itertools.accumulate(1 / (rank + 1) for rank in range(len(self.common_words)))
        )
        self.authors = [f"user{number}" for number in range(AUTHORS)]

    def records(self, n: int) -> list[dict]:
        """``n`` comments as JSON records (id, parent, author, created, text), depth first."""
        arrivals: list[tuple[float, int, _Comment]] = []  # replies due: (time, tie-break, reply)
        made: list[_Comment] = []
        tie_break = itertools.count()
        next_conversation = 0.0
        while len(made) < n:
            if not arrivals or next_conversation < arrivals[0][0]:
                comment = self._opening(next_conversation)
                next_conversation += self.random.expovariate(1 / self.pace.conversation_gap_s)
            else:
                comment = heapq.heappop(arrivals)[2]
            comment.id = f"c{len(made)}"
            made.append(comment)
            for _ in range(self._reply_count(comment.depth)):
                delay = self.random.lognormvariate(
                    math.log(self.pace.reply_delay_median_s), self.pace.reply_delay_sigma
                )
                reply = self._reply(comment, comment.time + delay)
                heapq.heappush(arrivals, (reply.time, next(tie_break), reply))
        return list(_depth_first(made))

    def _reply_count(self, depth: int) -> int:
        """Geometric, with the mean REPLIES_MEAN gives for this depth."""
        mean = REPLIES_MEAN[min(depth, len(REPLIES_MEAN) - 1)]
        count = 0
        while self.random.random() < mean / (1 + mean):
            count += 1
        return count

    def _opening(self, at: float) -> _Comment:
        topic = self.random.sample(self.content_words, TOPIC_SIZE)
        sentences = self._sentences(topic, shared=[], count=self.random.randint(2, 4))
        author = self.random.choice(self.authors)
        return _Comment(None, at, author, " ".join(sentences), sentences, topic, depth=0)

    def _reply(self, parent: _Comment, at: float) -> _Comment:
        author = self.random.choice(self.authors)
        if parent.parent is not None and self.random.random() < BACK_AND_FORTH:
            author = parent.parent.author
        if self.random.random() < GENERIC_REPLY:
            sentences = [self.random.choice(GENERIC_REPLIES)]
            text = sentences[0]
        else:
            words = [word for word in " ".join(parent.sentences).split() if len(word) > 3]
            words = [word.strip(".?!").lower() for word in words]
            shared = self.random.sample(words, min(len(words), self.random.randint(1, 3)))
            sentences = self._sentences(parent.topic, shared, count=self.random.randint(1, 3))
            text = " ".join(sentences)
            if self.random.random() < QUOTE_REPLY:
                text = f"> {self.random.choice(parent.sentences)}\n\n{text}"
        return _Comment(parent, at, author, text, sentences, parent.topic, parent.depth + 1)

    def _sentences(self, topic: list[str], shared: list[str], count: int) -> list[str]:
        """Sentences of common words with a few topic words, new words and ``shared`` mixed in."""
        shared = list(shared)
        sentences = []
        for index in range(count):
            words = self.random.choices(
                self.common_words, cum_weights=self.common_weights, k=self.random.randint(6, 16)
            )
            mixed_in = self.random.choices(topic, k=self.random.randint(0, 2))
            mixed_in += self.random.choices(self.content_words, k=self.random.randint(0, 2))
            if index == count - 1:
                mixed_in += shared
            elif shared:
                mixed_in.append(shared.pop())
            for word in mixed_in:
                words.insert(self.random.randrange(len(words) + 1), word)
            sentences.append(" ".join(words).capitalize() + self.random.choice("....?!"))
        return sentences


def _depth_first(made: list[_Comment]) -> Iterator[dict]:
    """The comments as a scrape of the tree lists them, each reply under its parent."""
    replies: dict[str, list[_Comment]] = {}
    for comment in made:
        if comment.parent is not None:
            replies.setdefault(comment.parent.id, []).append(comment)
    stack = [comment for comment in reversed(made) if comment.parent is None]
    while stack:
        comment = stack.pop()
        yield {
            "id": comment.id,
            "parent": comment.parent.id if comment.parent else None,
            "author": comment.author,
            "created": START_TIME + round(comment.time),
            "text": comment.text,
        }
        stack.extend(reversed(replies.get(comment.id, [])))


# --- the data sets, flattened and imported -----------------------------------------------------


@dataclass
class FlatThread:
    """A thread imported with its structure hidden, and the structure it had."""

    name: str
    db: sqlite3.Connection
    replies: list[tuple[int, int]]  # (reply, its true parent) as cluster ids, both annotatable
    comments: int


def flat_import(name: str, prepared: PreparedImport, db_path: Path) -> FlatThread:
    """Import a thread read with its tree in time order with no parent ids, as a flat scrape."""
    records = prepared.parsed.records
    parent_of = {r.platform_id: r.parent_id for r in records if r.parent_id is not None}
    flat = [
        dataclasses.replace(record, parent_id=None)
        for record in sorted(records, key=lambda record: record.created_at or "")
    ]
    flattened = dataclasses.replace(
        prepared,
        parsed=dataclasses.replace(prepared.parsed, records=flat),
        folding=fold(flat, prepared.threshold),
        sha256=hashlib.sha256(f"flat:{prepared.sha256}".encode()).hexdigest(),
    )
    db = open_database(db_path)
    thread_id = write_import(db, flattened).thread_id
    cluster_of = dict(
        db.execute(
            "SELECT o.platform_id, o.cluster_id FROM comments o JOIN clusters c "
            "ON c.id = o.cluster_id WHERE o.thread_id = ? AND NOT c.is_tombstone",
            (thread_id,),
        ).fetchall()
    )
    replies = sorted(
        {
            (cluster_of[reply], cluster_of[parent])
            for reply, parent in parent_of.items()
            if reply in cluster_of
            and parent in cluster_of
            and cluster_of[reply] != cluster_of[parent]
        }
    )
    (comments,) = db.execute(
        "SELECT count(*) FROM clusters WHERE thread_id = ?", (thread_id,)
    ).fetchone()
    return FlatThread(name, db, replies, comments)


def generated_thread(directory: Path, pace: Pace, n: int) -> FlatThread:
    path = directory / f"{pace.name.replace(' ', '-')}-{n}.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for record in ConversationGenerator(SEED, pace).records(n):
            out.write(json.dumps(record) + "\n")
    return flat_import(pace.name, prepare(path), directory / f"{path.stem}.db")


def fixture_threads(directory: Path) -> list[FlatThread]:
    """Every JSON fixture with a reply to score and a time on every record (to sort by)."""
    threads = []
    for path in sorted(FIXTURES.glob("*.json")):
        try:
            prepared = prepare(path)
        except ThreadmarkError:
            continue  # a fixture of bad input
        if not all(record.created_at for record in prepared.parsed.records):
            continue
        thread = flat_import(path.name, prepared, directory / f"{path.stem}.db")
        if thread.replies:
            threads.append(thread)
        else:
            thread.db.close()
    return threads


# --- the rankings ------------------------------------------------------------------------------

# The baseline: store/linking.py's ranking before item 12, copied unchanged but for returning
# ids and leaving out "#12" (an exact id, not a ranking).  The parent first (when known and
# nothing is typed), then fuzz.WRatio of each comment in a neighbourhood (plus the first
# full-text matches of typed words) to the typed words or else to the comment's own text.
TODAY_NEIGHBOURHOOD = 300
TODAY_SEARCH_POOL = 500
TODAY_MIN_SEARCH_WORD = 3


def today_candidates(
    db: sqlite3.Connection, source_id: int, query: str = "", limit: int = LIMIT
) -> list[int]:
    source = db.execute(
        "SELECT thread_id, seq, parent_cluster_id, text FROM clusters WHERE id = ?", (source_id,)
    ).fetchone()
    thread_id, seq, parent_id, source_text = source
    pool: dict[int, tuple[str, str | None]] = {}
    for cluster_id, snippet, author in db.execute(
        f"SELECT id, substr(text, 1, {SNIPPET_CHARS}), author FROM clusters WHERE thread_id = ? "
        "AND seq BETWEEN ? AND ? AND NOT is_tombstone",
        (thread_id, seq - TODAY_NEIGHBOURHOOD, seq + TODAY_NEIGHBOURHOOD),
    ):
        pool[cluster_id] = (snippet, author)
    words = query.strip()
    if max(map(len, words.split()), default=0) >= TODAY_MIN_SEARCH_WORD:
        for cluster_id, snippet, author in db.execute(
            f"SELECT c.id, substr(c.text, 1, {SNIPPET_CHARS}), c.author FROM clusters_fts f "
            "CROSS JOIN clusters c ON c.id = f.rowid "
            "WHERE clusters_fts MATCH ? AND c.thread_id = ? AND NOT c.is_tombstone LIMIT ?",
            (fts_query(words), thread_id, TODAY_SEARCH_POOL),
        ):
            pool[cluster_id] = (snippet, author)
    pool.pop(source_id, None)
    ranked: list[int] = []
    if parent_id is not None and not words:
        pool.pop(parent_id, None)
        ranked.append(parent_id)
    ids = list(pool)
    matches = process.extract(
        words or source_text[:SNIPPET_CHARS],
        [pool[cluster_id][0] for cluster_id in ids],
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=30 if words else 0,
    )
    ranked.extend(ids[index] for _, _, index in matches)
    return ranked[:limit]


def nearest_candidates(db: sqlite3.Connection, source_id: int, limit: int = LIMIT) -> list[int]:
    """The comments before ``source_id`` in thread order, nearest first."""
    return [
        row[0]
        for row in db.execute(
            "SELECT c.id FROM clusters c JOIN clusters s ON s.id = ? WHERE c.thread_id = "
            "s.thread_id AND c.seq < s.seq AND NOT c.is_tombstone ORDER BY c.seq DESC LIMIT ?",
            (source_id, limit),
        )
    ]


Ranking = Callable[[sqlite3.Connection, int], list[int]]
RANKINGS: dict[str, Ranking] = {
    "today": today_candidates,
    "nearest": nearest_candidates,
    "ranked": lambda db, source_id: [c.id for c in link_candidates(db, source_id, limit=LIMIT)],
}


# --- scoring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    replies: int
    top1: float
    top3: float
    top10: float
    mrr: float


def score(thread: FlatThread, ranking: Ranking) -> Score:
    """Where ``ranking`` puts each reply's true parent, summed up."""
    ranks = []
    for reply, parent in thread.replies:
        ranked = ranking(thread.db, reply)
        ranks.append(ranked.index(parent) + 1 if parent in ranked else math.inf)
    count = len(ranks) or 1
    return Score(
        len(ranks),
        sum(rank <= 1 for rank in ranks) / count,
        sum(rank <= 3 for rank in ranks) / count,
        sum(rank <= 10 for rank in ranks) / count,
        sum(1 / rank for rank in ranks) / count,
    )


def print_scores(threads: list[FlatThread]) -> None:
    print(
        f"{'data set':<22} {'comments':>8} {'replies':>7}  {'ranking':<8} {'top-1':>6} "
        f"{'top-3':>6} {'top-10':>6} {'MRR':>6}"
    )
    failed = []
    for thread in threads:
        scores = {name: score(thread, ranking) for name, ranking in RANKINGS.items()}
        for row, (name, result) in enumerate(scores.items()):
            first = row == 0  # the data set's name and sizes only on its first row
            label = thread.name if first else ""
            comments = f"{thread.comments:,}" if first else ""
            replies = f"{result.replies:,}" if first else ""
            print(
                f"{label:<22} {comments:>8} {replies:>7}  {name:<8} {result.top1:>6.1%} "
                f"{result.top3:>6.1%} {result.top10:>6.1%} {result.mrr:>6.3f}",
                flush=True,
            )
        ranked, nearest = scores["ranked"], scores["nearest"]
        passed = ranked.top3 >= TOP3_TARGET and all(
            getattr(ranked, field) >= getattr(nearest, field) for field in SCORE_FIELDS
        )
        if not passed:
            failed.append(thread.name)
    print(
        "today = store/linking.py before item 12 (parent, then fuzz.WRatio), copied here; "
        "nearest = the nearest earlier comment first;\nranked = store.linking.link_candidates. "
        f"A parent not in the first {LIMIT} counts as rank infinity."
    )
    verdict = f"FAIL on {', '.join(failed)}" if failed else f"PASS on all {len(threads)} data sets"
    print(f"target: ranked top-3 >= {TOP3_TARGET:.0%} and no measure below nearest: {verdict}")


# --- the time of a keystroke -------------------------------------------------------------------


def keystroke_times(thread: FlatThread, sources: int) -> dict[str, dict[str, list[float]]]:
    """Seconds per call, by ranking and by what is typed (nothing yet, or part of a word).

    For each of ``sources`` replies, spread through the thread: the picker opening (nothing
    typed), then the parent's longest word typed a letter at a time.  The two rankings take
    turns going first, so that machine load falls on both alike.
    """
    rankings = {
        "today": lambda source, query: today_candidates(thread.db, source, query),
        "ranked": lambda source, query: link_candidates(thread.db, source, query),
    }
    times = {name: {"opening": [], "typing": []} for name in rankings}
    step = max(1, len(thread.replies) // sources)
    for turn, (reply, parent) in enumerate(thread.replies[::step][:sources]):
        (text,) = thread.db.execute("SELECT text FROM clusters WHERE id = ?", (parent,)).fetchone()
        word = max(text.split(), key=len).strip(".?!,")
        queries = ["", *(word[:length] for length in range(1, len(word) + 1))]
        order = list(rankings) if turn % 2 else list(reversed(rankings))
        for query in queries:
            for name in order:
                start = time.perf_counter()
                rankings[name](reply, query)
                times[name]["typing" if query else "opening"].append(time.perf_counter() - start)
    return times


def print_times(timed: list[tuple[FlatThread, dict[str, dict[str, list[float]]]]]) -> None:
    print(
        f"{'comments':>9}  {'ranking':<8} {'opening p50':>11} {'max':>6}  "
        f"{'per keystroke p50':>17} {'p95':>6} {'max':>6}   (ms)"
    )
    for thread, times in timed:
        for name, by_kind in times.items():
            opening, typing = by_kind["opening"], by_kind["typing"]
            print(
                f"{thread.comments:>9,}  {name:<8} {ms(statistics.median(opening)):>11} "
                f"{ms(max(opening)):>6}  {ms(statistics.median(typing)):>17} "
                f"{ms(percentile(typing, 0.95)):>6} {ms(max(typing)):>6}",
                flush=True,
            )
    print(
        "opening: the picker's first list (nothing typed); per keystroke: each letter of a word "
        "of the parent, typed."
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with ``fraction`` of them at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="comments in each generated thread")
    parser.add_argument("--timing-sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--sources", type=int, default=20, help="comments timed at each size")
    parser.add_argument("--smoke", action="store_true", help="a tiny run, for the test suite")
    args = parser.parse_args()
    if args.smoke:
        args.n, args.timing_sizes, args.sources = 200, [300], 3
    with tempfile.TemporaryDirectory(prefix="threadmark-suggest-") as scratch:
        directory = Path(scratch)
        threads = [generated_thread(directory, pace, args.n) for pace in PACES]
        threads += fixture_threads(directory)
        print(f"link suggestions: generated threads of {args.n:,} comments, and the fixtures\n")
        print_scores(threads)
        timed = []
        for size in args.timing_sizes:
            thread = generated_thread(directory, BUSY, size)
            timed.append((thread, keystroke_times(thread, args.sources)))
        print()
        print_times(timed)
        for thread in [*threads, *(thread for thread, _ in timed)]:
            thread.db.close()


if __name__ == "__main__":
    main()
