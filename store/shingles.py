"""Shingles and MinHash band keys of the texts the fold compares, on the second core for a
large thread.

A shingle is the WINDOW characters starting at a word start; a text gets BANDS * ROWS MinHash
values, and two texts become candidates when all ROWS values of some band agree: 93% likely
when their shingle sets have a Jaccard similarity of 0.5, 15% at 0.2 (store.dedup verifies the
candidates).  Chosen with bench/dedup.py: a shorter window or fewer rows find more typo'd short
comments but make many more candidates to verify.

Hashing is numpy work that holds the GIL (a second thread gains nothing: measured), and at a
million comments it is more than half of what the fold's first pass costs.  So for a thread
of ASIDE_MIN_TEXTS texts or more, :class:`Shingler` sends each chunk of texts to a child
process and normalises the next meanwhile; the child writes each chunk's keys and postings to
a scratch file, read back when the last text is in.  A child that stops before it is done
(its scratch disk full, say) costs time, not the import: the fold shingles every text again
here (store.dedup.fold).  Run as ``python -m store.shingles RESULTS POSTINGS``, this module is
that child.
"""

from __future__ import annotations

import contextlib
import itertools
import string
import subprocess
import sys
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np

from store import messages

try:
    import fcntl
except ImportError:  # Windows: the pipe keeps the size it has
    fcntl = None

WINDOW = 10
BANDS = 20
ROWS = 3
CHUNK_CHARS = 1_000_000  # characters hashed per numpy pass: bounds the temporary arrays
# Below this many texts a chunk is hashed where it is made: starting the child (about 0.2 s,
# numpy's import) would cost more than it saves.
ASIDE_MIN_TEXTS = 50_000
PIPE_BYTES = 2**20

# All ASCII punctuation hashes alike in shingles.
_PUNCTUATION_ALIKE = np.array(
    [ord(".") if chr(code) in string.punctuation else code for code in range(128)], np.uint32
)

# Fixed random constants, so that folding is the same on every run.
_random = np.random.default_rng(0x7468726561646D6B)
_MINHASH_XOR = _random.integers(0, 2**32, size=(BANDS * ROWS, 1), dtype=np.uint32)
_MINHASH_MUL = _random.integers(0, 2**32, size=(BANDS * ROWS, 1), dtype=np.uint32) | np.uint32(1)
_BAND_MUL = _random.integers(0, 2**64, size=(BANDS, ROWS, 1), dtype=np.uint64) | np.uint64(1)


@dataclass
class Shingled:
    """What one pass over the foldable texts' shingles gives.

    ``foldable`` are the ids of the texts long enough to fold by similarity, in increasing
    order; ``band_keys`` (BANDS rows, one column per foldable text) are their LSH keys for near
    duplicates; ``posting_hashes`` (sorted) and ``posting_texts`` say which texts hold each of
    the phrases sampled from quotes, at most ``postings`` (the earliest) per phrase.
    """

    foldable: np.ndarray
    band_keys: np.ndarray
    posting_hashes: np.ndarray
    posting_texts: np.ndarray


class AsideFailed(Exception):
    """The shingling child stopped before it was done (its scratch disk full, say); the
    message is its last words.  The texts it had are gone: the caller shingles them again."""


class ChunkShingled(NamedTuple):
    """One chunk's band keys, with the columns (foldable-text places) they go in, and its
    postings of the phrases quotes look up."""

    columns: np.ndarray
    band_keys: np.ndarray
    found_hashes: np.ndarray
    found_texts: np.ndarray


class Shingler:
    """Shingles the foldable texts as they are given, a chunk of CHUNK_CHARS at a time, for both
    the band keys and the postings of ``phrases`` (the sorted phrase hashes quotes look up).

    A context manager: leaving it stops the child, if there is one, and drops its scratch.
    """

    def __init__(
        self, capacity: int, phrases: np.ndarray, postings: int, *, aside: bool = True
    ) -> None:
        # Zeroed lazily by the system: the columns never written (texts too short to fold,
        # repeats) take no memory.
        self._band_keys = np.zeros((BANDS, capacity), dtype=np.uint32)
        self._phrases = phrases
        self._postings = postings
        self._text_ids = array("q")
        self._pending: list[str] = []
        self._pending_chars = 0
        self._found_hashes: list[np.ndarray] = []
        self._found_texts: list[np.ndarray] = []
        self._aside = (
            _ChunksAside.started(phrases, postings)
            if aside and capacity >= ASIDE_MIN_TEXTS
            else None
        )

    def __enter__(self) -> Shingler:
        return self

    def __exit__(self, *exception: object) -> None:
        if self._aside is not None:
            self._aside.discard()

    def add(self, text_id: int, text: str) -> None:
        self._text_ids.append(text_id)
        self._pending.append(text)
        self._pending_chars += len(text) + 1
        if self._pending_chars >= CHUNK_CHARS:
            self._shingle_pending()

    def finish(self) -> Shingled:
        self._shingle_pending()
        if self._aside is not None:
            for chunk in self._aside.results():
                self._take(chunk)
        posting_hashes, posting_texts = smallest_per_group(
            joined(self._found_hashes, np.uint64),
            joined(self._found_texts, np.int64),
            self._postings,
        )
        foldable = np.array(self._text_ids, dtype=np.int64)
        return Shingled(
            foldable, self._band_keys[:, : len(foldable)], posting_hashes, posting_texts
        )

    def _shingle_pending(self) -> None:
        if not self._pending:
            return
        first = len(self._text_ids) - len(self._pending)
        text_ids = np.array(self._text_ids[first:], dtype=np.int64)
        if self._aside is None:
            self._take(shingle_chunk(first, text_ids, self._pending, self._phrases, self._postings))
        else:
            self._aside.send(first, text_ids, self._pending)
        self._pending, self._pending_chars = [], 0

    def _take(self, chunk: ChunkShingled) -> None:
        self._band_keys[:, chunk.columns] = chunk.band_keys
        self._found_hashes.append(chunk.found_hashes)
        self._found_texts.append(chunk.found_texts)


class _ChunksAside:
    """The child process that hashes the chunks sent to it, and the scratch file it writes."""

    def __init__(
        self,
        child: subprocess.Popen,
        scratch: tempfile.TemporaryDirectory,
        results: Path,
        errors: BinaryIO,
    ) -> None:
        self._child, self._scratch, self._results, self._errors = child, scratch, results, errors
        self._sent = 0

    @classmethod
    def started(cls, phrases: np.ndarray, postings: int) -> _ChunksAside | None:
        """The child, given the phrases; None where no child can be started (then the chunks
        are hashed in this process)."""
        scratch = tempfile.TemporaryDirectory(prefix="threadmark-shingles-")
        results = Path(scratch.name) / "chunks.npy"
        errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed by discard)
        try:
            child = subprocess.Popen(
                [sys.executable, "-m", __name__, str(results), str(postings)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
        except OSError:
            errors.close()
            scratch.cleanup()
            return None
        if hasattr(fcntl, "F_SETPIPE_SZ"):  # Linux: room for a whole chunk in the pipe
            with contextlib.suppress(OSError):
                fcntl.fcntl(child.stdin, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        aside = cls(child, scratch, results, errors)
        messages.send(child.stdin, phrases.tobytes())
        return aside

    def send(self, first: int, text_ids: np.ndarray, texts: list[str]) -> None:
        messages.send(self._child.stdin, (first, text_ids.tobytes(), texts))
        self._sent += 1

    def results(self) -> Iterator[ChunkShingled]:
        """Each chunk sent, in order, once the child has hashed them all.

        Raises :class:`AsideFailed` if the child stopped before it was done, or left a file
        that cannot be read back.
        """
        with contextlib.suppress(BrokenPipeError):
            self._child.stdin.close()
        if self._child.wait() != 0:
            self._errors.seek(0)
            words = self._errors.read().decode(errors="replace").strip().splitlines()
            raise AsideFailed((words or ["the shingling child stopped"])[-1])
        try:
            with self._results.open("rb") as chunks:
                for _ in range(self._sent):
                    yield ChunkShingled(*(np.load(chunks) for _ in ChunkShingled._fields))
        except (OSError, ValueError, EOFError) as error:
            raise AsideFailed(f"its results cannot be read back ({error})") from None

    def discard(self) -> None:
        """Stop the child if it still runs (the fold failed, or ctrl+c); drop the scratch."""
        if self._child.poll() is None:
            self._child.kill()
        self._child.wait()
        with contextlib.suppress(BrokenPipeError):
            self._child.stdin.close()
        self._errors.close()
        self._scratch.cleanup()


def shingle_chunk(
    first: int, text_ids: np.ndarray, texts: list[str], phrases: np.ndarray, postings: int
) -> ChunkShingled:
    """The band keys of ``texts`` (foldable texts ``first`` on, text ids ``text_ids``) and
    their postings of ``phrases``, at most ``postings`` per phrase."""
    hashes, owner = shingles(texts)
    group_starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    found, found_owner = phrases_of(hashes, owner)
    hit = is_in(found, phrases)
    found_hashes, found_texts = smallest_per_group(  # a common phrase must not pile up
        found[hit], text_ids[found_owner[hit]], postings
    )
    return ChunkShingled(
        first + owner[group_starts], _band_keys(hashes, group_starts), found_hashes, found_texts
    )


def _band_keys(hashes: np.ndarray, group_starts: np.ndarray) -> np.ndarray:
    """The BANDS LSH band keys of each group of shingle hashes, from its MinHash signature."""
    rows = _minhash(hashes, group_starts).reshape(BANDS, ROWS, -1).astype(np.uint64)
    keys = (rows * _BAND_MUL).sum(axis=1)  # wraps mod 2**64, as intended
    # The high, best mixed half: 32 bits halve the keys' memory (80 MB at a million texts),
    # and the few buckets they share by chance only add pairs that verification rejects.
    return (keys >> np.uint64(32)).astype(np.uint32)


def _minhash(hashes: np.ndarray, group_starts: np.ndarray) -> np.ndarray:
    """MinHash signature (BANDS * ROWS values) of each group of consecutive shingle hashes.

    The shingle hashes are already well mixed, so each of the signature's hash functions can
    be a cheap 32-bit permutation of them (xor a constant, multiply by an odd one).  The work
    goes in runs of about 16k shingles, so that the temporary matrix stays in cache.
    """
    base = (hashes >> np.uint64(32)).astype(np.uint32)
    group_ends = np.r_[group_starts[1:], len(hashes)]
    out = []
    for first, end in _group_runs(group_starts, len(hashes), 16_384):
        lo, hi = group_starts[first], group_ends[end - 1]
        permuted = (base[lo:hi] ^ _MINHASH_XOR) * _MINHASH_MUL
        out.append(np.minimum.reduceat(permuted, group_starts[first:end] - lo, axis=1))
    return np.concatenate(out, axis=1)


def _group_runs(group_starts: np.ndarray, total: int, size: int) -> Iterator[tuple[int, int]]:
    """``(first, end)`` runs of whole groups of about ``size`` items (a bigger group runs alone)."""
    firsts = np.unique(np.searchsorted(group_starts, np.arange(0, total, size), side="right") - 1)
    return itertools.pairwise([*firsts.tolist(), len(group_starts)])


def shingle_chunks(texts: list[str]) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Hash every text's shingles, a chunk of texts at a time.

    Yields ``(first, hashes, owner)``: the chunk's first text index, the shingle hashes
    (uint64) and for each the index of its text within the chunk (non-decreasing).  A shingle
    is the WINDOW characters from a word start (the text's start, after a space, or any CJK
    character, whose script has no spaces); windows that would run past the text's end are
    dropped.  Anchoring at word starts keeps shingles aligned across insertions and makes
    about five times fewer of them than every character position would.  All ASCII
    punctuation hashes alike, so that a change of quote marks or of a full stop for an
    exclamation mark leaves the shingles as they were.
    """
    first = 0
    while first < len(texts):
        size, end = 0, first
        while end < len(texts) and (size < CHUNK_CHARS or end == first):
            size += len(texts[end]) + 1
            end += 1
        yield first, *shingles(texts[first:end])
        first = end


def shingles(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The shingle hashes of ``texts`` and the index of the text each belongs to."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    codes = np.frombuffer("\n".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    codes = np.where(codes < 128, _PUNCTUATION_ALIKE[codes & 127], codes)  # '"!? hash as "."
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    anchor = codes >= 0x3000
    anchor[1:] |= codes[:-1] == ord(" ")
    anchor[starts[lengths > 0]] = True
    positions = np.flatnonzero(anchor)
    owner = np.searchsorted(starts, positions, side="right") - 1
    fits = positions + WINDOW <= starts[owner] + lengths[owner]
    positions, owner = positions[fits], owner[fits]
    hashes = np.zeros(len(positions), dtype=np.uint64)
    for offset in range(WINDOW):  # a polynomial hash over the window, mod 2**64
        hashes *= np.uint64(0x100000001B3)
        hashes += codes[positions + offset]
    hashes ^= hashes >> np.uint64(31)  # mix, so every bit depends on the whole window
    hashes *= np.uint64(0x7FB5D329728EA185)
    hashes ^= hashes >> np.uint64(27)
    return hashes, owner


def phrases_of(hashes: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of each two shingles in a row of one text, and the text each belongs to.

    Two windows in a row span three or four words: rarer than one window, so that a quote made
    of common words still points at few texts.
    """
    same_text = owner[1:] == owner[:-1]
    paired = hashes[:-1] * np.uint64(0x9E3779B97F4A7C15) + hashes[1:]
    return paired[same_text], owner[:-1][same_text]


def smallest_per_group(
    groups: np.ndarray, values: np.ndarray, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``(group, value)`` pairs in sorted order, at most ``limit`` per group."""
    order = np.lexsort((values, groups))
    groups, values = groups[order], values[order]
    distinct = np.ones(len(groups), dtype=bool)
    distinct[1:] = (groups[1:] != groups[:-1]) | (values[1:] != values[:-1])
    groups, values = groups[distinct], values[distinct]
    kept = rank_in_group(groups) < limit
    return groups[kept], values[kept]


def is_in(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``np.isin`` for a sorted set, by binary search: much faster than np.isin's sorting."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    place = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[place] == values


def joined(arrays: Iterable[np.ndarray], dtype: type) -> np.ndarray:
    """``np.concatenate`` that also takes no arrays at all."""
    return np.concatenate([np.empty(0, dtype), *(array.ravel() for array in arrays)])


def rank_in_group(sorted_groups: np.ndarray) -> np.ndarray:
    """Each item's 0-based place among the items of its group (``sorted_groups`` is sorted)."""
    return np.arange(len(sorted_groups)) - np.searchsorted(sorted_groups, sorted_groups, "left")


def _hash_chunks(results: str, postings: int) -> None:
    """The child's work: hash each chunk on stdin, and write its arrays to ``results``."""
    source = sys.stdin.buffer
    phrases = np.frombuffer(messages.received(source), dtype=np.uint64)
    with open(results, "wb") as out:
        while (message := messages.received(source)) is not None:
            first, text_ids, texts = message
            text_ids = np.frombuffer(text_ids, np.int64)
            for part in shingle_chunk(first, text_ids, texts, phrases, postings):
                np.save(out, part, allow_pickle=False)


if __name__ == "__main__":
    _hash_chunks(sys.argv[1], int(sys.argv[2]))
