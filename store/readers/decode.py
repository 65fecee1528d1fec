"""Bytes to text and text to JSON, with errors that tell the user what is wrong and where."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from store.errors import ThreadmarkError

SAMPLE = 64 * 1024  # what binary sniffing and encoding detection look at
PROGRESS_BYTES = 2**22  # how often a file read line by line reports its progress
BINARY_SHARE = 0.05
# C0 controls and DEL, but not tab, newlines and form feed: text has almost none of them,
# compressed and binary data a tenth of its bytes.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
_ESC = 0x1B  # ANSI colour codes are common in scraped text: no sign of a binary file
# Each BOM with the codec of the bytes after it; UTF-32 LE's starts like UTF-16 LE's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
)
_REPLACEMENT = "\ufffd"
_OVERRIDE = "--encoding overrides"
# The cp1252 guess wins over a better-rated one unless that one is rated this many times higher:
# on a few accented bytes every Latin code page fits about as well.
_WESTERN_MARGIN = 2
_WESTERN = "cp1252"
# One decoder for every parse: ``json.loads(strict=False)`` would build one per JSON Lines line.
_JSON = json.JSONDecoder(strict=False)


@dataclass(frozen=True, slots=True)
class Decoded:
    """A file's text, and a warning when its encoding was a guess or some bytes were lost."""

    text: str
    warning: str | None = None


def decode(data: bytes, name: str, encoding: str | None = None) -> Decoded:
    """A file's bytes as text, in ``encoding`` if given (strictly), else as its BOM says
    (strictly), else UTF-8, else the encoding they look like.

    A binary file is refused.  A UTF-8 file with a few bad bytes stays UTF-8, with U+FFFD for
    them; a file in another encoding (Latin-1 and cp1252 from Windows and Excel, most often)
    is detected.  Both say so in :attr:`Decoded.warning`.
    """
    if encoding is not None:
        codec = _codec(encoding, name)
        return Decoded(_decode_strictly(data, name, codec, codec))
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            described = f"{label}, as its BOM says"
            return Decoded(_decode_strictly(data, name, codec, described, start=len(bom)))
    if _looks_binary(data[:SAMPLE]):
        raise ThreadmarkError(f"{name} is a binary file, not a thread")
    try:
        return Decoded(data.decode("utf-8"))
    except UnicodeDecodeError:
        return _decode_guessing(data, name)


class NotUTF8(Exception):
    """A line of a file read line by line (:func:`utf8_lines`) is not UTF-8 after all."""


def utf8_lines(
    data: bytes, progress: Callable[[str, int, int], None] | None = None
) -> Iterator[str] | None:
    """A file's lines decoded as UTF-8 one at a time, or None when :func:`decode` must see the
    file whole: a BOM, bytes that look binary, no ``\n`` at all (old Mac line ends), nothing
    but spaces.

    The text is never held whole beside the bytes.  A line that is not strict UTF-8 raises
    :class:`NotUTF8` as it is reached: the caller reads the file again through :func:`decode`,
    which guesses an encoding and says so.  Lines are those of
    :func:`~store.readers.common.split_lines`, each with the ``\r`` of a ``\r\n`` left on.
    ``progress("read", bytes done, bytes)`` is called every PROGRESS_BYTES or so.
    """
    if (
        data.isspace()
        or b"\n" not in data
        or data.startswith(tuple(bom for bom, _, _ in _BOMS))
        or _looks_binary(data[:SAMPLE])
    ):
        return None
    return _decoded_lines(data, progress)


def _decoded_lines(data: bytes, progress: Callable[[str, int, int], None] | None) -> Iterator[str]:
    start, size = 0, len(data)
    reported = 0
    while start <= size:
        if progress and start - reported >= PROGRESS_BYTES:
            progress("read", start, size)
            reported = start
        end = data.find(b"\n", start)
        end = size if end < 0 else end
        try:
            yield data[start:end].decode("utf-8")
        except UnicodeDecodeError:
            raise NotUTF8 from None
        start = end + 1


def _codec(encoding: str, name: str) -> str:
    """The codec of an encoding the user named, by its canonical name."""
    try:
        return codecs.lookup(encoding).name
    except (LookupError, ValueError):  # ValueError: a name with a NUL in it
        raise ThreadmarkError(f"{name}: unknown encoding {encoding!r}") from None


def _decode_strictly(data: bytes, name: str, codec: str, described: str, start: int = 0) -> str:
    """``data`` from ``start`` on in ``codec``, or an error naming the first byte (counted from
    the start of the file) that is not ``described``."""
    try:
        text = str(memoryview(data)[start:], codec)
    except LookupError:  # a codec that is not a text encoding (rot13, base64)
        raise ThreadmarkError(f"{name}: {codec} is not a text encoding") from None
    except UnicodeDecodeError as error:
        raise ThreadmarkError(
            f"{name}: not valid {described}, at byte {start + error.start} ({error.reason})"
        ) from None
    except UnicodeError as error:  # a few codecs (punycode) fail with no position
        raise ThreadmarkError(f"{name}: not valid {described} ({error})") from None
    return text.removeprefix("\ufeff")  # a BOM the codec keeps (utf-8, utf-16-le) is no text


def _looks_binary(sample: bytes) -> bool:
    controls = len(sample) - len(_CONTROL_BYTES.sub(b"", sample)) - sample.count(_ESC)
    return controls > len(sample) * BINARY_SHARE


def _decode_guessing(data: bytes, name: str) -> Decoded:
    """Bytes that are not all UTF-8: UTF-8 with a few bad bytes, or another encoding."""
    as_utf8, bad = _decode_replacing(data, "utf-8")
    codec = "utf-8" if _mostly_utf8(as_utf8, bad) else _detected_encoding(data[:SAMPLE])
    if codec is None:
        raise ThreadmarkError(
            f"{name} is a binary file, not a thread (if it is text, say its encoding with "
            "--encoding)"
        )
    if codec == "utf-8":
        return Decoded(as_utf8, f"{_bytes(bad)} not UTF-8 and became U+FFFD ({_OVERRIDE})")
    text, bad = _decode_replacing(data, codec)
    lost = f"; {_bytes(bad)} not {codec} and became U+FFFD" if bad else ""
    return Decoded(text, f"not UTF-8: read as {codec}, which it looks like{lost} ({_OVERRIDE})")


def _bytes(count: int) -> str:
    return "1 byte is" if count == 1 else f"{count} bytes are"


def _decode_replacing(data: bytes, codec: str) -> tuple[str, int]:
    """``data`` in ``codec`` with U+FFFD for each undecodable sequence, and how many were."""
    text = data.decode(codec, errors="replace")
    genuine = _REPLACEMENT.encode(codec, errors="ignore")  # U+FFFD in the file itself
    return text, text.count(_REPLACEMENT) - (data.count(genuine) if genuine else 0)


def _mostly_utf8(text: str, bad: int) -> bool:
    """More characters of the text are UTF-8 beyond ASCII than bytes are not UTF-8 at all.

    A UTF-8 file damaged here and there has many good multi-byte characters for each bad
    byte; a Latin-1 or cp1252 file has accented letters that are all bad bytes, and almost
    never a byte pair that happens to be UTF-8.
    """
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    return non_ascii - bad >= bad


def _detected_encoding(sample: bytes) -> str | None:
    """The encoding ``sample`` most looks like, or None when it looks like none.

    chardet is told to expect the encodings of today's web and Windows, and to name the
    superset that decodes bytes past the sample.  Control bytes are left out: they are the
    same in every encoding, and put chardet off.  Between near-equal guesses, as a few
    accented letters give, cp1252 wins: most text that is not UTF-8 is Windows' Western
    code page (Excel saves CSV in it).
    """
    import chardet  # here: it takes 0.2 s to load, and most files are UTF-8
    from chardet.enums import EncodingEra

    guesses = chardet.detect_all(
        _CONTROL_BYTES.sub(b"", sample),
        encoding_era=EncodingEra.MODERN_WEB,
        prefer_superset=True,
        compat_names=False,
    )
    rated = {codecs.lookup(g["encoding"]).name: g["confidence"] for g in guesses if g["encoding"]}
    if not rated:
        return None
    best = max(rated, key=rated.__getitem__)
    if rated.get(_WESTERN, 0) * _WESTERN_MARGIN >= rated[best]:
        return _WESTERN
    return best


def load_json(content: str, name: str, *, first_line: int = 1, expected: str | None = None):
    """Parse JSON, turning every failure into a one-line ThreadmarkError naming the file.

    ``first_line`` numbers lines when ``content`` is one line of a larger file (JSON Lines);
    ``expected`` names the format the user asked for, so the message says what was wanted.
    """
    problem = f"not a {expected} thread: " if expected else ""
    try:
        return _JSON.decode(content)
    except json.JSONDecodeError as error:
        line = error.lineno + first_line - 1
        hint = " (one object per line is format jsonl)" if error.msg == "Extra data" else ""
        raise ThreadmarkError(
            f"{name}: {problem}malformed JSON at line {line} column {error.colno} "
            f"({error.msg}){hint}"
        ) from None
    except RecursionError:
        raise ThreadmarkError(f"{name}: {problem}JSON nested too deeply to read") from None
    except ValueError as error:  # e.g. an integer longer than Python will convert
        raise ThreadmarkError(f"{name}: {problem}unreadable JSON ({error})") from None
