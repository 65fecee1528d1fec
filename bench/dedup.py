"""Benchmark duplicate folding against datasketch's MinHashLSH, on the same synthetic thread.

    python bench/dedup.py [--n 10000 50000] [--smoke] [--fold-only]

For each N it generates a thread with known duplicate clusters (seeded, so every run sees the
same thread), then times and scores:

- ``fold``: :func:`store.dedup.fold` on the records (normalising included);
- ``ingest``: the whole import through the public store API (``store.open_database`` and
  ``store.import_file``: JSON Lines file -> SQLite, writing the file included), clusters read
  back from the database; skipped with ``--fold-only`` or when the store has no import yet;
- ``datasketch``: the usual MinHash dedup, on the same normalised texts fold compares: char
  5-gram shingles, 128 permutations, MinHashLSH insert + query, then union-find.

Precision and recall are pairwise: over all pairs of comments put in one cluster, against the
pairs that the generator made duplicates.  "peak MB" is the process's high-water mark
(ru_maxrss) when the method returned, plus its helpers' (fold's shingling child, see
``bench.figures.HelpersPeak``): it includes the generated thread (the "(thread)" row) and
any method run before, so run one N with ``--fold-only`` to read fold's own peak.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from bench.figures import Figure, HelpersPeak
from store.dedup import fold
from store.normalize import normalise
from store.records import CommentRecord

SEED = 20240601
BASELINE_PERMUTATIONS = 128
DATASKETCH_LIMIT = 200_000  # above it datasketch does not fit in memory (6.5 GB at 200k)
# Swept over 0.4-0.8 on this generator at N=10,000: 0.7 balances datasketch best (precision
# 0.996, recall 0.988); 0.6 lets hard negatives in (precision 0.97), 0.8 loses variants (recall
# 0.94), and 0.5 or less chains nearly everything together.
BASELINE_JACCARD = 0.7

# The vocabulary (split on whitespace): common words dominate, topic and invented words follow.
COMMON_WORDS = """the to and a of is that it in i you for this not be are they on with have
but as was what if do just can so like about people would all there their or more an think
because no will at from my one we how your by don't it's even get them than only should when
who which some make any know really these also been being other were much then why things way
still same those most could own into many need does doesn't thing actually"""
TOPIC_WORDS = """copyright law ai model models training data artists images art copies database
fair use infringement court ruling lawsuit companies generative style work works creators human
machine learning paint brush tool product profit license open source legal regulation"""
SHORT_REPLIES = [
    "+1",
    "this",
    "This.",
    "same",
    "lol",
    "agreed",
    "thanks!",
    "source?",
    "yes",
    "no",
    "exactly",
    "this is the way",
    "same here lol",
    "so true",
    "wow",
    "bump",
]
EDIT_LINES = [
    "Edit: typo",
    "Edit: fixed a typo",
    "Edit: formatting",
    "EDIT: spelling",
    "Edit: added a source",
    "Edit: thanks for the award!",
    "Edit: wow, this blew up",
]


class ThreadGenerator:
    """A seeded stream of comments with known duplicate clusters.

    Each cluster starts with an original; about half get variants a person would call the same
    comment (exact, case, whitespace, curly quotes, quote style, typos, an appended edit line).
    Some originals get hard-negative siblings: a quarter of the words swapped, or one sentence
    shared and the rest new.  A few comments are short replies (folded only by exact repeat)
    and a few quote an earlier sentence and add their own words (never duplicates).
    """

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        syllables = ["ka", "lo", "mi", "ter", "ban", "sor", "vel", "qui", "den", "ra", "pol", "us"]
        invented = {
            "".join(self.random.choices(syllables, k=self.random.randint(2, 4)))
            for _ in range(3000)
        }
        self.content_words = TOPIC_WORDS.split() + sorted(invented)
        self.vocabulary = COMMON_WORDS.split() + self.content_words
        # Zipf-like weights: the common words dominate, as in real threads.
        self.cumulative_weights = list(
            itertools.accumulate(1 / (rank + 1) for rank in range(len(self.vocabulary)))
        )
        self.sentences: list[str] = []  # earlier sentences, for quote-replies to quote

    def thread(self, n: int) -> tuple[list[str], list[int]]:
        """``n`` comments in a shuffled reading order, and each one's true cluster."""
        comments: list[tuple[str, int]] = []
        short_clusters: dict[str, int] = {}
        cluster = 0
        while len(comments) < n:
            roll = self.random.random()
            if roll < 0.01:
                text = self._short_reply()
                key = normalise(text).own
                comments.append((text, short_clusters.setdefault(key, -1 - len(short_clusters))))
                continue
            if roll < 0.03:
                comments.append((self._quote_reply(), cluster))
                cluster += 1
                continue
            original = self._original()
            family = [original]
            if self.random.random() < 0.2:
                family.append(self._sibling(original))
            for member in family:
                comments.append((member, cluster))
                while self.random.random() < 0.5:
                    comments.append((self._variant(member), cluster))
                cluster += 1
        comments = comments[:n]
        self.random.shuffle(comments)
        return [text for text, _ in comments], [truth for _, truth in comments]

    def _words(self, count: int) -> list[str]:
        return self.random.choices(self.vocabulary, cum_weights=self.cumulative_weights, k=count)

    def _sentence(self, count: int | None = None) -> str:
        words = self._words(count or self.random.randint(6, 18))
        if self.random.random() < 0.25:
            start = self.random.randrange(len(words))
            words[start] = f'"{words[start]}'
            words[min(start + 2, len(words) - 1)] += '"'
        sentence = " ".join(words).capitalize() + self.random.choice(".....?!")
        self.sentences.append(sentence)
        return sentence

    def _original(self) -> str:
        return " ".join(self._sentence() for _ in range(self.random.randint(1, 6)))

    def _short_reply(self) -> str:
        reply = self.random.choice(SHORT_REPLIES)
        return self.random.choice([reply, reply.upper(), f" {reply} ", reply.capitalize()])

    def _quote_reply(self) -> str:
        quoted = self.random.choice(self.sentences) if self.sentences else self._sentence()
        return f"> {quoted}\n\n{self._original()}"

    def _sibling(self, original: str) -> str:
        """A different comment that shares most of its words, or one sentence, with ``original``."""
        sentences = re.split(r"(?<=[.?!]) ", original)
        if self.random.random() < 0.5 or len(sentences) < 2:
            words = original.split()
            for position in self.random.sample(range(len(words)), k=max(3, len(words) // 4)):
                words[position] = self.random.choice(self.content_words)
            return " ".join(words)
        sibling = [self.random.choice(sentences)]
        while len(" ".join(sibling)) < 2 * len(original):
            sibling.append(self._sentence())
        return " ".join(sibling)

    def _variant(self, text: str) -> str:
        """A copy of ``text`` that a reader would call the same comment."""
        kind = self.random.choice(
            ["exact", "case", "space", "curly", "quote-style", "typo", "edit", "typo+case"]
        )
        if kind == "case":
            return self.random.choice([text.lower(), text.upper(), text.title()])
        if kind == "space":
            return "  ".join(text.split(" ")).replace(".  ", ".\n") + "  \n"
        if kind == "curly":
            return text.replace("'", "\u2019").replace(' "', " \u201c").replace('" ', "\u201d ")
        if kind == "quote-style":
            return text.replace('"', "'")
        if kind in ("typo", "typo+case"):
            for _ in range(1 + len(text) // 200):
                text = self._typo(text)
            return text.lower() if kind == "typo+case" else text
        if kind == "edit":
            edit = self.random.choice(EDIT_LINES)
            return f"{text}\n\n{edit}" if len(edit) <= 0.15 * len(text) else self._typo(text)
        return text

    def _typo(self, text: str) -> str:
        """``text`` with one slip of the keyboard: two letters swapped, one dropped or doubled."""
        at = self.random.randrange(1, len(text) - 1)
        replaced, typed = self.random.choice(
            [(2, text[at + 1] + text[at]), (1, ""), (1, text[at] * 2)]
        )
        return text[:at] + typed + text[at + replaced :]


# --- the methods -------------------------------------------------------------------------------


def fold_clusters(texts: list[str]) -> list[int]:
    return fold([CommentRecord(text) for text in texts]).canonical


def ingest_clusters(texts: list[str]) -> list[int]:
    """Import the texts as a JSON Lines thread through the public store API; read clusters back."""
    from store import import_file, open_database

    with tempfile.TemporaryDirectory() as directory:
        source = Path(directory, "thread.jsonl")
        with source.open("w", encoding="utf-8") as out:
            for number, text in enumerate(texts, start=1):
                out.write(json.dumps({"id": f"c{number}", "text": text}) + "\n")
        db = open_database(Path(directory, "bench.db"))
        thread_id = import_file(db, source).thread_id
        rows = db.execute(
            "SELECT cluster_id FROM comments WHERE thread_id = ? ORDER BY position", [thread_id]
        ).fetchall()
        db.close()
    return [cluster for (cluster,) in rows]


def ingest_available() -> bool:
    """Whether the store's import API exists yet (it was written alongside this benchmark)."""
    try:
        from store import import_file, open_database  # noqa: F401
    except ImportError:
        return False
    return True


def datasketch_clusters(texts: list[str]) -> list[int]:
    """The baseline: MinHashLSH over char 5-gram shingles of the normalised texts, union-find.

    It uses datasketch's fast paths (``MinHash.bulk``, an insertion session), so that the
    comparison is with datasketch at its best.
    """
    from datasketch import MinHash, MinHashLSH

    shingle_sets = []
    for text in texts:
        own, quoted = normalise(text)
        compared = (own or quoted).encode("utf-8")
        shingle_sets.append({compared[i : i + 5] for i in range(max(1, len(compared) - 4))})
    signatures = MinHash.bulk(shingle_sets, num_perm=BASELINE_PERMUTATIONS)
    lsh = MinHashLSH(threshold=BASELINE_JACCARD, num_perm=BASELINE_PERMUTATIONS)
    with lsh.insertion_session() as session:
        for key, signature in enumerate(signatures):
            session.insert(key, signature)
    parent = list(range(len(texts)))

    def find(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for key, signature in enumerate(signatures):
        for other in lsh.query(signature):
            root_a, root_b = find(key), find(other)
            parent[max(root_a, root_b)] = min(root_a, root_b)
    return [find(key) for key in range(len(texts))]


def pairwise_scores(predicted: list[int], truth: list[int]) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering against the true one."""

    def pairs(counts: Counter) -> int:
        return sum(count * (count - 1) // 2 for count in counts.values())

    true_positives = pairs(Counter(zip(predicted, truth, strict=True)))
    predicted_pairs, true_pairs = pairs(Counter(predicted)), pairs(Counter(truth))
    precision = true_positives / predicted_pairs if predicted_pairs else 1.0
    recall = true_positives / true_pairs if true_pairs else 1.0
    return precision, recall


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(sizes: list[int], methods: dict[str, Callable[[list[str]], list[int]]]) -> None:
    header = f"{'N':>9}  {'method':<11} {'seconds':>8} {'comments/s':>11} {'precision':>9} "
    print(header + f"{'recall':>7} {'vs datasketch':>13} {'peak MB':>8}")
    for n in sizes:
        texts, truth = ThreadGenerator(SEED).thread(n)
        print(
            f"{n:>9}  {'(thread)':<11} {'':>8} {'':>11} {'':>9} {'':>7} {'':>13} "
            f"{peak_memory_mb():>8,.0f}"
        )
        timings = {}
        for name, method in methods.items():
            start = time.perf_counter()
            with HelpersPeak() as helpers:
                clusters = method(texts)
            timings[name] = time.perf_counter() - start
            peak = helpers.mb
            precision, recall = pairwise_scores(clusters, truth)
            baseline = timings.get("datasketch")
            speedup = f"{baseline / timings[name]:.1f}x" if baseline else "-"
            print(
                f"{n:>9}  {name:<11} {timings[name]:>8.2f} {n / timings[name]:>11,.0f} "
                f"{precision:>9.3f} {recall:>7.3f} {speedup:>13} {peak:>8,.0f}",
                flush=True,
            )


def figures(n: int) -> list[Figure]:
    """fold at N comments of ThreadGenerator's thread against datasketch (where it fits, up
    to DATASKETCH_LIMIT), with fold's pairwise precision and recall in the figure's name."""
    texts, truth = ThreadGenerator(SEED).thread(n)
    seconds = {}
    for name, method in [("fold", fold_clusters), ("datasketch", datasketch_clusters)]:
        if name == "datasketch" and n > DATASKETCH_LIMIT:
            break
        start = time.perf_counter()
        with HelpersPeak() as helpers:
            clusters = method(texts)
        seconds[name] = time.perf_counter() - start
        if name == "fold":
            precision, recall = pairwise_scores(clusters, truth)
            peak = helpers.mb
    return [
        Figure(
            "dedup",
            f"fold (precision {precision:.3f}, recall {recall:.3f})",
            n,
            seconds["fold"],
            "s",
            "datasketch MinHashLSH" if "datasketch" in seconds else "",
            seconds.get("datasketch"),
            peak,
            "P/R >= 0.99",
            min(precision, recall) >= 0.99,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--smoke", action="store_true", help="a tiny run, for the test suite")
    parser.add_argument("--fold-only", action="store_true", help="time fold alone (large N)")
    args = parser.parse_args()
    methods: dict[str, Callable[[list[str]], list[int]]] = {}
    if not args.fold_only:
        methods["datasketch"] = datasketch_clusters  # first, so the others compare against it
    methods["fold"] = fold_clusters
    if not args.fold_only and ingest_available():
        methods["ingest"] = ingest_clusters
    run([300] if args.smoke else args.n, methods)


if __name__ == "__main__":
    main()
